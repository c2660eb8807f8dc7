# Fatal signals (on_crash=snapshot, the default): a crash snapshot from the signal
# handler, the full report, then the native death: the same exit status and a core.
# Victims: tests/progs/crash_victim.c (300 bytes still reachable in 1 block, 200 + 48
# bytes definitely lost in 2 blocks, 48 indirectly lost, a 2-block cycle) and
# tests/progs/crash_handler.c (the program's own SIGSEGV handlers).

cr_notice() { echo "# $*" >"${out:-/dev/null}.notice"; }

# cr_run DIR TAG PROG ARGS...: `leakgraph run` in DIR with core dumps allowed; TAG.{out,err,rc}.
cr_run() {
    local d=$1 tag=$2
    shift 2
    mkdir -p "$d"
    (cd "$d" && ulimit -c unlimited 2>/dev/null; lg_exec "$d" "$tag" 120 "$LG_TOOL" run "$@")
}

# cr_native DIR PROG ARGS...: the same program untraced: native.{out,err,rc}.
cr_native() {
    local d=$1
    shift
    (cd "$d" && ulimit -c 0; lg_exec "$d" native 60 "$@")
}

# cr_core DIR: a core file in DIR when the kernel can write one there (core_pattern a
# relative path, ulimit -c unlimited); else a notice and success (nothing checkable).
cr_core() {
    local d=$1 pattern
    pattern=$(cat /proc/sys/kernel/core_pattern 2>/dev/null)
    if [ "${pattern:0:1}" = "|" ] || [ "${pattern:0:1}" = "/" ] || ! (ulimit -c unlimited 2>/dev/null); then
        cr_notice "$(basename "$d"): core not checked (core_pattern '$pattern')"
        return 0
    fi
    ls "$d" | grep -qE '^core' || { echo "no core dump in $d: $(ls "$d" | tr '\n' ' ')"; return 1; }
}

cr_summary() { sed -n 's/^==[0-9]*== *\(definitely lost\|indirectly lost\|possibly lost\|still reachable\|cyclic\):/\1:/p' "$1"; }

CR_LOST='definitely lost: 248 bytes in 2 blocks
indirectly lost: 48 bytes in 1 blocks'

# cr_victim NAME MODE RC HEADER_REGEX [POSSIBLE_REGEX]: crash_victim MODE dies with RC,
# natively and traced; the report says HEADER_REGEX, has the victim's leaks and the 2-block
# cycle, and possibly lost as POSSIBLE_REGEX (default none; glibc's block of a thread
# created is possibly lost, as Valgrind says); a core.
cr_victim() {
    local name=$1 mode=$2 rc=$3 header=$4 possible=${5:-0 bytes in 0 blocks} d=$WORK/crash_$1
    cr_run "$d" traced "$LG_PROGS/crash_victim" "$mode" || return 1
    cr_native "$d" "$LG_PROGS/crash_victim" "$mode"
    [ "$(cat "$d/native.rc")" = "$rc" ] || { echo "native exit $(cat "$d/native.rc"), expected $rc"; return 1; }
    lg_same_as_native "$d" || return 1
    grep -q "leak report for pid [0-9]* (.*crash_victim), after a crash" "$d/traced.err" ||
        { echo "no crash report: $(lg_tail "$d/traced.err")"; return 1; }
    grep -qE "$header" "$d/traced.err" || { echo "no '$header' in: $(grep -A3 'after a crash' "$d/traced.err" | tr '\n' '|')"; return 1; }
    [ "$(cr_summary "$d/traced.err" | head -2)" = "$CR_LOST" ] &&
        cr_summary "$d/traced.err" | grep -qE "^possibly lost: $possible$" ||
        { echo "summary: $(cr_summary "$d/traced.err" | tr '\n' '|')"; return 1; }
    grep -q "cyclic: 96 bytes in 2 blocks (1 cycles)" "$d/traced.err" || { echo "no cycle"; return 1; }
    grep -A1 "200 bytes in 1 blocks are definitely lost" "$d/traced.err" | grep -q "make_heap (tests/progs/crash_victim.c" ||
        { echo "no make_heap stack for the 200-byte leak"; return 1; }
    cr_core "$d"
}

