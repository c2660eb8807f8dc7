#!/bin/bash
# leakgraph end-to-end tests: every victim in tests/progs with an EXPECT line is run
# natively and under `leakgraph run`; the JSON report must match the numbers Valgrind
# recorded (see tests/e2e/README.md). Then the command-line contracts and bad inputs.
#
# Environment:
#   LG_LIB       absolute path of libleakgraph.so
#   LG_TOOL      the leakgraph command
#   LG_TOOL_SAN  the same command built with ASan+UBSan (used as the analyzer, tool_path)
#   LG_PROGS     directory of the built victims (build/progs)
#   LG_VALGRIND=1  also re-run Valgrind on every victim and compare with its EXPECT line
#                  (with LG_TOOL unset, only that cross-check runs)
#   LG_JOBS      tests run in parallel (default: number of CPUs)
#   LG_ONLY      a regular expression: run only the tests whose name matches
#   LG_KEEP=1    keep the work directory (printed at the end)
# Output: "ok NAME" or "FAIL NAME: reason" per test, then "N passed, M failed".
# Exit status 1 if any test failed.
set -u
. "$(dirname "$0")/lib.sh"

unset LEAKGRAPH_OPTIONS
LG_TOOL=${LG_TOOL:-}
LG_TOOL_SAN=${LG_TOOL_SAN:-}
LG_LIB=${LG_LIB:-}
LG_VALGRIND=${LG_VALGRIND:-0}
LG_JOBS=${LG_JOBS:-$(nproc 2>/dev/null || echo 2)}
LG_ONLY=${LG_ONLY:-}
if [ -z "${LG_PROGS:-}" ] || [ ! -d "$LG_PROGS" ]; then
    echo "run.sh: set LG_PROGS to the directory of the built victims (build/progs)" >&2
    exit 2
