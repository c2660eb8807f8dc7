# free_batch: frees waiting in a thread's batch are frees at every stop. pending_frees
# leaves 80 freed blocks in two live threads' batches and 30 in main's; the parent's
# report is checked against Valgrind by its EXPECT line, the fork child's here (where the
# two threads do not exist, so nobody else would ever flush their batches). Without the
# drain the 80 blocks would come out definitely lost. Also with batching off.
fb_child() { # TAG ARGS...: runs pending_frees with JSON reports, checks the child's
    local d=$WORK/free_batch tag=$1
    shift
    mkdir -p "$d"
    lg_exec "$d" "$tag" 60 "$LG_TOOL" run --json="$d/$tag.%p.json" "$@" -- "$LG_PROGS/pending_frees"
    [ "$(cat "$d/$tag.rc")" = 0 ] || { echo "$tag: exit $(cat "$d/$tag.rc"): $(lg_tail "$d/$tag.err")"; return 1; }
    python3 - "$d" "$tag" <<'PY' || return 1
import glob, json, sys
d, tag = sys.argv[1], sys.argv[2]
reps = [json.load(open(f)) for f in sorted(glob.glob("%s/%s.*.json" % (d, tag)))]
if len(reps) != 2:
    sys.exit("%s: %d JSON reports, expected parent and child" % (tag, len(reps)))
for r in reps:
    s = r["summary"]
    got = {k: (s[k]["bytes"], s[k]["blocks"]) for k in ("definitely_lost", "indirectly_lost", "still_reachable", "cyclic")}
    want = {"definitely_lost": (0, 0), "indirectly_lost": (0, 0), "still_reachable": (480, 20), "cyclic": (0, 0)}
    if got != want:
        sys.exit("%s: pid %s: %s, expected %s" % (tag, r.get("pid"), got, want))
PY
}
t_free_batch_default() { fb_child default; }
t_free_batch_small() { fb_child small --free-batch=8; }
t_free_batch_off() { fb_child off --free-batch=0; }
queue free_batch_default t_free_batch_default
queue free_batch_small t_free_batch_small
queue free_batch_off t_free_batch_off