t_crash_null() { cr_victim null null 139 'crash: signal 11 \(SIGSEGV, SEGV_MAPERR\) at address 0x0 in thread [0-9]+ \(main\)' || return 1
    grep -q "at 0x[0-9a-f]*: main (tests/progs/crash_victim.c:[0-9]*) \[crash_victim\]" "$WORK/crash_null/traced.err" ||
    { echo "no crash location in main"; return 1; }; }
queue crash_null t_crash_null
t_crash_abort() { cr_victim abort abort 134 'crash: signal 6 \(SIGABRT, sent by tgkill or raise\) in thread [0-9]+ \(main\)'; }
queue crash_abort t_crash_abort
t_crash_fpe() { cr_victim fpe fpe 136 'crash: signal 8 \(SIGFPE, FPE_INTDIV\)'; }
queue crash_fpe t_crash_fpe
t_crash_overflow_main() { cr_victim overflow_main overflow 139 'crash: signal 11 \(SIGSEGV, SEGV_[A-Z]*\) at address 0x[0-9a-f]+ in thread [0-9]+ \(main\)' || return 1
    grep -q "was outside its stack (a stack overflow)" "$WORK/crash_overflow_main/traced.err" ||
    { echo "the stack overflow is not named"; return 1; }; }
queue crash_overflow_main t_crash_overflow_main
t_crash_overflow_thread() { cr_victim overflow_thread thread-overflow 139 'crash: signal 11 \(SIGSEGV, SEGV_[A-Z]*\) at address 0x[0-9a-f]+ in thread [0-9]+$' '[0-9,]+ bytes in 1 blocks' || return 1
    grep -q "was outside its stack (a stack overflow)" "$WORK/crash_overflow_thread/traced.err" &&
    grep -q "at 0x[0-9a-f]*: depth (tests/progs/crash_victim.c" "$WORK/crash_overflow_thread/traced.err" ||
    { echo "no crash location in depth"; return 1; }; }
queue crash_overflow_thread t_crash_overflow_thread
t_crash_tracer_lock() { cr_victim tracer_lock tracer-lock 139 'warning: taken in crash mode without some tracer lock'; }
queue crash_tracer_lock t_crash_tracer_lock

# The program's own SIGSEGV handler runs (signal(), sigaction() with SA_SIGINFO, SA_RESETHAND),
# sees what it would see natively, and then the default action: a report and a core.
cr_handler() {
    local mode=$1 d=$WORK/crash_handler_$1
    cr_run "$d" traced "$LG_PROGS/crash_handler" "$mode" || return 1
    cr_native "$d" "$LG_PROGS/crash_handler" "$mode"
    [ "$(cat "$d/native.rc")" = 139 ] || { echo "native exit $(cat "$d/native.rc")"; return 1; }
    lg_same_as_native "$d" || return 1
    grep -q "handler ran" "$d/traced.out" || { echo "the program's handler did not run"; return 1; }
    grep -q "crash: signal 11 (SIGSEGV, SEGV_ACCERR)" "$d/traced.err" || { echo "no crash header: $(lg_tail "$d/traced.err")"; return 1; }
    [ "$(grep -c 'after a crash' "$d/traced.err")" = 1 ] || { echo "not exactly one crash report"; return 1; }
    grep -q "definitely lost: 200 bytes in 1 blocks" "$d/traced.err" || { echo "summary: $(cr_summary "$d/traced.err" | tr '\n' '|')"; return 1; }
    cr_core "$d"
}
t_crash_handler_signal() { cr_handler signal; }
queue crash_handler_signal t_crash_handler_signal
t_crash_handler_sigaction() { cr_handler sigaction && grep -q "sigaction reports the program's handler" "$WORK/crash_handler_sigaction/traced.out" &&
    grep -q "si_addr right" "$WORK/crash_handler_sigaction/traced.out"; }
queue crash_handler_sigaction t_crash_handler_sigaction
t_crash_handler_resethand() { cr_handler resethand; }
queue crash_handler_resethand t_crash_handler_resethand

# A handler that repairs the fault and returns, and an ignored raise(SIGSEGV): no crash,
# no crash snapshot; the program exits 0 with its exit report.
t_crash_handler_survives() {
    local mode d
    for mode in retry ignore; do
        d=$WORK/crash_survives_$mode
        cr_run "$d" traced "$LG_PROGS/crash_handler" "$mode" || return 1
        cr_native "$d" "$LG_PROGS/crash_handler" "$mode"
        lg_same_as_native "$d" || return 1
        [ "$(cat "$d/traced.rc")" = 0 ] || { echo "$mode: exit $(cat "$d/traced.rc")"; return 1; }
        ! grep -q "after a crash" "$d/traced.err" || { echo "$mode: a crash report"; return 1; }
        grep -q "leak report for pid [0-9]* (.*), at exit" "$d/traced.err" || { echo "$mode: no exit report"; return 1; }
        ! ls "$d" | grep -qE '^core' || { echo "$mode: a core dump"; return 1; }
    done
}
queue crash_handler_survives t_crash_handler_survives