fi
LG_PROGS=$(cd "$LG_PROGS" && pwd)
export LG_PROGS
if [ -z "$LG_TOOL" ] && [ "$LG_VALGRIND" != 1 ]; then
    echo "run.sh: set LG_TOOL (and LG_LIB, LG_TOOL_SAN), or LG_VALGRIND=1 for the Valgrind cross-check only" >&2
    exit 2
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/lg-e2e.XXXXXX")
RES=$WORK/results
mkdir -p "$RES"
cleanup() {
    if [ -f "$WORK/staged" ]; then xargs rm -rf <"$WORK/staged"; fi
    if [ "${LG_KEEP:-0}" = 1 ]; then echo "# work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
seq_no=0

fail_with() { echo "$1"; return 1; }

# want NAME: whether LG_ONLY selects the test
want() { [ -z "$LG_ONLY" ] || [[ $1 =~ $LG_ONLY ]]; }

# queue NAME FUNCTION ARGS...: run a test in the pool; its result lines go to a file
queue() {
    local name=$1
    shift
    want "$name" || return 0
    seq_no=$((seq_no + 1))
    local out
    out=$(printf '%s/%04d' "$RES" "$seq_no")
    lg_spawn run_one "$out" "$name" "$@"
}
run_one() {
    local out=$1 name=$2
    shift 2
    local reason
    reason=$("$@" 2>&1)
    if [ $? -eq 0 ]; then lg_ok "$name" >"$out"; else lg_bad "$name" "$(echo "$reason" | tr '\n' ' ' | cut -c1-1500)" >"$out"; fi
}

# ---- the victims -------------------------------------------------------------------
sanitizer_errors() { # FILE: ASan/UBSan/LSan complaints of the ASan-built analyzer
    grep -m3 -E 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:|SUMMARY: (Address|Undefined|Leak)Sanitizer' "$1"
}

# prog_dir NAME SRC WORKDIR: the directory to run victim NAME from. A victim whose header
# says "STAGE: fixed-path" has its byte counts depend on the length of its own path (ld.so
# keeps the path of every object it loads, and of $ORIGIN, in blocks of its own): it runs
# from a copy, with the libraries it loads, in a directory whose path has the same length
# wherever the checkout lives (the EXPECT numbers were recorded there).
prog_dir() {
    local name=$1 src=$2 wd=$3 st
    if grep -q 'STAGE: *fixed-path' <(head -c 2000 "$src"); then
        st=$(mktemp -d /tmp/lgstage.XXXXXXXX) || return 1
        echo "$st" >>"$wd/staged"
        cp "$LG_PROGS/$name" "$LG_PROGS"/lib*.so "$st/" || return 1
        echo "$st"
    else
        echo "$LG_PROGS"
    fi
}

# victim NAME SRC LABEL [TOOL OPTIONS...]: one victim under `leakgraph run`
victim() {
    local name=$1 src=$2 label=$3
    shift 3
    local d=$WORK/${label//:/-} nexp sup json files reason pd  # no ':' (LEAKGRAPH_OPTIONS' separator)
    mkdir -p "$d"
    read -r nexp sup < <(lg_py expect "$src")
    [ -x "$LG_PROGS/$name" ] || { echo "$LG_PROGS/$name is not built"; return 1; }
    pd=$(prog_dir "$name" "$src" "$WORK") || { echo "cannot stage $name"; return 1; }
    (cd "$d" && LG_PROGS=$pd lg_exec "$d" native 60 "$pd/$name")
    if [ "$nexp" -gt 1 ]; then json=$d/rep.%p.json; else json=$d/rep.json; fi
    (cd "$d" && LG_PROGS=$pd lg_exec "$d" traced 60 "$LG_TOOL" run "$@" --json "$json" -- "$pd/$name")
    reason=$(lg_same_as_native "$d") || { echo "$reason"; return 1; }
    files=$(ls "$d"/rep*.json 2>/dev/null)
    # shellcheck disable=SC2086
    reason=$(lg_py check "$src" "$name" $files) || { echo "$reason"; return 1; }
    case $name in
    three_sites | dlopen_alloc | frees_all)
        reason=$(lg_py special "$name" "$d/rep.json") || { echo "$reason"; return 1; } ;;
    esac
    case $name in
    demo | dlist_ring | self_loop | cycle_off_leaked)
        reason=$(lg_py special cycles=1 "$d/rep.json") || { echo "$reason"; return 1; } ;;
    esac
    if [ "$name" = demo ]; then
        grep -q "LEAK SUMMARY" "$d/traced.err" || { echo "no LEAK SUMMARY in the text report on stderr"; return 1; }
        grep -q "definitely lost" "$d/traced.err" || { echo "no 'definitely lost' in the text report on stderr"; return 1; }
    fi
    if [[ $label == san:* ]]; then
        reason=$(sanitizer_errors "$d/traced.err") && { echo "the ASan-built analyzer complained: $reason"; return 1; }
    fi
    return 0
}

# vg_victim NAME SRC: the Valgrind cross-check of a victim's EXPECT line
vg_victim() {
    local name=$1 src=$2 d=$WORK/vg-$1 reason pd
    mkdir -p "$d"
    [ -x "$LG_PROGS/$name" ] || { echo "$LG_PROGS/$name is not built"; return 1; }
    pd=$(prog_dir "$name" "$src" "$WORK") || { echo "cannot stage $name"; return 1; }
    (cd "$d" && LG_PROGS=$pd lg_exec "$d" vg 600 valgrind --leak-check=full --show-leak-kinds=all \
        --run-libc-freeres=no --run-cxx-freeres=no --trace-children=yes \
        --log-file="$d/vg.%p" "$pd/$name")
    [ "$(cat "$d/vg.rc")" != 124 ] || { echo "valgrind timed out"; return 1; }
    # shellcheck disable=SC2086
    reason=$(lg_py vgcheck "$src" "$name" "$d"/vg.[0-9]*) || { echo "$reason"; return 1; }
}

