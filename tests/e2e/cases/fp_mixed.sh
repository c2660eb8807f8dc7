# Allocation stacks through code with and without frame pointers, through qsort's
# callback and a thread (tests/progs/fp_mixed.c): the report's stacks are Valgrind's,
# frame for frame, including the second allocation of each path (served by the tracer's
# confirmed frame-pointer walk); fast_unwind=1 survives a hostile rbp.

# fpm_stacks FILE (json|vg): "SIZE f1 f2 ..." per definite loss record, up to main or
# thread_main (below them Valgrind and the tracer differ: clone vs clone3, trampoline).
fpm_stacks() {
    python3 - "$1" "$2" <<'PY'
import json, re, sys
path, kind = sys.argv[1], sys.argv[2]
def cut(fns):
    out = []
    for f in fns:
        out.append(f)
        if f in ("main", "thread_main"):
            break
    return out
recs = []
if kind == "json":
    for l in json.load(open(path))["leaks"]:
        if l["kind"] == "definitely_lost":
            recs.append((l["bytes"] // l["blocks"], cut([f.get("function") or "?" for f in l["stack"]])))
else:
    cur = None
    for line in open(path):
        m = re.search(r"== ([\d,]+) bytes in (\d+) blocks are definitely lost", line)
        if m:
            cur = [int(m.group(1).replace(",", "")) // int(m.group(2)), []]
            recs.append(cur)
            continue
        m = re.search(r"==\s+(?:at|by) 0x[0-9A-F]+: (\S+)", line)
        if m and cur is not None:
            if m.group(1) != "malloc":
                cur[1].append(m.group(1))
        elif cur is not None and not line.strip("= 0123456789\n"):
            cur = None
    recs = [(s, cut(f)) for s, f in recs]
for size, fns in sorted(recs):
    print(size, " ".join(fns))
PY
}

t_fp_mixed_stacks() {
    local d=$WORK/fp_mixed_stacks
    mkdir -p "$d"
    (cd "$d" && lg_exec "$d" native 60 "$LG_PROGS/fp_mixed")
    (cd "$d" && lg_exec "$d" traced 60 "$LG_TOOL" run --lib "$LG_LIB" --json "$d/rep.json" -- "$LG_PROGS/fp_mixed")
    local reason
    reason=$(lg_same_as_native "$d") || { echo "$reason"; return 1; }
    (cd "$d" && lg_exec "$d" vg 300 valgrind --leak-check=full --show-leak-kinds=definite \
        --run-libc-freeres=no --log-file="$d/vg.log" "$LG_PROGS/fp_mixed")
    fpm_stacks "$d/rep.json" json >"$d/ours" && fpm_stacks "$d/vg.log" vg >"$d/theirs" || { echo "cannot read the stacks"; return 1; }
    # Both rounds of a path share a site (the same return addresses): 101+201 -> 151 x 2
    grep -q "^151 leaf nofp_mid fp_top main$" "$d/theirs" && grep -q "^155 leaf nofp_mid fp_top thread_main$" "$d/theirs" &&
        grep -q "^154 leaf by_value .* qsort_r sort_some main$" "$d/theirs" && grep -q "^206 leaf nofp_mid via_b main$" "$d/theirs" &&
        grep -q "^106 leaf nofp_mid via_a main$" "$d/theirs" ||
        { echo "Valgrind's stacks are not the expected ones: $(tr '\n' '|' <"$d/theirs")"; return 1; }
    # The distinct stacks must be the same (Valgrind sometimes keeps two records apart
    # where the stacks print the same, as for hostile_rbp's, so sizes are not compared).
    cut -d' ' -f2- "$d/theirs" | sort -u >"$d/theirs.u"
    cut -d' ' -f2- "$d/ours" | sort -u >"$d/ours.u"
    diff "$d/theirs.u" "$d/ours.u" >"$d/diff" || { echo "stacks differ from Valgrind's (< Valgrind, > leakgraph): $(tr '\n' '|' <"$d/diff")"; return 1; }
}
queue fp_mixed_stacks t_fp_mixed_stacks

t_fp_mixed_fast() { # fast_unwind=1 walks a frame pointer of -16 without crashing
    local d=$WORK/fp_mixed_fast reason
    mkdir -p "$d"
    (cd "$d" && lg_exec "$d" native 60 "$LG_PROGS/fp_mixed")
    (cd "$d" && lg_exec "$d" traced 60 "$LG_TOOL" run --lib "$LG_LIB" --fast-unwind=1 --json "$d/rep.json" -- "$LG_PROGS/fp_mixed")
    reason=$(lg_same_as_native "$d") || { echo "$reason"; return 1; }
    python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["summary"]["definitely_lost"]
assert (s["bytes"], s["blocks"]) == (1842, 12), s
' "$d/rep.json" || { echo "fast_unwind=1: wrong definite total"; return 1; }
}
queue fp_mixed_fast t_fp_mixed_fast

# The main thread's stacks end in __libc_start_call_main, __libc_start_main and _start,
# which libunwind finds and a frame-pointer walk does not: a walk of main's stack must
# still be confirmed, so libunwind runs once per distinct stack, not once per allocation
# (it ran for all 100,000 allocations of many_small when _start did not count as
# start-up code).
t_fp_main_thread_confirmed() {
    local d=$WORK/fp_main
    mkdir -p "$d"
    lg_exec "$d" run 60 "$LG_TOOL" run --verbosity=2 -- "$LG_PROGS/many_small"
    [ "$(cat "$d/run.rc")" = 0 ] || { echo "exit $(cat "$d/run.rc"): $(lg_tail "$d/run.err")"; return 1; }
    local line
    line=$(grep -m1 'stacks: [0-9]* of [0-9]* allocations unwound by libunwind' "$d/run.err") ||
        { echo "no stacks line: $(lg_tail "$d/run.err")"; return 1; }
    local n m
    n=$(sed 's/.*stacks: \([0-9]*\) of.*/\1/' <<<"$line")
    m=$(sed 's/.* of \([0-9]*\) allocations.*/\1/' <<<"$line")
    [ "$m" -ge 100000 ] && [ "$n" -le 10 ] || { echo "$line"; return 1; }
}
queue fp_main_thread_confirmed t_fp_main_thread_confirmed
