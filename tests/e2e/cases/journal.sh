# The SIGKILL journal and the core-dump analysis (journal=, analyze --journal/--core).
# Victim: tests/progs/journal_victim.c. At death it holds 12 blocks, 1,780 bytes, from 7
# sites: still reachable 1,540/6 (a global list, a local, a realloc'ed global), definitely
# lost 176/4 (three dropped blocks and the head of a dropped ring), indirectly lost 64/2,
# cyclic 96/3.

# notice TEXT: a '#' line in the results (a test that had to take another way).
jr_notice() { echo "# $*" >"${out:-/dev/null}.notice"; }

# jr_start DIR MODE: start the victim with the journal; waits for its ready file; sets jr_pid.
jr_start() {
    local d=$1 mode=$2 i
    rm -f "$d/ready"
    (cd "$d" && exec env LD_PRELOAD="$LG_LIB" LEAKGRAPH_OPTIONS="journal=$d/j.%p.lgj:report=0" \
        "$LG_PROGS/journal_victim" "$mode" "$d/ready" </dev/null >"$d/victim.out" 2>"$d/victim.err") &
    jr_pid=$!
    for i in $(seq 100); do
        [ -f "$d/ready" ] && return 0
        sleep 0.1
    done
    kill -9 "$jr_pid" 2>/dev/null
    echo "the victim never became ready: $(lg_tail "$d/victim.err")"
    return 1
}

# The LEAK SUMMARY's five kind lines, without the pid prefix.
jr_summary() { sed -n 's/^==[0-9]*== *\(definitely lost\|indirectly lost\|possibly lost\|still reachable\|cyclic\):/\1:/p' "$1"; }

JR_WANT='definitely lost: 176 bytes in 4 blocks
indirectly lost: 64 bytes in 2 blocks
possibly lost: 0 bytes in 0 blocks
still reachable: 1,540 bytes in 6 blocks
cyclic: 96 bytes in 3 blocks (1 cycles)'

# SIGKILL mid-run: the journal lists the live blocks by site, with stacks, unclassified.
t_journal_sigkill() {
    local d=$WORK/journal_sigkill j
    mkdir -p "$d"
    jr_start "$d" kill || return 1
    kill -9 "$jr_pid"
    wait "$jr_pid" 2>/dev/null
    j=$d/j.$jr_pid.lgj
    [ -f "$j" ] || { echo "no journal $j after SIGKILL: $(ls "$d")"; return 1; }
    lg_exec "$d" an 60 "$LG_TOOL_SAN" analyze --journal "$j" --json "$d/live.json"
    [ "$(cat "$d/an.rc")" = 0 ] || { echo "analyze --journal exit $(cat "$d/an.rc"): $(lg_tail "$d/an.err")"; return 1; }
    grep -q "LIVE AT DEATH: 1,780 bytes in 12 blocks from 7 sites (not classified: no memory image)" "$d/an.err" ||
        { echo "wrong totals: $(lg_tail "$d/an.err")"; return 1; }
    grep -A1 "400 bytes in 4 blocks live at death" "$d/an.err" | grep -q "make_kept (tests/progs/journal_victim.c" ||
        { echo "no make_kept record with its stack: $(grep 'live at death' "$d/an.err" | head -3)"; return 1; }
    grep -A1 "144 bytes in 3 blocks live at death" "$d/an.err" | grep -q "make_lost" ||
        { echo "no make_lost record"; return 1; }
    grep -A1 "640 bytes in 1 blocks live at death" "$d/an.err" | grep -q "churn" ||
        { echo "the realloc'ed block is not journaled with its new size"; return 1; }
    python3 - "$d/live.json" <<'EOF' || return 1
import json, sys
r = json.load(open(sys.argv[1]))
assert r["classified"] is False and r["source"] == "journal", r
assert r["live"] == {"bytes": 1780, "blocks": 12, "sites": 7}, r["live"]
fns = {s["stack"][0]["function"] for s in r["sites"] if s["stack"]}
assert {"make_kept", "make_lost", "make_ring", "make_local", "churn"} <= fns, fns
EOF
}
queue journal_sigkill t_journal_sigkill

# A normal exit removes the journal; `leakgraph run --journal` passes the option on.
t_journal_removed_at_exit() {
    local d=$WORK/journal_exit
    mkdir -p "$d"
    (cd "$d" && lg_exec "$d" run 60 "$LG_TOOL" run --journal="$d/j.%p.lgj" -- "$LG_PROGS/direct_leak")
    [ "$(cat "$d/run.rc")" != 124 ] || { echo "timed out"; return 1; }
    grep -q "definitely lost" "$d/run.err" || { echo "no exit report: $(lg_tail "$d/run.err")"; return 1; }
    if ls "$d"/j.*.lgj >/dev/null 2>&1; then echo "journal left after a normal exit: $(ls "$d")"; return 1; fi
}
queue journal_removed_at_exit t_journal_removed_at_exit