VICTIMS=()
for src in "$LG_SRC_PROGS"/*.c "$LG_SRC_PROGS"/*.cc; do
    [ -f "$src" ] || continue
    grep -q 'EXPECT' <(head -c 2000 "$src") || continue
    VICTIMS+=("$src")
done

for src in "${VICTIMS[@]}"; do
    name=$(basename "$src")
    name=${name%.*}
    if [ -n "$LG_TOOL" ]; then
        queue "$name" victim "$name" "$src" "$name"
    fi
    if [ "$LG_VALGRIND" = 1 ]; then
        if grep -q 'VALGRIND: *unsupported' <(head -c 2000 "$src"); then
            want "vg:$name" && echo "# vg:$name not cross-checked: $(grep -o 'VALGRIND: *unsupported.*' "$src" | head -1)"
        else
            queue "vg:$name" vg_victim "$name" "$src"
        fi
    fi
done

if [ -n "$LG_TOOL" ]; then
    # The same victims with the ASan+UBSan-built analyzer.
    for name in demo dlist_ring three_sites cxx_new fork_child; do
        if [ -z "$LG_TOOL_SAN" ] || [ ! -x "$LG_TOOL_SAN" ]; then
            queue "san:$name" fail_with "LG_TOOL_SAN (${LG_TOOL_SAN:-unset}) is not an executable"
            continue
        fi
        src=$LG_SRC_PROGS/$name.c
        [ -f "$src" ] || src=$LG_SRC_PROGS/$name.cc
        queue "san:$name" victim "$name" "$src" "san:$name" --tool-path="$LG_TOOL_SAN"
    done
fi

# ---- command line, preload, bad inputs ----------------------------------------------
t_preload() { # LD_PRELOAD without the run command; the analyzer is found next to the library
    local d=$WORK/preload reason
    mkdir -p "$d"
    [ -n "$LG_LIB" ] && [ -f "$LG_LIB" ] || { echo "LG_LIB (${LG_LIB:-unset}) is not a file"; return 1; }
    (cd "$d" && lg_exec "$d" native 60 "$LG_PROGS/direct_leak")
    (cd "$d" && lg_exec "$d" traced 60 env LD_PRELOAD="$LG_LIB" LEAKGRAPH_OPTIONS="json=$d/rep.json" "$LG_PROGS/direct_leak")
    reason=$(lg_same_as_native "$d") || { echo "$reason"; return 1; }
    grep -q "LEAK SUMMARY" "$d/traced.err" || { echo "no LEAK SUMMARY on stderr: $(lg_tail "$d/traced.err")"; return 1; }
    lg_py check "$LG_SRC_PROGS/direct_leak.c" direct_leak "$d/rep.json"
}

t_options_env() { # LEAKGRAPH_OPTIONS through the run command: show the report in JSON
    local d=$WORK/optenv
    mkdir -p "$d"
    (cd "$d" && lg_exec "$d" traced 60 env LEAKGRAPH_OPTIONS="json=$d/rep.json" "$LG_TOOL" run -- "$LG_PROGS/three_sites")
    [ "$(cat "$d/traced.rc")" = 0 ] || { echo "exit status $(cat "$d/traced.rc"): $(lg_tail "$d/traced.err")"; return 1; }
    lg_py check "$LG_SRC_PROGS/three_sites.c" three_sites "$d/rep.json"
}

t_path_lookup() { # PROG without a slash is looked up in PATH, as a shell would
    local d=$WORK/pathlookup reason
    mkdir -p "$d"
    (cd "$d" && lg_exec "$d" native 60 "$LG_PROGS/direct_leak")
    (cd "$d" && lg_exec "$d" traced 60 env PATH="$LG_PROGS:$PATH" "$LG_TOOL" run --json "$d/rep.json" -- direct_leak)
    reason=$(lg_same_as_native "$d") || { echo "$reason"; return 1; }
    lg_py check "$LG_SRC_PROGS/direct_leak.c" direct_leak "$d/rep.json"
}

t_error_exitcode() {
    local d=$WORK/errexit rc
    mkdir -p "$d"
    lg_exec "$d" a 60 "$LG_TOOL" run --error-exitcode=9 -- "$LG_PROGS/direct_leak"
    rc=$(cat "$d/a.rc")
    [ "$rc" = 9 ] || { echo "--error-exitcode=9 on a leaking program: exit $rc, expected 9: $(lg_tail "$d/a.err")"; return 1; }
    lg_exec "$d" b 60 "$LG_TOOL" run --error-exitcode=9 -- "$LG_PROGS/frees_all"
    rc=$(cat "$d/b.rc")
    [ "$rc" = 0 ] || { echo "--error-exitcode=9 on a program without leaks: exit $rc, expected 0: $(lg_tail "$d/b.err")"; return 1; }
}

t_version_help() {
    local d=$WORK/cli
    mkdir -p "$d"
    lg_exec "$d" v 20 "$LG_TOOL" --version
    [ "$(cat "$d/v.rc")" = 0 ] && [ -s "$d/v.out" ] || { echo "--version: exit $(cat "$d/v.rc"), stdout '$(head -c 200 "$d/v.out")'"; return 1; }
    lg_exec "$d" h 20 "$LG_TOOL" --help
    [ "$(cat "$d/h.rc")" = 0 ] && grep -q run "$d/h.out" || { echo "--help: exit $(cat "$d/h.rc"), stdout without 'run'"; return 1; }
    lg_exec "$d" rh 20 "$LG_TOOL" run --help
    [ "$(cat "$d/rh.rc")" = 0 ] && [ -s "$d/rh.out" ] || { echo "run --help: exit $(cat "$d/rh.rc"), empty stdout"; return 1; }
}

t_nonexistent() {
    local d=$WORK/noexe rc
    mkdir -p "$d"
    lg_exec "$d" a 30 "$LG_TOOL" run -- /nonexistent
    rc=$(cat "$d/a.rc")
    [ "$rc" = 127 ] || { echo "exit $rc, expected 127: $(lg_tail "$d/a.err")"; return 1; }
    [ -s "$d/a.err" ] || { echo "no message on stderr"; return 1; }
}

t_unknown_option() {
    local d=$WORK/badopt rc
    mkdir -p "$d"
    lg_exec "$d" a 30 "$LG_TOOL" run --no-such-option -- "$LG_PROGS/direct_leak"
    rc=$(cat "$d/a.rc")
    [ "$rc" = 2 ] || { echo "exit $rc, expected 2: $(lg_tail "$d/a.err")"; return 1; }
    grep -qiE -- '--help|did you mean|usage|try ' "$d/a.err" || { echo "no hint on stderr: $(lg_tail "$d/a.err")"; return 1; }
    [ ! -s "$d/a.out" ] || { echo "the program ran anyway (stdout: $(head -c 100 "$d/a.out"))"; return 1; }
}

t_blocked_signals() { # a thread that blocks every signal: the snapshot completes and names it
    local d=$WORK/blocked tid
    mkdir -p "$d"
    (cd "$d" && lg_exec "$d" traced 60 "$LG_TOOL" run --stop-timeout-ms=300 --json "$d/rep.json" -- "$LG_PROGS/blocked_signals")
    [ "$(cat "$d/traced.rc")" = 0 ] || { echo "exit status $(cat "$d/traced.rc"): $(lg_tail "$d/traced.err")"; return 1; }
    tid=$(sed -n 's/.*thread \([0-9]*\) blocks the stop signal.*/\1/p' "$d/traced.err" | head -1)
    [ -n "$tid" ] || { echo "no 'thread N blocks the stop signal' warning: $(lg_tail "$d/traced.err")"; return 1; }
    grep -q "some threads did not stop" "$d/traced.err" || { echo "the report does not say a thread was not stopped"; return 1; }
    lg_py check "$LG_SRC_PROGS/blocked_signals.c" blocked_signals "$d/rep.json"
}

