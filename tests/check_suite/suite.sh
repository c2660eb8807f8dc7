#!/bin/sh
# A small multi-process test suite for leakgraph check's end-to-end tests
# (tests/e2e/cases/check.sh): a shell that runs victims, some forking, exec'ing and
# posix_spawn'ing others, as `make test` would. Usage: suite.sh PROGS_DIR MODE
#   clean   nothing leaks; exit 0          leaks   leak_site_a, child_leak, leak_site_b
#   new     leaks + leak_site_c            grow    leaks, with leak_site_a lost twice
#   crash   leaks + a victim killed by SIGSEGV, one that ends with _exit and the fork
#           child of another that does (no report; the suite itself goes on, exit 0)
#   status3 nothing leaks; exit 3
P=$1
case $2 in
clean | status3) "$P/chk_leaky" none && "$P/chk_forker" "$P/chk_leaky" none none clean || exit 1 ;;
leaks | crash) "$P/chk_leaky" a && "$P/chk_forker" "$P/chk_leaky" none b || exit 1 ;;
new) "$P/chk_leaky" ac && "$P/chk_forker" "$P/chk_leaky" none b || exit 1 ;;
grow) "$P/chk_leaky" aa && "$P/chk_forker" "$P/chk_leaky" none b || exit 1 ;;
*) echo "suite.sh: unknown mode '$2'" >&2; exit 2 ;;
esac
if [ "$2" = crash ]; then
    "$P/chk_crash" 2>/dev/null
    echo "chk_crash: status $?"
    "$P/chk_crash" exit
    echo "chk_crash exit: status $?"
    "$P/chk_crash" forkexit
    echo "chk_crash forkexit: status $?"
fi
[ "$2" = status3 ] && exit 3
exit 0
