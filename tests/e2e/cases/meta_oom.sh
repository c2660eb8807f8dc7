# Out of metadata memory: under an address-space limit that fits the program but not the
# tracer's tables, the tracer disables itself with one warning and the program runs on
# with the same output and exit status.
t_meta_oom() {
    local d=$WORK/meta_oom peak limit
    mkdir -p "$d"
    lg_exec "$d" native 60 "$LG_PROGS/meta_oom"
    peak=$(sed -n 's/^vmpeak \([0-9]*\)$/\1/p' "$d/native.err")
    [ -n "$peak" ] && [ "$peak" -gt 0 ] || { echo "no VmPeak from the native run: $(lg_tail "$d/native.err")"; return 1; }
    # room for the program, our library and libunwind, not for the tables
    limit=$((peak + 4096))
    lg_exec "$d" traced 60 bash -c "ulimit -v $limit && exec env LD_PRELOAD='$LG_LIB' '$LG_PROGS/meta_oom'"
    [ "$(cat "$d/traced.rc")" = 0 ] || { echo "exit $(cat "$d/traced.rc") under ulimit -v $limit: $(lg_tail "$d/traced.err")"; return 1; }
    cmp -s "$d/native.out" "$d/traced.out" || { echo "stdout differs: $(cat "$d/traced.out")"; return 1; }
    # where the limit bites depends on the machine: at start-up (the tracer disables
    # itself) or at the exit snapshot; either way one line that says so
    [ "$(grep -c '^leakgraph:' "$d/traced.err")" = 1 ] && grep -q 'tracing disabled\|out of memory for the tracer' "$d/traced.err" ||
        { echo "not one 'out of memory' line: $(lg_tail "$d/traced.err")"; return 1; }
}
queue meta_oom t_meta_oom