t_stop_signal_clash() { # the program takes the stop signal over: stops still work, its handler still runs
    local d=$WORK/clash
    mkdir -p "$d"
    (cd "$d" && lg_exec "$d" traced 60 env TMPDIR="$d" "$LG_TOOL" run --stop-timeout-ms=20000 -- "$LG_PROGS/stop_signal_clash")
    [ "$(cat "$d/traced.rc")" = 0 ] || { echo "exit status $(cat "$d/traced.rc"): $(lg_tail "$d/traced.err")"; return 1; }
    grep -q "snapshots 0 0, handler ran 1 time" "$d/traced.out" || { echo "stdout: $(head -c 300 "$d/traced.out")"; return 1; }
    ! grep -q "did not stop" "$d/traced.err" || { echo "a stop timed out: $(lg_tail "$d/traced.err")"; return 1; }
}

t_log_path_unwritable() { # a log path under a regular file: unwritable even for root
    local d=$WORK/logpath bad n reason
    mkdir -p "$d"
    : >"$d/afile"
    bad=$d/afile/sub/log.%p
    (cd "$d" && lg_exec "$d" native 60 "$LG_PROGS/direct_leak")
    (cd "$d" && lg_exec "$d" traced 60 "$LG_TOOL" run --log-path="$bad" -- "$LG_PROGS/direct_leak")
    reason=$(lg_same_as_native "$d") || { echo "$reason"; return 1; }
    n=$(grep -c "afile/sub" "$d/traced.err")
    [ "$n" = 1 ] || { echo "$n lines on stderr mention the log path, expected one warning: $(lg_tail "$d/traced.err")"; return 1; }
    grep -q "LEAK SUMMARY" "$d/traced.err" || { echo "the report did not fall back to stderr: $(lg_tail "$d/traced.err")"; return 1; }
}

