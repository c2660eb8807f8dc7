# An allocation on a 4 KiB coroutine stack (tests/progs/small_coroutine.c): the tracer
# must not use more of it than glibc does. Its unwinding once wrote 3.8 KiB below the
# coroutine's stack (into the program's memory); it now runs on a stack of the thread's
# own (src/sidestack.c). The program counts the bytes changed below its stack (0
# natively, as stdout shows), and the blocks' stacks still name the coroutine's frames.
t_small_coroutine() {
    local d=$WORK/small_coroutine reason
    mkdir -p "$d"
    (cd "$d" && lg_exec "$d" native 60 "$LG_PROGS/small_coroutine")
    grep -q '^overrun 0 bytes$' "$d/native.out" || { echo "native run: $(cat "$d/native.out")"; return 1; }
    (cd "$d" && lg_exec "$d" traced 60 "$LG_TOOL" run --lib "$LG_LIB" --show-leak-kinds=all \
        --json "$d/rep.json" -- "$LG_PROGS/small_coroutine")
    reason=$(lg_same_as_native "$d") || { echo "$reason"; return 1; }
    python3 - "$d/rep.json" <<'PY' || return 1
import json, sys
got = {(l["kind"], l["bytes"]): [f.get("function") for f in l["stack"]][:2]
       for l in json.load(open(sys.argv[1]))["leaks"]}
want = {("definitely_lost", 123): ["co_leak", "coroutine"], ("still_reachable", 77): ["co_keep", "coroutine"]}
for k, v in want.items():
    if got.get(k) != v:
        print(f"{k}: stack {got.get(k)}, want {v}")
        sys.exit(1)
PY
}
queue small_coroutine t_small_coroutine

# A stop while a coroutine allocates (tests/progs/coroutine_churn.c): 100 collections and
# the exit report must find the 50 blocks held on the coroutine's stack reachable. With
# the side stack's first version, most of them did not (the stop waited out the thread,
# which had every signal blocked inside libunwind, and scanned its own stack instead).
t_coroutine_churn() {
    local d=$WORK/coroutine_churn reason
    mkdir -p "$d"
    (cd "$d" && lg_exec "$d" native 60 "$LG_PROGS/coroutine_churn")
    (cd "$d" && LEAKGRAPH_OPTIONS=scan_mmap=0 lg_exec "$d" traced 120 "$LG_TOOL" run --lib "$LG_LIB" \
        -- "$LG_PROGS/coroutine_churn")
    reason=$(lg_same_as_native "$d") || { echo "$reason"; return 1; }
    grep -q '^collections_with_unreachable=0$' "$d/traced.err" ||
        { echo "$(grep collections_with "$d/traced.err")"; return 1; }
    grep -q 'definitely lost: 0 bytes in 0 blocks' "$d/traced.err" ||
        { echo "at exit: $(grep '^==.*definitely lost:' "$d/traced.err")"; return 1; }
}
queue coroutine_churn t_coroutine_churn
