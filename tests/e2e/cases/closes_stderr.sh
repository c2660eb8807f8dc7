# A program that closes stderr on its way out (atexit, before the report is written)
# still gets its report on the stderr it started with, under the command and under a
# bare preload: the tracer writes through its own copy of the descriptor.
t_closes_stderr() {
    local d=$WORK/closes_stderr
    mkdir -p "$d"
    lg_exec "$d" cmd 30 "$LG_TOOL" run -- "$LG_PROGS/closes_stderr"
    [ "$(cat "$d/cmd.rc")" = 0 ] || { echo "run: exit $(cat "$d/cmd.rc"): $(lg_tail "$d/cmd.err")"; return 1; }
    grep -q 'definitely lost: 10 bytes in 1 blocks' "$d/cmd.err" || { echo "run: no report: $(lg_tail "$d/cmd.err")"; return 1; }
    lg_exec "$d" bare 30 env LD_PRELOAD="$LG_LIB" "$LG_PROGS/closes_stderr"
    [ "$(cat "$d/bare.rc")" = 0 ] || { echo "preload: exit $(cat "$d/bare.rc"): $(lg_tail "$d/bare.err")"; return 1; }
    grep -q 'definitely lost: 10 bytes in 1 blocks' "$d/bare.err" || { echo "preload: no report: $(lg_tail "$d/bare.err")"; return 1; }
}
queue closes_stderr_report t_closes_stderr
