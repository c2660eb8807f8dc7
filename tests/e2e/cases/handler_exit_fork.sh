# exit() and fork() in a signal handler that interrupted the tracer's own code
# (tests/progs/handler_exit_fork.c): both spun for ever on a block-table lock that the
# interrupted code held. Now the exit goes without a leak report (one warning) and
# keeps the program's status; the fork's child goes on untraced.

t_handler_exit() {
    local d=$WORK/handler_exit i rc
    mkdir -p "$d"
    for i in 1 2 3 4 5; do # a lock is held at some of the interruptions only
        (cd "$d" && lg_exec "$d" "x$i" 60 "$LG_TOOL" run -- "$LG_PROGS/handler_exit_fork" exit)
        rc=$(cat "$d/x$i.rc")
        [ "$rc" = 3 ] || { echo "run $i: status $rc, not 3 (124: hung): $(lg_tail "$d/x$i.err")"; return 1; }
        # the report, or (when the tracer was busy) the warning that there is none
        grep -qE 'LEAK SUMMARY|exit\(\) was called in a signal handler that interrupted the tracer' "$d/x$i.err" ||
            { echo "run $i: neither a report nor the warning: $(lg_tail "$d/x$i.err")"; return 1; }
    done
}
queue handler_exit t_handler_exit

t_handler_fork() {
    local d=$WORK/handler_fork
    mkdir -p "$d"
    (cd "$d" && lg_exec "$d" f 60 env LEAKGRAPH_OPTIONS=report=0 LD_PRELOAD="$LG_LIB" "$LG_PROGS/handler_exit_fork" fork)
    [ "$(cat "$d/f.rc")" = 0 ] && [ "$(cat "$d/f.out")" = "forks done" ] ||
        { echo "status $(cat "$d/f.rc") (124: hung), output '$(cat "$d/f.out")': $(lg_tail "$d/f.err")"; return 1; }
}
queue handler_fork t_handler_fork
