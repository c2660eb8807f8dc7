# Helpers for tests/e2e/run.sh and tests/e2e/realprogs.sh. Sourced, not executed.
# Plain bash plus python3 (JSON and Valgrind log checks).

LG_E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LG_SRC_PROGS=$(cd "$LG_E2E_DIR/../progs" && pwd)

lg_pass=0
lg_fail=0

# ---- results -----------------------------------------------------------------------
# Tests may run in parallel; each writes its result lines to a file of its own in
# $LG_RESULTS, and lg_collect prints them in order and counts them.
lg_ok() { echo "ok $1"; }
lg_bad() { echo "FAIL $1: $2"; }

lg_collect() { # FILES...: print result lines, count ok/FAIL
    local f line
    for f in "$@"; do
        [ -f "$f" ] || continue
        while IFS= read -r line; do
            echo "$line"
            case $line in
            "ok "*) lg_pass=$((lg_pass + 1)) ;;
            "FAIL "*) lg_fail=$((lg_fail + 1)) ;;
            esac
        done <"$f"
    done
}

lg_summary() { # the last line, alone: "N passed, M failed"; returns 1 on failures
    echo "$lg_pass passed, $lg_fail failed"
    [ "$lg_fail" -eq 0 ]
}

# A small job pool: lg_spawn CMD... runs CMD in the background, at most $LG_JOBS at once.
lg_spawn() {
    while [ "$(jobs -rp | wc -l)" -ge "${LG_JOBS:-2}" ]; do
        wait -n 2>/dev/null || true
    done
    "$@" &
}

# ---- running programs --------------------------------------------------------------
# lg_exec DIR TAG TIMEOUT CMD...: run CMD with stdin from /dev/null, its stdout in
# DIR/TAG.out, stderr in DIR/TAG.err, exit status in DIR/TAG.rc (124: timed out).
lg_exec() {
    local dir=$1 tag=$2 t=$3
    shift 3
    timeout -k 5 "$t" "$@" </dev/null >"$dir/$tag.out" 2>"$dir/$tag.err"
    echo $? >"$dir/$tag.rc"
}

# lg_same_as_native DIR: compare DIR/native.{out,rc} with DIR/traced.{out,rc};
# prints a reason and returns 1 when they differ.
lg_same_as_native() {
    local d=$1 nrc trc
    nrc=$(cat "$d/native.rc") trc=$(cat "$d/traced.rc")
    if [ "$trc" = 124 ] || [ "$trc" = 137 ]; then
        echo "timed out under the tracer (native status $nrc)"
        return 1
    fi
    if [ "$nrc" != "$trc" ]; then
        echo "exit status $trc under the tracer, $nrc natively; stderr: $(lg_tail "$d/traced.err")"
        return 1
    fi
    if ! cmp -s "$d/native.out" "$d/traced.out"; then
        echo "stdout differs from the native run: $(diff "$d/native.out" "$d/traced.out" | head -5 | tr '\n' '|')"
        return 1
    fi
    return 0
}

lg_tail() { # FILE: its last lines on one line, for a FAIL reason
    tail -n 4 "$1" 2>/dev/null | tr '\n' '|' | cut -c1-400
}

# ---- expectations, JSON and Valgrind checks (python3) --------------------------------
lg_py() { python3 -c "$LG_PY" "$@"; }