t_static_binary() {
    local d=$WORK/static rc
    lg_exec "$d" a 60 "$LG_TOOL" run -- "$d/static_prog"
    rc=$(cat "$d/a.rc")
    [ "$rc" != 0 ] || { echo "exit 0 for a static binary (stderr: $(lg_tail "$d/a.err"))"; return 1; }
    grep -qi "static" "$d/a.err" || { echo "exit $rc but no message naming the static binary: $(lg_tail "$d/a.err")"; return 1; }
}

t_registry_growth() { # growth names the registry's site with the exact delta; chain ends at the global
    local d=$WORK/registry row rc
    mkdir -p "$d"
    (cd "$d" && lg_exec "$d" traced 60 env LG_SNAP_DIR="$d" "$LG_TOOL" run -- "$LG_PROGS/registry_growth")
    [ "$(cat "$d/traced.rc")" = 0 ] || { echo "exit status $(cat "$d/traced.rc"): $(lg_tail "$d/traced.err")"; return 1; }
    [ -s "$d/snap1" ] && [ -s "$d/snap2" ] || { echo "no snapshots snap1, snap2 in $d: $(lg_tail "$d/traced.err")"; return 1; }
    lg_exec "$d" g 60 "$LG_TOOL" growth "$d/snap1" "$d/snap2" --json "$d/g.json"
    [ "$(cat "$d/g.rc")" = 0 ] || { echo "growth: exit $(cat "$d/g.rc"): $(lg_tail "$d/g.err")"; return 1; }
    # N = 7 connections of 48 bytes between the snapshots, still reachable, and nothing else grew
    row=$(grep -E '^new_connection \(' "$d/g.out")
    [ "$(echo "$row" | awk '{n = NF; print $(n-4), $(n-3), $(n-2), $(n-1), $n}')" = "7 +7 336 +336 [reachable]" ] ||
        { echo "growth row for new_connection: '$row'"; return 1; }
    [ "$(grep -c '\[' "$d/g.out")" = 1 ] || { echo "growth shows other rows: $(tr '\n' '|' <"$d/g.out")"; return 1; }
    lg_exec "$d" f 60 "$LG_TOOL" growth "$d/snap1" "$d/snap2" --by function
    grep -qE '^new_connection +12 +\+7 +576 +\+336 +\[reachable\]' "$d/f.out" ||
        { echo "growth --by function: $(tr '\n' '|' <"$d/f.out")"; return 1; }
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["rows"]; assert len(r)==1 and r[0]["count_delta"]==7 and r[0]["bytes_delta"]==336, r' "$d/g.json" ||
        { echo "growth JSON"; return 1; }
    lg_exec "$d" c 60 "$LG_TOOL" chain "$d/snap2" --site 'new_connection'
    [ "$(cat "$d/c.rc")" = 0 ] || { echo "chain --site: exit $(cat "$d/c.rc"): $(lg_tail "$d/c.err")"; return 1; }
    sed -n 2p "$d/c.out" | grep -q '^  global registry (+8) in registry_growth \[module offset 0x' ||
        { echo "the first chain does not start at the global registry: $(head -3 "$d/c.out" | tr '\n' '|')"; return 1; }
    [ "$(grep -c '^chain to' "$d/c.out")" = 10 ] || { echo "not 10 chains without --all"; return 1; }
    lg_exec "$d" a 60 "$LG_TOOL" chain "$d/snap2" --site 'registry_growth.c' --all
    [ "$(grep -c '^chain to' "$d/a.out")" = 12 ] || { echo "--all: not 12 chains: $(lg_tail "$d/a.out")"; return 1; }
    lg_exec "$d" n 60 "$LG_TOOL" chain "$d/snap2" 0x10
    rc=$(cat "$d/n.rc")
    [ "$rc" = 1 ] && grep -q "not inside any heap block" "$d/n.err" || { echo "chain on a non-block: exit $rc: $(lg_tail "$d/n.err")"; return 1; }
    lg_exec "$d" p 60 "$LG_TOOL" chain "$d/snap2" --site 'no_such_function'
    [ "$(cat "$d/p.rc")" = 1 ] && [ -s "$d/p.err" ] || { echo "chain --site matching nothing: exit $(cat "$d/p.rc")"; return 1; }
    lg_exec "$d" t 60 "$LG_TOOL" top "$d/snap2" --by function
    grep -qE '^new_connection +12 +576 +\[reachable\]' "$d/t.out" || { echo "top --by function: $(tr '\n' '|' <"$d/t.out")"; return 1; }
    lg_exec "$d" x 60 "$LG_TOOL" growth "$d/snap1" "$d/snap2" --bye site
    [ "$(cat "$d/x.rc")" = 2 ] && grep -q "did you mean '--by'" "$d/x.err" || { echo "growth --bye: exit $(cat "$d/x.rc"): $(lg_tail "$d/x.err")"; return 1; }
}