# The core dump of a crashed victim gives the same classification as a snapshot of the
# same heap taken just before the crash (leakgraph_snapshot), and the victim's numbers.
t_core_agrees() {
    local d=$WORK/core_agrees core pattern j
    mkdir -p "$d"
    pattern=$(cat /proc/sys/kernel/core_pattern 2>/dev/null)
    ulimit -c unlimited 2>/dev/null
    if [ "${pattern:0:1}" != "|" ] && [ "$(ulimit -c)" = unlimited ]; then
        (cd "$d" && exec env LD_PRELOAD="$LG_LIB" LEAKGRAPH_OPTIONS="journal=$d/j.%p.lgj:report=0:output_dir=$d" \
            "$LG_PROGS/journal_victim" crash "$d/snap.lgs" </dev/null >"$d/victim.out" 2>"$d/victim.err")
        # a relative core_pattern ("core", "core.%p") puts the core in the working directory
        core=$(ls -t "$d" | grep -E '^core' | head -1)
        [ -n "$core" ] && core=$d/$core
        j=$(ls "$d"/j.*.lgj 2>/dev/null | head -1)
    fi
    if [ -z "${core:-}" ] || [ ! -s "$core" ]; then
        # core_pattern pipes to a program we do not control, or no core is allowed: a core
        # of the live, stopped victim (gdb's gcore) stands in for the crash core.
        jr_notice "core_agrees: no crash core (core_pattern '$pattern', ulimit -c $(ulimit -c)); using gcore on a stopped victim"
        jr_start "$d" stop || return 1
        kill -STOP "$jr_pid"
        timeout 60 gcore -o "$d/gcore" "$jr_pid" >"$d/gcore.log" 2>&1
        kill -9 "$jr_pid"; wait "$jr_pid" 2>/dev/null
        core=$d/gcore.$jr_pid
        j=$d/j.$jr_pid.lgj
        [ -s "$core" ] || { echo "gcore made no core: $(lg_tail "$d/gcore.log")"; return 1; }
    fi
    [ -n "$j" ] && [ -f "$j" ] || { echo "no journal after the crash: $(ls "$d")"; return 1; }
    lg_exec "$d" core 120 "$LG_TOOL_SAN" analyze --journal "$j" --core "$core" --show-leak-kinds=all --json "$d/core.json"
    [ "$(cat "$d/core.rc")" = 0 ] || { echo "analyze --core exit $(cat "$d/core.rc"): $(lg_tail "$d/core.err")"; return 1; }
    [ "$(jr_summary "$d/core.err")" = "$JR_WANT" ] ||
        { echo "core analysis: $(jr_summary "$d/core.err" | tr '\n' '|')"; return 1; }
    grep -A1 "144 bytes in 3 blocks are definitely lost" "$d/core.err" | grep -q make_lost ||
        { echo "no make_lost loss record with its stack"; return 1; }
    if [ -f "$d/snap.lgs" ]; then
        lg_exec "$d" snap 60 "$LG_TOOL_SAN" analyze "$d/snap.lgs" --show-leak-kinds=all
        [ "$(jr_summary "$d/snap.err")" = "$(jr_summary "$d/core.err")" ] ||
            { echo "snapshot and core disagree: $(jr_summary "$d/snap.err" | tr '\n' '|') vs core"; return 1; }
        # the snapshot's own block list with the core's memory: the same again
        lg_exec "$d" snapcore 60 "$LG_TOOL_SAN" analyze "$d/snap.lgs" --core "$core" --show-leak-kinds=all
        [ "$(jr_summary "$d/snapcore.err")" = "$JR_WANT" ] ||
            { echo "snapshot + core: $(jr_summary "$d/snapcore.err" | tr '\n' '|')"; return 1; }
    fi
    # a crash snapshot of the same run (on_crash=snapshot), when the tracer wrote one
    local crash
    crash=$(ls "$d"/leakgraph.*.lgs 2>/dev/null | head -1)
    if [ -n "$crash" ]; then
        lg_exec "$d" crash 60 "$LG_TOOL_SAN" analyze "$crash" --show-leak-kinds=all
        [ "$(jr_summary "$d/crash.err")" = "$JR_WANT" ] ||
            { echo "crash snapshot: $(jr_summary "$d/crash.err" | tr '\n' '|')"; return 1; }
    fi
    python3 - "$d/core.json" <<'EOF' || return 1
import json, sys
r = json.load(open(sys.argv[1]))
s = r["summary"]
assert s["definitely_lost"] == {"bytes": 176, "blocks": 4}, s
assert s["cyclic"]["blocks"] == 3, s
EOF
    # bad inputs: each a clear error and exit 2, never a report
    head -c 200000 "$core" >"$d/core.trunc"
    lg_exec "$d" trunc 60 "$LG_TOOL_SAN" analyze --journal "$j" --core "$d/core.trunc"
    [ "$(cat "$d/trunc.rc")" = 2 ] && grep -q "truncated core" "$d/trunc.err" ||
        { echo "truncated core: exit $(cat "$d/trunc.rc"): $(lg_tail "$d/trunc.err")"; return 1; }
    lg_exec "$d" notcore 60 "$LG_TOOL_SAN" analyze --journal "$j" --core "$LG_PROGS/journal_victim"
    [ "$(cat "$d/notcore.rc")" = 2 ] && grep -q "not a core dump" "$d/notcore.err" ||
        { echo "an executable as core: exit $(cat "$d/notcore.rc"): $(lg_tail "$d/notcore.err")"; return 1; }
    # a journal of another run of the same program
    local d2=$WORK/core_agrees_other
    mkdir -p "$d2"
    jr_start "$d2" kill || return 1
    kill -9 "$jr_pid"; wait "$jr_pid" 2>/dev/null
    lg_exec "$d" other 60 "$LG_TOOL_SAN" analyze --journal "$d2/j.$jr_pid.lgj" --core "$core"
    [ "$(cat "$d/other.rc")" = 2 ] && grep -q "do not describe the same process" "$d/other.err" ||
        { echo "journal of another run: exit $(cat "$d/other.rc"): $(lg_tail "$d/other.err")"; return 1; }
    ! grep -q "LEAK SUMMARY" "$d/other.err" "$d/trunc.err" "$d/notcore.err" || { echo "a report after an error"; return 1; }
}
queue core_agrees t_core_agrees

