# Threads a stop signal cannot reach: neither waited for nor misreported.
t_main_exits_first() { # main is a zombie after pthread_exit: not a thread that "did not stop"
    local d=$WORK/main_exits_first
    mkdir -p "$d"
    lg_exec "$d" x 60 "$LG_TOOL" run -- "$LG_PROGS/main_exits_first"
    [ "$(cat "$d/x.rc")" = 0 ] || { echo "exit $(cat "$d/x.rc"): $(lg_tail "$d/x.err")"; return 1; }
    if grep -q "did not stop\|blocks the stop signal" "$d/x.err"; then
        echo "the zombie main thread was reported as not stopped: $(grep -m1 'stop' "$d/x.err")"
        return 1
    fi
    grep -q "definitely lost: 40 bytes in 1 blocks" "$d/x.err" || { echo "no report: $(lg_tail "$d/x.err")"; return 1; }
}
t_sigwait_named() { # a sigwait thread is named as blocking the signal, and never receives it
    local d=$WORK/sigwait_named
    mkdir -p "$d"
    lg_exec "$d" x 60 "$LG_TOOL" run -- "$LG_PROGS/sigwait_thread"
    grep -q "blocks the stop signal" "$d/x.err" || { echo "not named: $(lg_tail "$d/x.err")"; return 1; }
    if grep -q "sigwait returned" "$d/x.out"; then
        echo "the program's sigwait thread received a signal from the tracer: $(cat "$d/x.out")"
        return 1
    fi
}
queue main_exits_first_stop t_main_exits_first
queue sigwait_named t_sigwait_named
