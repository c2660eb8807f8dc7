# Distinct allocation stacks are distinct sites (tests/progs/stack_tree.c): 2,047 nodes
# of a tree, each allocated from a stack of its own, where many stacks are the same
# return addresses in another order. The thread's stack cache trusts a 64-bit hash, and
# a hash that combined its lanes before mixing merged about 2 sites in 256 here.

t_stack_sites() { # MODE: fast_unwind value
    local f=$1 d=$WORK/stack_sites_$1 reason
    mkdir -p "$d"
    (cd "$d" && lg_exec "$d" native 60 "$LG_PROGS/stack_tree" 11)
    (cd "$d" && lg_exec "$d" traced 120 "$LG_TOOL" run --lib "$LG_LIB" --fast-unwind="$f" --show-leak-kinds=all \
        --json "$d/rep.json" -- "$LG_PROGS/stack_tree" 11)
    reason=$(lg_same_as_native "$d") || { echo "$reason"; return 1; }
    python3 - "$d/rep.json" <<'PY' || return 1
import json, sys
recs = [l for l in json.load(open(sys.argv[1]))["leaks"]
        if l["stack"] and l["stack"][0].get("function") == "build"]
stacks = {tuple(f["address"] for f in l["stack"]) for l in recs}
blocks = sum(l["blocks"] for l in recs)
if (len(recs), len(stacks), blocks) != (2047, 2047, 2047):
    print(f"{len(recs)} records from build, {len(stacks)} distinct stacks, {blocks} blocks; want 2047 each")
    sys.exit(1)
PY
}
t_stack_sites_default() { t_stack_sites 0; }
t_stack_sites_fast() { t_stack_sites 1; }
queue stack_sites_default t_stack_sites_default
queue stack_sites_fast t_stack_sites_fast

# Most stacks through libunwind (code without frame pointers): the report's last lines
# say so and name fast_unwind=1; with frame pointers they do not; the JSON stats count
# the unwinds either way.
t_stack_sites_slow_hint() {
    local d=$WORK/slow_hint mode
    mkdir -p "$d"
    for mode in nofp fp; do
        (cd "$d" && lg_exec "$d" "$mode" 60 "$LG_TOOL" run --json "$d/$mode.json" -- "$LG_PROGS/nofp_many" "$mode")
        [ "$(cat "$d/$mode.rc")" = 0 ] || { echo "$mode: exit $(cat "$d/$mode.rc"): $(lg_tail "$d/$mode.err")"; return 1; }
    done
    grep -qE '^==[0-9]+==  \(1[0-9]{2},[0-9]{3} of 1[0-9]{2},[0-9]{3} allocation stacks were unwound by libunwind: .*fast_unwind=1' "$d/nofp.err" ||
        { echo "no libunwind hint without frame pointers: $(tail -2 "$d/nofp.err")"; return 1; }
    grep -q 'unwound by libunwind' "$d/fp.err" && { echo "a libunwind hint with frame pointers: $(tail -1 "$d/fp.err")"; return 1; }
    python3 - "$d/nofp.json" "$d/fp.json" <<'PY' || return 1
import json, sys
nofp, fp = (json.load(open(p))["stats"] for p in sys.argv[1:3])
if not (nofp["unwinds"] >= 150000 and nofp["total_allocs"] >= 150000):
    sys.exit("nofp: %d unwinds of %d allocations, expected at least 150000 each" % (nofp["unwinds"], nofp["total_allocs"]))
if not fp["unwinds"] < 1000:
    sys.exit("fp: %d unwinds, expected a few (each path confirmed once)" % fp["unwinds"])
PY
}
queue stack_sites_slow_hint t_stack_sites_slow_hint