# Bad journals: a clear error and exit 2.
t_journal_bad_input() {
    local d=$WORK/journal_bad
    mkdir -p "$d"
    printf 'LGJRNL\r\n' >"$d/short.lgj"
    head -c 5000 /dev/urandom >"$d/random.lgj"
    local f
    for f in short random; do
        lg_exec "$d" $f 30 "$LG_TOOL_SAN" analyze --journal "$d/$f.lgj"
        [ "$(cat "$d/$f.rc")" = 2 ] && grep -q "not a valid leakgraph journal" "$d/$f.err" ||
            { echo "$f: exit $(cat "$d/$f.rc"): $(lg_tail "$d/$f.err")"; return 1; }
    done
    lg_exec "$d" both 30 "$LG_TOOL" analyze "$d/x.lgs" --journal "$d/short.lgj"
    [ "$(cat "$d/both.rc")" = 2 ] || { echo "a snapshot and --journal together were accepted"; return 1; }
    lg_exec "$d" coreonly 30 "$LG_TOOL" analyze --core "$d/short.lgj"
    [ "$(cat "$d/coreonly.rc")" = 2 ] && grep -q "needs the block list" "$d/coreonly.err" ||
        { echo "--core alone: $(lg_tail "$d/coreonly.err")"; return 1; }
}
queue journal_bad_input t_journal_bad_input

# SIGKILL while four threads allocate, reallocate and free without pause: whatever instant
# the kill hits, the journal reads cleanly (no torn record, no overlapping blocks) and holds
# at most what the threads can keep live.
t_journal_sigkill_threads() {
    local d=$WORK/journal_threads round n
    mkdir -p "$d"
    for round in 1 2 3; do
        rm -f "$d/ready" "$d"/j.*.lgj
        (cd "$d" && exec env LD_PRELOAD="$LG_LIB" LEAKGRAPH_OPTIONS="journal=$d/j.%p.lgj:report=0" \
            "$LG_PROGS/journal_churn" "$d/ready" </dev/null >"$d/victim.out" 2>"$d/victim.err") &
        jr_pid=$!
        for n in $(seq 100); do [ -f "$d/ready" ] && break; sleep 0.1; done
        sleep 0.$((round * 3))
        kill -9 "$jr_pid"
        wait "$jr_pid" 2>/dev/null
        lg_exec "$d" an$round 60 "$LG_TOOL_SAN" analyze --journal "$d/j.$jr_pid.lgj" --json "$d/live$round.json"
        [ "$(cat "$d/an$round.rc")" = 0 ] || { echo "round $round: exit $(cat "$d/an$round.rc"): $(lg_tail "$d/an$round.err")"; return 1; }
        python3 - "$d/live$round.json" <<'PYEOF' || return 1
import json, sys
r = json.load(open(sys.argv[1]))
n = r["live"]["blocks"]
assert 100 <= n <= 4 * 256 + 40, "implausible live count %d" % n
assert r["dropped_blocks"] == 0 and r["missing_stacks"] == 0, r
fns = {s["stack"][0]["function"] for s in r["sites"] if s["stack"]}
assert {"leaf_a", "leaf_b", "churn"} & fns, fns
PYEOF
    done
}
queue journal_sigkill_threads t_journal_sigkill_threads

