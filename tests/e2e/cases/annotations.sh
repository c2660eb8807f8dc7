# The annotation API end to end: tags, ignore, weak slots, registered roots (see the
# comment at the top of tests/progs/annotations.c for what each number means).
t_annotations() {
    local d=$WORK/annotations
    mkdir -p "$d"
    lg_exec "$d" x 60 "$LG_TOOL" run --show-leak-kinds=all --json "$d/rep.json" -- "$LG_PROGS/annotations"
    [ "$(cat "$d/x.rc")" = 0 ] || { echo "exit $(cat "$d/x.rc"): $(cat "$d/x.out") $(lg_tail "$d/x.err")"; return 1; }
    grep -qx "annotations ok" "$d/x.out" || { echo "API results: $(cat "$d/x.out")"; return 1; }
    python3 - "$d/rep.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
s = d["summary"]
def pair(k): return (s[k]["bytes"], s[k]["blocks"])
want = {"definitely_lost": (48 + 72, 2), "indirectly_lost": (40, 1), "ignored": (96, 2)}
for k, v in want.items():
    if k not in s or pair(k) != v:
        sys.exit("%s: %s, expected %s" % (k, s.get(k), v))
if s["cyclic"]["cycles"] != 0:
    sys.exit("the weak slot did not break the parent/child cycle: %s" % s["cyclic"])
recs = d["leaks"]
def find(kind, size):
    return [r for r in recs if r["kind"] == kind and r["bytes"] == size]
if not [r for r in find("still_reachable", 240) if r.get("tag") == "Connection"]:
    sys.exit("no reachable record of 3 tagged Connection blocks")
if not [r for r in find("still_reachable", 5000) if r.get("tag") == "Buffer"]:
    sys.exit("the Buffer tag did not follow realloc")
for size, what in ((56, "the block kept by a registered root"), (24, "the block behind a stale weak slot")):
    if not find("still_reachable", size):
        sys.exit("%s is not reachable" % what)
if any(r["kind"] != "still_reachable" and r["bytes"] in (64, 32, 96) for r in recs):
    sys.exit("an ignored block was reported")
PY
}
queue annotations t_annotations
