# A stop signal that cannot stop threads (SIGKILL, a fault signal): one warning, and the
# snapshot still stops every thread with the default signal.
t_stop_signal_invalid() {
    local d=$WORK/stop_signal_invalid sig
    mkdir -p "$d"
    for sig in 9 11; do
        lg_exec "$d" s$sig 60 "$LG_TOOL" run --stop-signal=$sig --json "$d/rep$sig.json" -- "$LG_PROGS/threads_alive"
        [ "$(cat "$d/s$sig.rc")" = 0 ] || { echo "stop_signal=$sig: exit $(cat "$d/s$sig.rc"): $(lg_tail "$d/s$sig.err")"; return 1; }
        [ "$(grep -c "stop_signal=$sig cannot stop threads" "$d/s$sig.err")" = 1 ] ||
            { echo "stop_signal=$sig: no single warning: $(lg_tail "$d/s$sig.err")"; return 1; }
        grep -q "did not stop\|blocks the stop signal" "$d/s$sig.err" && { echo "stop_signal=$sig: threads not stopped"; return 1; }
        lg_py check "$LG_SRC_PROGS/threads_alive.c" threads_alive "$d/rep$sig.json" || return 1
    done
}
queue stop_signal_invalid t_stop_signal_invalid

# The program ignores the stop signal with SA_SIGINFO set (sa_sigaction is then the
# address 1); the tracer keeps that disposition when a collection installs its handler,
# and must not call it when the program raises the signal (it crashed the program).
t_stop_signal_ignored() {
    local d=$WORK/stop_signal_ignored reason
    mkdir -p "$d"
    lg_exec "$d" native 30 "$LG_PROGS/stopsig_ignored"
    LEAKGRAPH_OPTIONS=report=0 lg_exec "$d" traced 30 env LD_PRELOAD="$LG_LIB" "$LG_PROGS/stopsig_ignored"
    reason=$(lg_same_as_native "$d") || { echo "$reason: $(lg_tail "$d/traced.err")"; return 1; }
    [ "$(tail -1 "$d/traced.out")" = done ] || { echo "no done: $(lg_tail "$d/traced.err")"; return 1; }
}
queue stop_signal_ignored t_stop_signal_ignored