# A core of a live multi-threaded process (gcore on the stopped churn victim): the blocks
# each thread holds in its stack array are reached through that thread's stack
# (NT_PRSTATUS stack pointers), so nothing is definitely lost.
t_core_threads() {
    local d=$WORK/core_threads n
    mkdir -p "$d"
    command -v gcore >/dev/null || { echo "gcore (gdb) is not installed"; return 1; }
    (cd "$d" && exec env LD_PRELOAD="$LG_LIB" LEAKGRAPH_OPTIONS="journal=$d/j.%p.lgj:report=0" \
        "$LG_PROGS/journal_churn" "$d/ready" </dev/null >"$d/victim.out" 2>"$d/victim.err") &
    jr_pid=$!
    for n in $(seq 100); do [ -f "$d/ready" ] && break; sleep 0.1; done
    kill -STOP "$jr_pid"
    timeout 120 gcore -o "$d/gcore" "$jr_pid" >"$d/gcore.log" 2>&1
    kill -9 "$jr_pid"
    wait "$jr_pid" 2>/dev/null
    [ -s "$d/gcore.$jr_pid" ] || { echo "gcore made no core: $(lg_tail "$d/gcore.log")"; return 1; }
    lg_exec "$d" an 120 "$LG_TOOL_SAN" analyze --journal "$d/j.$jr_pid.lgj" --core "$d/gcore.$jr_pid" --json "$d/rep.json"
    rm -f "$d/gcore.$jr_pid"
    [ "$(cat "$d/an.rc")" = 0 ] || { echo "exit $(cat "$d/an.rc"): $(lg_tail "$d/an.err")"; return 1; }
    python3 - "$d/rep.json" <<'PYEOF' || return 1
import json, sys
s = json.load(open(sys.argv[1]))["summary"]
assert s["definitely_lost"]["blocks"] == 0 and s["indirectly_lost"]["blocks"] == 0, s
assert s["still_reachable"]["blocks"] >= 100, s
PYEOF
}
queue core_threads t_core_threads

# A forked child (journal path with %p) gets its own journal at its first allocation, with
# the blocks it inherited; the parent's journal is not touched by the child.
t_journal_fork() {
    local d=$WORK/journal_fork n parent child
    mkdir -p "$d"
    (cd "$d" && exec env LD_PRELOAD="$LG_LIB" LEAKGRAPH_OPTIONS="journal=$d/j.%p.lgj:report=0" \
        "$LG_PROGS/journal_victim" fork "$d/ready" </dev/null >"$d/victim.out" 2>"$d/victim.err") &
    parent=$!
    for n in $(seq 100); do [ -s "$d/ready" ] && [ -f "$d/ready.parent" ] && break; sleep 0.1; done
    child=$(cat "$d/ready" 2>/dev/null)
    kill -9 "$parent" ${child:+"$child"} 2>/dev/null
    wait "$parent" 2>/dev/null
    [ -n "$child" ] || { echo "the child never became ready: $(lg_tail "$d/victim.err")"; return 1; }
    lg_exec "$d" parent 60 "$LG_TOOL_SAN" analyze --journal "$d/j.$parent.lgj"
    grep -q "LIVE AT DEATH: 1,780 bytes in 12 blocks" "$d/parent.err" ||
        { echo "parent: $(lg_tail "$d/parent.err")"; return 1; }
    lg_exec "$d" child 60 "$LG_TOOL_SAN" analyze --journal "$d/j.$child.lgj"
    grep -q "LIVE AT DEATH: 2,457 bytes in 12 blocks" "$d/child.err" ||
        { echo "child: $(lg_tail "$d/child.err")"; return 1; }
    grep -A1 "777 bytes in 1 blocks live at death" "$d/child.err" | grep -q make_child ||
        { echo "child: no make_child record"; return 1; }
}
queue journal_fork t_journal_fork
