# free_batch: frees waiting in a thread's batch are frees at every stop. pending_frees
# leaves 82 freed blocks in two live threads' batches and 30 in main's; the parent's
# report is checked against Valgrind by its EXPECT line, the fork child's here (where the
# two threads do not exist, so nobody else would ever flush their batches). Without the
# drain the 82 blocks would come out definitely lost. Also with batching off.
fb_child() { # TAG ARGS...: runs pending_frees with JSON reports, checks the child's
    local d=$WORK/free_batch tag=$1
    shift
    mkdir -p "$d"
    lg_exec "$d" "$tag" 60 "$LG_TOOL" run --show-leak-kinds=all --json="$d/$tag.%p.json" "$@" -- "$LG_PROGS/pending_frees"
    [ "$(cat "$d/$tag.rc")" = 0 ] || { echo "$tag: exit $(cat "$d/$tag.rc"): $(lg_tail "$d/$tag.err")"; return 1; }
    python3 - "$d" "$tag" <<'PY' || return 1
import glob, json, sys
d, tag = sys.argv[1], sys.argv[2]
reps = [json.load(open(f)) for f in sorted(glob.glob("%s/%s.*.json" % (d, tag)))]
if len(reps) != 2:
    sys.exit("%s: %d JSON reports, expected parent and child" % (tag, len(reps)))
for r in reps:
    s = r["summary"]
    lost = [(s[k]["bytes"], s[k]["blocks"]) for k in ("definitely_lost", "indirectly_lost", "cyclic")]
    if lost != [(0, 0)] * 3:
        sys.exit("%s: pid %s: lost (definite, indirect, cyclic) %s, expected none" % (tag, r.get("pid"), lost))
    # the workers' kept blocks, by their stacks: glibc's own blocks (a thread's DTV) may
    # come out reachable or possibly lost, as stale words fall, so they are not counted
    kept = [(l["bytes"], l["blocks"]) for l in r.get("leaks") or []
            if l.get("kind") == "still_reachable" and any(f.get("function") == "worker" for f in l.get("stack") or [])]
    got = (sum(b for b, _ in kept), sum(n for _, n in kept))
    if got != (528, 22):
        sys.exit("%s: pid %s: the workers' reachable blocks %s, expected (528, 22)" % (tag, r.get("pid"), got))
PY
}
t_free_batch_default() { fb_child default; }
t_free_batch_small() { fb_child small --free-batch=7; }
t_free_batch_off() { fb_child off --free-batch=0; }
# Frees that come in while a collection stops the world (they wait for no lock) must be
# drained after the stop, not before: else a freed node nobody points to any more is
# counted unreachable (46-48 of them in each run of the build that drained first).
t_free_batch_during_collect() {
    local d=$WORK/free_batch
    mkdir -p "$d"
    lg_exec "$d" during 120 "$LG_TOOL" run --report=0 -- "$LG_PROGS/free_while_stopped"
    [ "$(cat "$d/during.rc")" = 0 ] || { echo "exit $(cat "$d/during.rc"): $(lg_tail "$d/during.err")"; return 1; }
    grep -qx 'most unreachable in one collection: 0' "$d/during.out" ||
        { echo "$(cat "$d/during.out") $(lg_tail "$d/during.err")"; return 1; }
}
queue free_batch_during_collect t_free_batch_during_collect
queue free_batch_default t_free_batch_default
queue free_batch_small t_free_batch_small
queue free_batch_off t_free_batch_off

# A signal handler that frees blocks while its thread may be inside the tracer
# (tests/progs/handler_frees.c): the tracer once corrupted glibc's heap there (a stale
# batch length), then deadlocked (the handler's free waiting for a table lock its own
# thread held), then wrote a snapshot its reader rejected (a record left by such a free
# overlapping a block glibc carved out of the freed chunk), then reported about 1,400
# of the freed blocks as definitely lost (records left in place when the lock was
# taken). The run must end as the native one does, with a report and no lost block,
# five times over (the handler lands at random); with "realloc", the handler reallocs
# each block before it frees it.
t_handler_frees() {
    local mode=${1:-} i reason kind
    local d=$WORK/handler_frees$mode
    mkdir -p "$d"
    (cd "$d" && lg_exec "$d" native 60 "$LG_PROGS/handler_frees" $mode)
    for i in 1 2 3 4 5; do
        (cd "$d" && lg_exec "$d" traced 60 "$LG_TOOL" run --lib "$LG_LIB" -- "$LG_PROGS/handler_frees" $mode)
        reason=$(lg_same_as_native "$d") || { echo "run $i: $reason"; return 1; }
        grep -q 'LEAK SUMMARY' "$d/traced.err" || { echo "run $i: no report: $(lg_tail "$d/traced.err")"; return 1; }
        for kind in 'definitely lost' 'indirectly lost' 'possibly lost'; do
            grep -q "$kind: 0 bytes in 0 blocks" "$d/traced.err" ||
                { echo "run $i: $(grep "$kind:" "$d/traced.err")"; return 1; }
        done
    done
}
t_handler_frees_realloc() { t_handler_frees realloc; }
queue handler_frees t_handler_frees
queue handler_frees_realloc t_handler_frees_realloc
