# error_exitcode survives a program that ignores SIGCHLD or reaps every child itself.
t_sigchld_exitcode() {
    local d=$WORK/sigchld mode
    mkdir -p "$d"
    for mode in ignore reaper; do
        if [ $mode = reaper ]; then
            lg_exec "$d" $mode 60 env REAPER=1 "$LG_TOOL" run --error-exitcode=42 -- "$LG_PROGS/sigchld_reaper"
        else
            lg_exec "$d" $mode 60 "$LG_TOOL" run --error-exitcode=42 -- "$LG_PROGS/sigchld_reaper"
        fi
        [ "$(cat "$d/$mode.rc")" = 42 ] || { echo "$mode: exit $(cat "$d/$mode.rc"), not 42: $(lg_tail "$d/$mode.err")"; return 1; }
        grep -q "definitely lost: 10 bytes in 1 blocks" "$d/$mode.err" || { echo "$mode: no report: $(lg_tail "$d/$mode.err")"; return 1; }
    done
}
queue sigchld_exitcode t_sigchld_exitcode