t_growth_other_program() { # growth refuses snapshots of two different programs
    local d=$WORK/growth_other
    mkdir -p "$d/a" "$d/b"
    cp "$LG_PROGS/registry_growth" "$d/other_server"
    (cd "$d" && lg_exec "$d" a 60 env LG_SNAP_DIR="$d/a" "$LG_TOOL" run -- "$LG_PROGS/registry_growth")
    (cd "$d" && lg_exec "$d" b 60 env LG_SNAP_DIR="$d/b" "$LG_TOOL" run -- "$d/other_server")
    [ -s "$d/a/snap1" ] && [ -s "$d/b/snap2" ] || { echo "no snapshots: $(lg_tail "$d/b.err")"; return 1; }
    lg_exec "$d" g 60 "$LG_TOOL" growth "$d/a/snap1" "$d/b/snap2"
    [ "$(cat "$d/g.rc")" = 1 ] && grep -q "not the same program" "$d/g.err" || { echo "exit $(cat "$d/g.rc"): $(lg_tail "$d/g.err")"; return 1; }
}

if [ -n "$LG_TOOL" ]; then
    queue preload t_preload
    queue blocked_signals t_blocked_signals
    queue stop_signal_clash t_stop_signal_clash
    queue options_env t_options_env
    queue path_lookup t_path_lookup
    queue error_exitcode t_error_exitcode
    queue version_help t_version_help
    queue nonexistent_127 t_nonexistent
    queue unknown_option t_unknown_option
    queue log_path_unwritable t_log_path_unwritable
    queue registry_growth_cmds t_registry_growth
    queue growth_other_program t_growth_other_program
    # More tests, one file per feature: each defines its t_ functions and queues them.
    for case_file in "$(dirname "$0")"/cases/*.sh; do
        [ -f "$case_file" ] || continue
        # shellcheck disable=SC1090
        . "$case_file"
    done
    if want static_binary; then
        mkdir -p "$WORK/static"
        printf '#include <stdlib.h>\n#include <unistd.h>\nint main(void){char *volatile p = malloc(10); p[0] = 0; write(1, "static\\n", 7); return 0;}\n' >"$WORK/static/s.c"
        if gcc -static -O0 -o "$WORK/static/static_prog" "$WORK/static/s.c" >"$WORK/static/cc.log" 2>&1; then
            queue static_binary t_static_binary
        else
            # libc.a comes with libc6-dev, which gcc needs anyway: not a reason to skip.
            queue static_binary fail_with "cannot link a static program (is libc6-dev installed?): $(head -c 200 "$WORK/static/cc.log")"
        fi
    fi
fi

wait
lg_collect "$RES"/*
lg_summary