# A fatal signal the program ignores stays ignored in the kernel, so SIG_IGN survives
# execve(2): the parent ignores them all, the exec'd child (traced too) inherits and
# raises them, then sets SIGSEGV back to SIG_DFL: the tracer's handler is back, so its
# null write gets the crash report.
t_crash_ignored_exec() {
    local d=$WORK/crash_ignored_exec
    cr_run "$d" traced "$LG_PROGS/crash_ign_exec" || return 1
    cr_native "$d" "$LG_PROGS/crash_ign_exec"
    lg_same_as_native "$d" || return 1
    [ "$(grep -c 'ignored, survived' "$d/traced.out")" = 7 ] && grep -q "killed by signal 11" "$d/traced.out" ||
        { echo "output: $(lg_tail "$d/traced.out")"; return 1; }
    grep -q "crash_ign_exec), after a crash" "$d/traced.err" &&
        grep -q "crash: signal 11 (SIGSEGV, SEGV_MAPERR) at address 0x0" "$d/traced.err" ||
        { echo "no crash report for the child: $(lg_tail "$d/traced.err")"; return 1; }
}
queue crash_ignored_exec t_crash_ignored_exec

# Dispositions set behind the sigaction wrapper (a raw rt_sigaction) are adopted, and
# glibc's sigset(), sigignore(), siginterrupt() and ssignal() go through it: each mode
# behaves as natively (no endless refault), and a crash after sigset(SIG_DFL) is reported.
t_crash_sigset() {
    local mode rc d
    for mode in sigset:139 raw:0 other:134; do
        rc=${mode#*:} mode=${mode%:*} d=$WORK/crash_sigset_$mode
        cr_run "$d" traced "$LG_PROGS/crash_sigset" "$mode" || return 1
        cr_native "$d" "$LG_PROGS/crash_sigset" "$mode"
        [ "$(cat "$d/native.rc")" = "$rc" ] || { echo "$mode: native exit $(cat "$d/native.rc")"; return 1; }
        lg_same_as_native "$d" || { echo "($mode)"; return 1; }
        [ "$rc" = 0 ] || grep -q "crash_sigset), after a crash" "$d/traced.err" ||
            { echo "$mode: no crash report: $(lg_tail "$d/traced.err")"; return 1; }
    done
}
queue crash_sigset t_crash_sigset

# on_crash=off and journal-only: no handler, the native death, no report.
t_crash_off() {
    local m d
    for m in off journal-only; do
        d=$WORK/crash_off_$m
        cr_run "$d" traced --on-crash=$m "$LG_PROGS/crash_victim" null || return 1
        [ "$(cat "$d/traced.rc")" = 139 ] || { echo "$m: exit $(cat "$d/traced.rc")"; return 1; }
        ! grep -q "LEAK SUMMARY" "$d/traced.err" || { echo "$m: a report"; return 1; }
    done
    d=$WORK/crash_off_bad
    cr_run "$d" traced --on-crash=maybe "$LG_PROGS/crash_victim" null
    grep -q "on_crash=maybe is not one of snapshot, journal-only, off" "$d/traced.err" || { echo "no warning for a bad value: $(lg_tail "$d/traced.err")"; return 1; }
    grep -q "after a crash" "$d/traced.err" || { echo "a bad value did not fall back to snapshot"; return 1; }
}
queue crash_off t_crash_off

# `leakgraph analyze` of a kept crash snapshot: the same report and the JSON "crash" key;
# a corrupt CRASH record is a clear error.
t_crash_analyze() {
    local d=$WORK/crash_analyze
    cr_run "$d" traced --snapshot="$d/crash.lgs" --json="$d/run.json" "$LG_PROGS/crash_victim" null || return 1
    [ "$(cat "$d/traced.rc")" = 139 ] || { echo "exit $(cat "$d/traced.rc")"; return 1; }
    [ -s "$d/crash.lgs" ] || { echo "no crash snapshot kept"; return 1; }
    lg_exec "$d" an 60 "$LG_TOOL_SAN" analyze "$d/crash.lgs" --json "$d/an.json"
    [ "$(cat "$d/an.rc")" = 0 ] || { echo "analyze exit $(cat "$d/an.rc"): $(lg_tail "$d/an.err")"; return 1; }
    [ "$(cr_summary "$d/an.err")" = "$(cr_summary "$d/traced.err")" ] || { echo "analyze and run disagree"; return 1; }
    grep -q "crash: signal 11 (SIGSEGV, SEGV_MAPERR) at address 0x0" "$d/an.err" || { echo "no crash header in analyze"; return 1; }
    python3 - "$d/an.json" "$d/run.json" <<'PYEOF' || return 1
import json, sys
for f in sys.argv[1:]:
    r = json.load(open(f))
    c = r["crash"]
    assert r["reason"] == "crash" and r["format"] == "1.2", r["reason"]
    assert c["signal"] == 11 and c["signal_name"] == "SIGSEGV" and c["code_name"] == "SEGV_MAPERR", c
    assert c["fault_address"] == "0x0" and c["main_thread"] is True, c
    assert c["location"]["function"] == "main" and c["location"]["file"].endswith("crash_victim.c"), c
    assert r["summary"]["definitely_lost"] == {"bytes": 248, "blocks": 2}, r["summary"]
PYEOF
    # the CRASH record's signal set to 0: rejected with the offset
    python3 - "$d/crash.lgs" "$d/bad.lgs" <<'PYEOF' || return 1
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
pos = 24
while pos < len(b):
    tag, count, n = struct.unpack_from("<IIQ", b, pos)
    if tag == 12:
        struct.pack_into("<I", b, pos + 16, 0)
        break
    pos += 16 + n
else:
    sys.exit("no CRASH section")
open(sys.argv[2], "wb").write(b)
PYEOF
    lg_exec "$d" bad 60 "$LG_TOOL_SAN" analyze "$d/bad.lgs"
    [ "$(cat "$d/bad.rc")" = 2 ] && grep -q "corrupt at byte [0-9]*: CRASH signal 0 is not a signal" "$d/bad.err" ||
        { echo "corrupt CRASH: exit $(cat "$d/bad.rc"): $(lg_tail "$d/bad.err")"; return 1; }
}
queue crash_analyze t_crash_analyze

# The core dump of the crash and the crash snapshot of the same run agree: the snapshot's
# block list classified with the core's memory gives the snapshot's own classification.
t_crash_core_agrees() {
    local d=$WORK/crash_core pattern core
    pattern=$(cat /proc/sys/kernel/core_pattern 2>/dev/null)
    cr_run "$d" traced --snapshot="$d/crash.lgs" --show-leak-kinds=all "$LG_PROGS/crash_victim" null || return 1
    [ "$(cat "$d/traced.rc")" = 139 ] || { echo "exit $(cat "$d/traced.rc")"; return 1; }
    grep -q "after a crash" "$d/traced.err" || { echo "no crash report"; return 1; }
    core=$(ls -t "$d" | grep -E '^core' | head -1)
    if [ -z "$core" ]; then
        cr_notice "crash_core_agrees: no core (core_pattern '$pattern'); only the crash report checked"
        [ "${pattern:0:1}" = "|" ] || [ "${pattern:0:1}" = "/" ] || ! (ulimit -c unlimited 2>/dev/null) ||
            { echo "no core dump although core_pattern is '$pattern'"; return 1; }
        return 0
    fi
    lg_exec "$d" core 120 "$LG_TOOL_SAN" analyze "$d/crash.lgs" --core "$d/$core" --show-leak-kinds=all
    [ "$(cat "$d/core.rc")" = 0 ] || { echo "analyze --core exit $(cat "$d/core.rc"): $(lg_tail "$d/core.err")"; return 1; }
    [ "$(cr_summary "$d/core.err")" = "$(cr_summary "$d/traced.err")" ] ||
        { echo "core: $(cr_summary "$d/core.err" | tr '\n' '|') snapshot: $(cr_summary "$d/traced.err" | tr '\n' '|')"; return 1; }
    [ "$(cr_summary "$d/core.err" | head -2)" = "$CR_LOST" ] || { echo "core summary: $(cr_summary "$d/core.err" | tr '\n' '|')"; return 1; }
}
queue crash_core_agrees t_crash_core_agrees