LG_PY=$(
    cat <<'PYEOF'
import glob, itertools, json, os, re, sys

KINDS = ("definite", "indirect", "possible", "reachable", "cyclic")

def parse_expect(src):
    """The first comment of a victim: EXPECT lines (main process, [child], [exe=NAME]),
    and a VALGRIND: unsupported marker."""
    text = open(src, encoding="utf-8").read()
    m = re.search(r"/\*(.*?)\*/", text, re.S)
    if not m:
        return [], False
    first = m.group(1)
    exps = []
    for line in first.splitlines():
        mm = re.match(r"\s*\*?\s*EXPECT(?:\[([^\]]*)\])?:\s*(.*)$", line)
        if not mm:
            continue
        sel = mm.group(1) or "main"
        vals = dict(re.findall(r"(\w+)=(\d+/\d+)", mm.group(2)))
        e = {"sel": sel}
        for k in KINDS:
            b, n = vals.get(k, "0/0").split("/")
            e[k] = (int(b), int(n))
        exps.append(e)
    unsupported = bool(re.search(r"VALGRIND:\s*unsupported", text[:2000]))
    return exps, unsupported

def exe_of(sel, name):
    return sel[4:] if sel.startswith("exe=") else name

def fmt(t):
    return "%d/%d" % t

def match_groups(exps, reports, name, cmp):
    """Match expectations to reports (multiset, grouped by executable).
    reports: list of (label, exe_basename, data). cmp(exp, data) -> None or reason."""
    reasons = []
    groups = {}
    for e in exps:
        groups.setdefault(exe_of(e["sel"], name), [[], []])[0].append(e)
    for r in reports:
        groups.setdefault(r[1], [[], []])[1].append(r)
    for exe, (es, rs) in sorted(groups.items()):
        if len(es) != len(rs):
            reasons.append("%d report(s) for %s, expected %d (%s)" % (
                len(rs), exe, len(es), ", ".join(os.path.basename(r[0]) for r in rs) or "none"))
            continue
        best = None
        for perm in itertools.permutations(rs):
            errs = [cmp(e, r[2]) for e, r in zip(es, perm)]
            bad = [("%s: %s" % (e["sel"], x)) for e, x in zip(es, errs) if x]
            if not bad:
                best = []
                break
            if best is None or len(bad) < len(best):
                best = bad
        reasons.extend(best)
    return reasons

def kind(summary, key):
    v = summary.get(key) or {}
    return (int(v.get("bytes", -1)), int(v.get("blocks", -1)))

TRACER_TLS_BYTES = 2 * 16  # two TLS modules added by the tracer, 16 bytes each in a DTV

def dtv_blocks(rep, kind_name):
    """Blocks of the given kind whose stack shows glibc's _dl_allocate_tls."""
    n = 0
    for leak in rep.get("leaks") or []:
        if leak.get("kind") != kind_name:
            continue
        if any("_dl_allocate_tls" in (f.get("function") or "") for f in leak.get("stack") or []):
            n += int(leak.get("blocks", 0))
    return n

def cmp_json(e, rep):
    s = rep.get("summary")
    if not isinstance(s, dict):
        return "no summary object"
    d, i = kind(s, "definitely_lost"), kind(s, "indirectly_lost")
    p, r, c = kind(s, "possibly_lost"), kind(s, "still_reachable"), kind(s, "cyclic")
    errs = []
    lost = (d[0] + i[0], d[1] + i[1])
    elost = (e["definite"][0] + e["indirect"][0], e["definite"][1] + e["indirect"][1])
    if lost != elost:
        errs.append("definite+indirect %s, expected %s" % (fmt(lost), fmt(elost)))
    if e["cyclic"] == (0, 0) and d != e["definite"]:
        errs.append("definite %s, expected %s" % (fmt(d), fmt(e["definite"])))
    # A fork child scans the stacks of the parent's other threads whole: their SPs at the
    # fork are not known in the child (Valgrind scans from there). A start pointer to
    # one's DTV block can lie in their dead frames (glibc's lazy binding saves the
    # registers there, and a new thread's come from its creator), so that block may be
    # still reachable instead of possibly lost (README, fork). Such blocks, of the
    # expected DTV size (with the tracer's allowance below), count as possible here;
    # everything else is compared as it is.
    moved = 0
    if e["sel"] == "child" and e["possible"][1] and (p != e["possible"] or r != e["reachable"]):
        size = e["possible"][0] // e["possible"][1] + TRACER_TLS_BYTES
        for k in range(1, e["possible"][1] - p[1] + 1):
            if (r[0] - k * size, r[1] - k) == e["reachable"]:
                p, r, moved = (p[0] + k * size, p[1] + k), e["reachable"], k
                break
    dtv = dtv_blocks(rep, "possibly_lost") + moved
    if p != e["possible"] and not (p[1] == e["possible"][1] and p[0] == e["possible"][0] + TRACER_TLS_BYTES * dtv):
        errs.append("possible %s, expected %s (+%d bytes allowed for %d DTV blocks)"
                    % (fmt(p), fmt(e["possible"]), TRACER_TLS_BYTES * dtv, dtv))
    if r != e["reachable"]:
        errs.append("reachable %s, expected %s" % (fmt(r), fmt(e["reachable"])))
    if c != e["cyclic"]:
        errs.append("cyclic %s, expected %s" % (fmt(c), fmt(e["cyclic"])))
    return "; ".join(errs) or None

def load_reports(files):
    out, errs = [], []
    for f in files:
        try:
            with open(f, encoding="utf-8") as fh:
                rep = json.load(fh)
        except Exception as ex:
            errs.append("%s does not parse: %s" % (os.path.basename(f), ex))
            continue
        if not isinstance(rep, dict):
            errs.append("%s is not a JSON object" % os.path.basename(f))
            continue
        out.append((f, os.path.basename(str(rep.get("exe", "?"))), rep))
    return out, errs

def cmd_expect(src):
    exps, unsupported = parse_expect(src)
    print(len(exps), "unsupported" if unsupported else "supported")

def cmd_check(src, name, files):
    exps, _ = parse_expect(src)
    if not files:
        return ["no JSON report written"]
    reps, errs = load_reports(files)
    if errs:
        return errs
    return match_groups(exps, reps, name, cmp_json)

VG_KEYS = (("definite", "definitely lost"), ("indirect", "indirectly lost"),
           ("possible", "possibly lost"), ("reachable", "still reachable"))

def parse_vg(f):
    t = open(f, encoding="utf-8", errors="replace").read()
    m = re.search(r"Command: (\S+)", t)
    exe = os.path.basename(m.group(1)) if m else "?"
    res = {}
    for k, label in VG_KEYS:
        mm = re.search(label + r": +([\d,]+) bytes in ([\d,]+) blocks", t)
        res[k] = (int(mm.group(1).replace(",", "")), int(mm.group(2).replace(",", ""))) if mm else (0, 0)
    ok = "LEAK SUMMARY" in t or "All heap blocks were freed" in t
    return exe, res, ok, t

def cmp_vg(e, res):
    errs = ["%s %s, expected %s" % (k, fmt(res[k]), fmt(e[k])) for k, _ in VG_KEYS if res[k] != e[k]]
    return "; ".join(errs) or None

def cmd_vgcheck(src, name, files):
    exps, _ = parse_expect(src)
    reps = []
    for f in files:
        exe, res, ok, t = parse_vg(f)
        if "Program aborting" in t:
            return ["valgrind aborted the program: " + t[t.index("Program aborting"):].split("\n")[0]]
        if not ok:
            continue  # a process that exec'ed: no leak summary of its own
        reps.append((f, exe, res))
    return match_groups(exps, reps, name, cmp_vg)

def frames(leak):
    return [fr for fr in (leak.get("stack") or []) if isinstance(fr, dict)]

def fnames(leak):
    return [str(fr.get("function") or "") for fr in frames(leak)]

def cmd_special(what, files):
    reps, errs = load_reports(files)
    if errs or not reps:
        return errs or ["no JSON report"]
    rep = reps[0][2]
    leaks = [l for l in (rep.get("leaks") or []) if isinstance(l, dict)]
    if what == "three_sites":
        dl = [l for l in leaks if l.get("kind") == "definitely_lost"]
        if len(dl) != 3:
            return ["%d definitely_lost leak records, expected 3" % len(dl)]
        seen = set()
        for want in ("alloc_alpha", "alloc_beta", "alloc_gamma"):
            hit = [l for l in dl if any(want in f for f in fnames(l))]
            if len(hit) != 1:
                return ["%d records with %s in the stack, expected 1 (stacks: %s)" % (
                    len(hit), want, [fnames(l) for l in dl])]
        stacks = {tuple((fr.get("address"), fr.get("function")) for fr in frames(l)) for l in dl}
        if len(stacks) != 3:
            return ["the 3 leak records do not have 3 distinct stacks"]
        return []
    if what == "dlopen_alloc":
        hit = [l for l in leaks if l.get("kind") == "definitely_lost" and l.get("bytes") == 123]
        if not hit:
            return ["no definitely_lost record of 123 bytes"]
        for l in hit:
            for fr in frames(l):
                if "dlvictim" in str(fr.get("module") or "") or "dlvictim_leak" in str(fr.get("function") or ""):
                    return []
        return ["the 123-byte leak's stack names neither libdlvictim.so nor dlvictim_leak: %s" %
                [(fr.get("function"), fr.get("module")) for l in hit for fr in frames(l)]]
    if what == "frees_all":
        s = rep.get("summary") or {}
        nonzero = [k for k, v in s.items() if isinstance(v, dict) and any(v.get(x) for x in ("bytes", "blocks", "cycles"))]
        if nonzero or leaks or rep.get("cycles"):
            return ["not zero everywhere: summary %s, %d leak records, %d cycles" % (
                nonzero, len(leaks), len(rep.get("cycles") or []))]
        return []
    if what.startswith("cycles="):
        n = int(what[7:])
        cyc = rep.get("cycles") or []
        got = (rep.get("summary") or {}).get("cyclic", {}).get("cycles")
        if len(cyc) != n or got != n:
            return ["%d cycle records and summary.cyclic.cycles=%s, expected %d" % (len(cyc), got, n)]
        return []
    return ["unknown special check " + what]

def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "expect":
        cmd_expect(args[0])
        return 0
    if cmd == "check":
        errs = cmd_check(args[0], args[1], args[2:])
    elif cmd == "vgcheck":
        errs = cmd_vgcheck(args[0], args[1], args[2:])
    elif cmd == "special":
        errs = cmd_special(args[0], args[1:])
    else:
        errs = ["unknown command " + cmd]
    if errs:
        print("; ".join(errs)[:1500])
        return 1
    return 0

sys.exit(main())
PYEOF
)

# lg_no_stop_timeout FILE: no stop waited a thread out (the warning names the timeout).
lg_no_stop_timeout() {
    ! grep -q 'did not stop within' "$1" || { grep -m1 'did not stop' "$1"; return 1; }
}

# lg_run_as_native DIR PROG [ARGS...]: PROG natively, then under `leakgraph run --lib
# $LG_LIB` with report=0, both from DIR (DIR/native.*, DIR/traced.*); prints why and
# fails when the traced run's stdout or status differs, or it timed out.
lg_run_as_native() {
    local d=$1
    shift
    mkdir -p "$d"
    (cd "$d" && lg_exec "$d" native 60 "$@")
    (cd "$d" && LEAKGRAPH_OPTIONS=report=0 lg_exec "$d" traced 120 "$LG_TOOL" run --lib "$LG_LIB" -- "$@")
    lg_same_as_native "$d"
}
