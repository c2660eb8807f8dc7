# A pointer kept only in a callee-saved register at leakgraph_snapshot(): reachable.
t_callee_saved() {
    local d=$WORK/callee_saved
    mkdir -p "$d"
    lg_exec "$d" x 60 env LG_SNAP_PATH="$d/snap.lgs" "$LG_TOOL" run -- "$LG_PROGS/callee_saved"
    [ "$(cat "$d/x.rc")" = 0 ] && grep -qx "snapshot 0" "$d/x.out" || { echo "exit $(cat "$d/x.rc"): $(cat "$d/x.out") $(lg_tail "$d/x.err")"; return 1; }
    lg_exec "$d" a 60 "$LG_TOOL" analyze --show-leak-kinds=all "$d/snap.lgs"
    grep -q "333 bytes in 1 blocks are still reachable" "$d/a.err" || { echo "the block held in rbx is not reachable: $(grep -m1 '333 bytes' "$d/a.err")"; return 1; }
}
queue callee_saved t_callee_saved
