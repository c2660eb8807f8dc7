# leakgraph check: a multi-process suite (tests/check_suite/suite.sh runs the victims
# chk_leaky, chk_forker: fork, fork + exec, posix_spawn, and chk_crash) under check.
# Leaks of mode "leaks": leak_site_a 16 B (chk_leaky a), child_leak 24 B (chk_forker's
# fork child), leak_site_b 32 B (chk_leaky b, posix_spawn'ed); "new" adds leak_site_c
# 48 B; "grow" loses leak_site_a twice. Outputs are checked by real consumers
# (tests/check_suite/validate.py: python3-jsonschema, python3-junitparser, Valgrind's XML).

CK_SUITE=$LG_E2E_DIR/../check_suite
CK_PY=/usr/bin/python3 # Debian's, where python3-jsonschema and python3-junitparser are

# ck DIR TAG MODE [CHECK OPTIONS...]: leakgraph check OPTIONS -- suite.sh PROGS MODE, run
# in DIR; DIR/TAG.{out,err,rc}.
ck() {
    local d=$1 tag=$2 mode=$3
    shift 3
    mkdir -p "$d"
    (cd "$d" && lg_exec "$d" "$tag" 120 "$LG_TOOL" check --lib "$LG_LIB" "$@" -- \
        "$CK_SUITE/suite.sh" "$LG_PROGS" "$mode")
}
ck_rc() { cat "$1/$2.rc"; }
ck_want_rc() { # DIR TAG STATUS
    [ "$(ck_rc "$1" "$2")" = "$3" ] || { echo "$2: exit status $(ck_rc "$1" "$2"), want $3: $(lg_tail "$1/$2.err")"; return 1; }
}
ck_verdicts() { "$CK_PY" "$CK_SUITE/validate.py" verdicts "$1"; } # JSON: "KIND VERDICT BYTES FUNCTION SUPP" lines

t_check_exit_status() {
    local d=$WORK/check_status v
    ck "$d" clean clean --json "$d/clean.json" && ck_want_rc "$d" clean 0 || return 1
    grep -q "^leakgraph check: passed: 0 failing leaks" "$d/clean.err" || { echo "clean: no 'passed' line: $(lg_tail "$d/clean.err")"; return 1; }
    ck "$d" status3 status3 && ck_want_rc "$d" status3 3 || return 1 # CMD's own status
    ck "$d" leaks leaks --json "$d/leaks.json" && ck_want_rc "$d" leaks 23 || return 1
    ck "$d" code42 leaks --error-exitcode=42 && ck_want_rc "$d" code42 42 || return 1
    # possibly lost is not a failing kind by default: only definite ones here, so this passes
    ck "$d" kinds leaks --errors-for-leak-kinds=possible && ck_want_rc "$d" kinds 0 || return 1
    v=$(ck_verdicts "$d/leaks.json") || { echo "$v"; return 1; }
    for want in "definite new 16 leak_site_a" "definite new 24 child_leak" "definite new 32 leak_site_b"; do
        echo "$v" | grep -q "^$want " || { echo "leaks: no verdict '$want' in: $(echo "$v" | tr '\n' '|')"; return 1; }
    done
    # the process tree: sh, chk_leaky a, chk_forker, its fork child, the exec'd and the spawned chk_leaky
    local n
    n=$("$CK_PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["processes"]) + len(d["missing_reports"]))' "$d/leaks.json")
    [ "$n" = 6 ] || { echo "leaks: $n processes in the JSON report, want 6 (sh, 2 chk_leaky, chk_forker, its fork child, the spawned chk_leaky)"; return 1; }
}
queue check_exit_status t_check_exit_status

t_check_suppression() {
    local d=$WORK/check_supp v
    mkdir -p "$d"
    printf '# silence exactly the spawned one\nleak:^leak_site_b$\nleak[indirect]:child_leak\nleak:never_matches_xyz\n' >"$d/s.supp"
    ck "$d" one leaks --suppressions "$d/s.supp" --json "$d/one.json" && ck_want_rc "$d" one 23 || return 1
    v=$(ck_verdicts "$d/one.json") || { echo "$v"; return 1; }
    [ "$(echo "$v" | grep -c ' suppressed ')" = 1 ] || { echo "want exactly one suppressed leak: $(echo "$v" | tr '\n' '|')"; return 1; }
    echo "$v" | grep -q "^definite suppressed 32 leak_site_b $d/s.supp:2$" || { echo "leak_site_b not suppressed by s.supp:2: $(echo "$v" | tr '\n' '|')"; return 1; }
    # the kind filter: child_leak is definite, so leak[indirect] does not apply
    echo "$v" | grep -q "^definite new 24 child_leak " || { echo "child_leak should stay new: $(echo "$v" | tr '\n' '|')"; return 1; }
    grep -q "s.supp:2: matched 1 leak, 32 bytes" "$d/one.err" || { echo "no match count for s.supp:2: $(lg_tail "$d/one.err")"; return 1; }
    grep -q "s.supp:4: matched nothing (leak:never_matches_xyz)" "$d/one.err" || { echo "unused rule not listed: $(lg_tail "$d/one.err")"; return 1; }
    # --gen-suppressions: its rules, fed back, silence every leak
    ck "$d" gen leaks --gen-suppressions && ck_want_rc "$d" gen 23 || return 1
    grep '^leak\[' "$d/gen.err" >"$d/gen.supp"
    [ "$(wc -l <"$d/gen.supp")" = 3 ] || { echo "--gen-suppressions printed $(wc -l <"$d/gen.supp") rules, want 3: $(lg_tail "$d/gen.err")"; return 1; }
    ck "$d" all leaks --suppressions "$d/gen.supp" && ck_want_rc "$d" all 0 || return 1
}
queue check_suppression t_check_suppression

t_check_baseline() {
    local d=$WORK/check_base v
    ck "$d" write leaks --baseline-write "$d/b.txt" && ck_want_rc "$d" write 23 || return 1
    head -1 "$d/b.txt" | grep -qx '# leakgraph baseline 1' || { echo "baseline header: $(head -1 "$d/b.txt")"; return 1; }
    grep -q "^16	1	definite	leak_site_a@chk_leaky.c < main@chk_leaky.c$" "$d/b.txt" || { echo "no leak_site_a key: $(cat "$d/b.txt" | tr '\n' '|')"; return 1; }
    grep -q '0x' "$d/b.txt" && { echo "baseline keys hold addresses: $(cat "$d/b.txt" | tr '\n' '|')"; return 1; }
    # the same leaks (other pids, other addresses: ASLR): pass
    ck "$d" same leaks --baseline "$d/b.txt" && ck_want_rc "$d" same 0 || return 1
    # a new site fails, and only it
    ck "$d" new new --baseline "$d/b.txt" --json "$d/new.json" --sarif "$d/new.sarif" && ck_want_rc "$d" new 23 || return 1
    v=$(ck_verdicts "$d/new.json") || { echo "$v"; return 1; }
    [ "$(echo "$v" | grep -c ' new ')" = 1 ] && echo "$v" | grep -q "^definite new 48 leak_site_c " ||
        { echo "want leak_site_c as the one new leak: $(echo "$v" | tr '\n' '|')"; return 1; }
    echo "$v" | grep -q "^definite baseline 16 leak_site_a " || { echo "leak_site_a not in the baseline: $(echo "$v" | tr '\n' '|')"; return 1; }
    v=$("$CK_PY" "$CK_SUITE/validate.py" sarif "$d/new.sarif" "$LG_SARIF_SCHEMA") || { echo "$v"; return 1; }
    echo "$v" | grep -q "leak_site_c new$" && echo "$v" | grep -q "leak_site_a unchanged$" ||
        { echo "SARIF baselineState: $(echo "$v" | tr '\n' '|')"; return 1; }
    # a site that grew: fails, unless within the tolerance
    ck "$d" grow grow --baseline "$d/b.txt" && ck_want_rc "$d" grow 23 || return 1
    grep -q "definitely lost: 32 bytes in 2 blocks, .*grew beyond the baseline: 16 bytes in the baseline" "$d/grow.err" ||
        { echo "grow: no 'grew beyond the baseline' leak: $(lg_tail "$d/grow.err")"; return 1; }
    ck "$d" tol grow --baseline "$d/b.txt" --baseline-tolerance 16 && ck_want_rc "$d" tol 0 || return 1
    ck "$d" pct grow --baseline "$d/b.txt" --baseline-tolerance 50% && ck_want_rc "$d" pct 23 || return 1
}
queue check_baseline t_check_baseline

t_check_outputs() {
    local d=$WORK/check_out v
    ck "$d" run leaks --junit "$d/j.xml" --sarif "$d/s.sarif" --xml "$d/vg.xml" && ck_want_rc "$d" run 23 || return 1
    ck "$d" perproc leaks --xml "$d/vg.%p.xml" && ck_want_rc "$d" perproc 23 || return 1
    v=$("$CK_PY" "$CK_SUITE/validate.py" sarif "$d/s.sarif" "$LG_SARIF_SCHEMA") || { echo "$v"; return 1; }
    [ "$(echo "$v" | grep -c '^result definitely-lost error ')" = 3 ] || { echo "SARIF: want 3 definitely-lost errors: $(echo "$v" | tr '\n' '|')"; return 1; }
    echo "$v" | grep -q "^result definitely-lost error [^ ]*chk_leaky.c:18 leak_site_a " || { echo "SARIF: leak_site_a not at chk_leaky.c:18: $(echo "$v" | tr '\n' '|')"; return 1; }
    v=$("$CK_PY" "$CK_SUITE/validate.py" junit "$d/j.xml") || { echo "$v"; return 1; }
    echo "$v" | grep -qx "tests=6 failures=3 skipped=1 errors=0" || { echo "JUnit counts: $(echo "$v" | tr '\n' '|')"; return 1; }
    echo "$v" | grep -q "chk_leaky b: failure definitely lost: 32 bytes in 1 blocks @ at leak_site_b" || { echo "JUnit: no leak_site_b failure with its stack: $(echo "$v" | tr '\n' '|')"; return 1; }
    # Valgrind's own XML for a victim with the same leak kinds: our element paths are its
    (cd "$d" && valgrind --xml=yes --xml-file="$d/real.xml" --leak-check=full --show-leak-kinds=all \
        --run-libc-freeres=no "$LG_PROGS/chk_leaky" ab >/dev/null 2>&1)
    grep -q '<kind>Leak_DefinitelyLost</kind>' "$d/real.xml" || { echo "valgrind wrote no leak error: $(head -c 300 "$d/real.xml")"; return 1; }
    v=$("$CK_PY" "$CK_SUITE/validate.py" vgxml "$d/vg.xml" "$d/real.xml") || { echo "$v"; return 1; }
    [ "$(echo "$v" | grep -c '^error Leak_DefinitelyLost ')" = 3 ] || { echo "XML: want 3 Leak_DefinitelyLost: $(echo "$v" | tr '\n' '|')"; return 1; }
    local n
    n=$(ls "$d"/vg.[0-9]*.xml 2>/dev/null | wc -l)
    [ "$n" = 5 ] || { echo "--xml with %p: $n files, want one per process with a report (5)"; return 1; }
}
queue check_outputs t_check_outputs

t_check_crash() {
    local d=$WORK/check_crash v
    ck "$d" run crash --trace-children-skip=sh,dash --json "$d/c.json" --junit "$d/j.xml" && ck_want_rc "$d" run 23 || return 1
    grep -q "^chk_crash: status 139" "$d/run.out" || { echo "the victim did not die of SIGSEGV: $(cat "$d/run.out")"; return 1; }
    grep -q "^chk_crash exit: status 0" "$d/run.out" || { echo "chk_crash exit did not exit 0: $(cat "$d/run.out")"; return 1; }
    # the crash leaves a crash snapshot: listed as crashed, its leak judged like any other
    grep -qE "^  pid [0-9]+: crashed: $LG_PROGS/chk_crash: SIGSEGV \(sent by tgkill or raise\) at " "$d/run.err" ||
        { echo "crashed process not listed as crashed by SIGSEGV: $(lg_tail "$d/run.err")"; return 1; }
    grep -qE "^  definitely lost: 64 bytes in 1 blocks, pid [0-9]+ \(chk_crash\)" "$d/run.err" ||
        { echo "the crashed process's 64-byte leak is not among the failing leaks: $(lg_tail "$d/run.err")"; return 1; }
    # _exit skips every report: "no report"
    grep -qE "^  pid [0-9]+: no report: $LG_PROGS/chk_crash exit: " "$d/run.err" || { echo "the _exit process not listed as 'no report': $(lg_tail "$d/run.err")"; return 1; }
    # so does a fork child that _exits (the parent, chk_crash forkexit, has its report)
    [ "$(grep -cE "^  pid [0-9]+: no report: $LG_PROGS/chk_crash forkexit: " "$d/run.err")" = 1 ] ||
        { echo "the fork child that _exits is not listed once as 'no report': $(grep 'no report' "$d/run.err" | tr '\n' '|')"; return 1; }
    grep -qE "^  pid [0-9]+: $LG_PROGS/chk_crash forkexit: definitely lost 0 B" "$d/run.err" ||
        { echo "the forking parent has no report: $(grep forkexit "$d/run.err" | tr '\n' '|')"; return 1; }
    v=$(ck_verdicts "$d/c.json") || { echo "$v"; return 1; }
    [ "$(echo "$v" | grep -c '^missing ')" = 2 ] || { echo "want exactly two missing reports (_exit, its fork child; sh skipped): $(echo "$v" | tr '\n' '|')"; return 1; }
    v=$("$CK_PY" "$CK_SUITE/validate.py" junit "$d/j.xml") || { echo "$v"; return 1; }
    echo "$v" | grep -q "chk_crash exit: skipped no report" || { echo "JUnit: the _exit process is not a skipped testcase: $(echo "$v" | tr '\n' '|')"; return 1; }
    grep -q "<system-err>crashed: SIGSEGV" "$d/j.xml" || { echo "JUnit: the crash is not in the testcase's system-err"; return 1; }
    # with --fail-on-missing-report and the leaks suppressed, the missing report alone fails the run
    printf 'leak:leak_site_\nleak:child_leak\nleak:main\n' >"$d/all.supp"
    ck "$d" quiet crash --trace-children-skip=sh,dash --suppressions "$d/all.supp" && ck_want_rc "$d" quiet 0 || return 1
    ck "$d" strict crash --trace-children-skip=sh,dash --suppressions "$d/all.supp" --fail-on-missing-report &&
        ck_want_rc "$d" strict 23 || return 1
}
queue check_crash t_check_crash

t_check_skip() {
    local d=$WORK/check_skip n
    ck "$d" run leaks --trace-children-skip='sh,dash,chk_for*' --json "$d/s.json" && ck_want_rc "$d" run 23 || return 1
    n=$("$CK_PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(" ".join(sorted(p["exe"].rsplit("/",1)[1] for p in d["processes"])), len(d["missing_reports"]))' "$d/s.json")
    # chk_forker (and so its fork child) is skipped; what it exec'd and spawned is traced
    [ "$n" = "chk_leaky chk_leaky chk_leaky 0" ] || { echo "traced with sh,dash,chk_for* skipped: '$n', want 'chk_leaky chk_leaky chk_leaky 0'"; return 1; }
}
queue check_skip t_check_skip

t_check_bad_input() {
    local d=$WORK/check_bad
    mkdir -p "$d"
    ck "$d" nofile leaks --suppressions "$d/missing.supp" --json "$d/never.json"
    ck_want_rc "$d" nofile 2 || return 1
    grep -q "$d/missing.supp: cannot read the suppression file: No such file" "$d/nofile.err" || { echo "missing file: $(lg_tail "$d/nofile.err")"; return 1; }
    [ ! -e "$d/never.json" ] && ! grep -q chk_leaky "$d/nofile.out" || { echo "CMD ran despite the bad suppression file"; return 1; }
    printf 'leak:ok\n# fine\nlaek:typo\n' >"$d/bad.supp"
    ck "$d" badsupp leaks --suppressions "$d/bad.supp" && ck_want_rc "$d" badsupp 2 || return 1
    grep -q "$d/bad.supp:3: unknown suppression type 'laek'" "$d/badsupp.err" || { echo "bad line: $(lg_tail "$d/badsupp.err")"; return 1; }
    grep -q chk_leaky "$d/badsupp.out" && { echo "CMD ran despite the bad suppression line"; return 1; }
    printf 'leak[definit]:x\n' >"$d/kind.supp"
    ck "$d" badkind leaks --suppressions "$d/kind.supp" && ck_want_rc "$d" badkind 2 || return 1
    grep -q "kind.supp:1: unknown leak kind 'definit'; did you mean 'definite'" "$d/badkind.err" || { echo "bad kind: $(lg_tail "$d/badkind.err")"; return 1; }
    printf '# leakgraph baseline 1\n16\t1\tdefinite\tf@a.c\nnot a line\n' >"$d/bad.base"
    ck "$d" badbase leaks --baseline "$d/bad.base" && ck_want_rc "$d" badbase 2 || return 1
    grep -q "$d/bad.base:3: expected 4 tab-separated fields" "$d/badbase.err" || { echo "bad baseline line: $(lg_tail "$d/badbase.err")"; return 1; }
    printf 'leak:foo\n' >"$d/notbase"
    ck "$d" notbase leaks --baseline "$d/notbase" && ck_want_rc "$d" notbase 2 || return 1
    grep -q "notbase:1: not a leakgraph baseline" "$d/notbase.err" || { echo "not a baseline: $(lg_tail "$d/notbase.err")"; return 1; }
    ck "$d" dir leaks --baseline "$d" && ck_want_rc "$d" dir 2 || return 1
    (cd "$d" && lg_exec "$d" notfound 30 "$LG_TOOL" check --lib "$LG_LIB" -- no-such-command-xyz)
    ck_want_rc "$d" notfound 127 || return 1
    grep -q "no-such-command-xyz: command not found" "$d/notfound.err" || { echo "not found: $(lg_tail "$d/notfound.err")"; return 1; }
    (cd "$d" && lg_exec "$d" nocmd 30 "$LG_TOOL" check --junit x.xml)
    ck_want_rc "$d" nocmd 2 || return 1
    (cd "$d" && lg_exec "$d" typo 30 "$LG_TOOL" check --suppresions x -- true)
    ck_want_rc "$d" typo 2 || return 1
    grep -q "did you mean '--suppressions'" "$d/typo.err" || { echo "typo hint: $(lg_tail "$d/typo.err")"; return 1; }
    ck "$d" tol leaks --baseline-tolerance 5x && ck_want_rc "$d" tol 2 || return 1
    ck "$d" skipcolon leaks --trace-children-skip=a:b && ck_want_rc "$d" skipcolon 2 || return 1
}
queue check_bad_input t_check_bad_input

t_check_sigterm() { # a cancelled CI job: SIGTERM to check reaches CMD, and check still reports
    local d=$WORK/check_sigterm
    mkdir -p "$d"
    "$LG_TOOL" check --json "$d/t.json" -- "$LG_PROGS/chk_sleeper" </dev/null >"$d/t.out" 2>"$d/t.err" &
    local job=$! i
    for i in $(seq 1 100); do
        grep -q "sleeping" "$d/t.out" 2>/dev/null && break
        sleep 0.1
    done
    kill -TERM "$job"
    for i in $(seq 1 600); do # never wait for ever: a lost SIGTERM leaves CMD sleeping 10 min
        kill -0 "$job" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$job" 2>/dev/null; then
        pkill -KILL -f "$LG_PROGS/chk_sleeper" 2>/dev/null
        kill -KILL "$job" 2>/dev/null
        wait "$job"
        echo "check still running 60 s after SIGTERM: the signal did not reach CMD"
        return 1
    fi
    wait "$job"
    local rc=$?
    [ "$rc" = 143 ] || { echo "check exited $rc after SIGTERM, want CMD's 128+15: $(lg_tail "$d/t.err")"; return 1; }
    grep -qE "^  pid [0-9]+: no report: $LG_PROGS/chk_sleeper" "$d/t.err" ||
        { echo "the terminated CMD is not listed as 'no report': $(lg_tail "$d/t.err")"; return 1; }
    [ -s "$d/t.json" ] || { echo "no JSON written after SIGTERM"; return 1; }
}
queue check_sigterm t_check_sigterm
