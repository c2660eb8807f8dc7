# Snapshots while the program runs (SIGUSR2, snapshot_every, snapshot_interval,
# leakgraph_snapshot), a program that keeps SIGUSR2 for itself, and show_growth.
# Victims: tests/progs/triggers.c (two threads churn for about 3 s) and
# tests/progs/growth_peak.c (objgraph's peak rule with exact numbers).

# trig_bg DIR TAG [VAR=VALUE...] -- CMD...: runs CMD in the background like lg_exec,
# waits for the victim's "triggers: running, pid N" line, sends SIGUSR2 to N, then
# waits for the end. Prints a reason and returns 1 if the line never came.
trig_bg() {
    local d=$1 tag=$2 pid i
    shift 2
    local envs=()
    while [ "$1" != -- ]; do envs+=("$1"); shift; done
    shift
    env "${envs[@]}" timeout -k 5 60 "$@" </dev/null >"$d/$tag.out" 2>"$d/$tag.err" &
    local job=$!
    for i in $(seq 1 200); do
        pid=$(sed -n 's/^triggers: running, pid \([0-9]*\)$/\1/p' "$d/$tag.err" | head -1)
        [ -n "$pid" ] && break
        sleep 0.05
    done
    [ -n "$pid" ] && kill -USR2 "$pid"
    wait $job
    echo $? >"$d/$tag.rc"
    [ -n "$pid" ] || { echo "$tag: no 'triggers: running' line on stderr: $(lg_tail "$d/$tag.err")"; return 1; }
}

# trig_check DIR WHY TEXT: the traced run (DIR/traced.*) behaved like the native one,
# left at least one snapshot in DIR/snaps whose header says TEXT, and logged
# "snapshot N (WHY) written to ...: the program was paused X ms" for each of them.
trig_check() {
    local d=$1 why=$2 text=$3 reason files f n logged
    reason=$(lg_same_as_native "$d") || { echo "$reason"; return 1; }
    files=$(ls "$d"/snaps/*.lgs 2>/dev/null)
    n=$(echo "$files" | grep -c .)
    [ "$n" -ge 1 ] || { echo "no snapshot in $d/snaps: $(lg_tail "$d/traced.err")"; return 1; }
    logged=$(grep -cE "^leakgraph: snapshot [0-9]* ?\($why\) written to $d/snaps/[^ ]*: [0-9]+ blocks; the program was paused [0-9]+\.[0-9] ms$" "$d/traced.err")
    [ "$logged" = "$n" ] || { echo "$n snapshot files, $logged '($why) ... paused' log lines: $(lg_tail "$d/traced.err")"; return 1; }
    for f in $(echo "$files" | head -1) $(echo "$files" | tail -1); do
        "$LG_TOOL" analyze "$f" >"$d/an.out" 2>"$d/an.err"
        grep -q "leak report for pid [0-9]* (.*), $text\$" "$d/an.err" "$d/an.out" ||
            { echo "analyze $(basename "$f"): no header ending with '$text': $(head -1 "$d/an.err")"; return 1; }
    done
}

trig_native() { # DIR [VAR=VALUE...]: the native run, for the output comparison
    local d=$1
    shift
    mkdir -p "$d/snaps"
    (cd "$d" && lg_exec "$d" native 60 env "$@" "$LG_PROGS/triggers")
}

t_trigger_signal() {
    local d=$WORK/trig_signal
    trig_native "$d"
    trig_bg "$d" traced -- "$LG_TOOL" run --output-dir="$d/snaps" -- "$LG_PROGS/triggers" || return 1
    trig_check "$d" signal "on a signal" || return 1
    [ "$(ls "$d"/snaps/*.lgs | wc -l)" = 1 ] || { echo "one signal, $(ls "$d"/snaps/*.lgs | wc -l) snapshots"; return 1; }
}

t_trigger_every() {
    local d=$WORK/trig_every
    trig_native "$d"
    (cd "$d" && lg_exec "$d" traced 60 "$LG_TOOL" run --output-dir="$d/snaps" --snapshot-every=1000000 -- "$LG_PROGS/triggers")
    trig_check "$d" "allocation threshold" "at an allocation threshold"
}

t_trigger_interval() {
    local d=$WORK/trig_interval
    trig_native "$d"
    (cd "$d" && lg_exec "$d" traced 60 env LEAKGRAPH_OPTIONS="snapshot_interval=1:output_dir=$d/snaps" \
        LD_PRELOAD="$LG_LIB" "$LG_PROGS/triggers")
    trig_check "$d" timer "on a timer"
}

t_trigger_api() { # leakgraph_snapshot(LG_SNAP_PATH): the file goes where the program says
    local d=$WORK/trig_api
    trig_native "$d" LG_SNAP_PATH="$d/snaps/api.%p.lgs"
    (cd "$d" && lg_exec "$d" traced 60 env LG_SNAP_PATH="$d/snaps/api.%p.lgs" "$LG_TOOL" run -- "$LG_PROGS/triggers")
    trig_check "$d" request "on request" || return 1
    ls "$d"/snaps/api.[0-9]*.lgs >/dev/null 2>&1 || { echo "no api.PID.lgs: $(ls "$d/snaps")"; return 1; }
}

t_trigger_own_usr2() { # the program's SIGUSR2 handler wins: it sees the signal, no snapshot, one warning
    local d=$WORK/trig_own n reason
    mkdir -p "$d/snaps"
    trig_bg "$d" native OWN_USR2=1 -- "$LG_PROGS/triggers" || return 1
    trig_bg "$d" traced OWN_USR2=1 -- "$LG_TOOL" run --output-dir="$d/snaps" -- "$LG_PROGS/triggers" || return 1
    reason=$(lg_same_as_native "$d") || { echo "$reason"; return 1; }
    grep -q "own handler saw the signal" "$d/traced.out" || { echo "stdout: $(head -c 200 "$d/traced.out")"; return 1; }
    n=$(grep -c "signal 12" "$d/traced.err")
    [ "$n" = 1 ] || { echo "$n lines about signal 12, expected one warning: $(lg_tail "$d/traced.err")"; return 1; }
    ! ls "$d"/snaps/*.lgs >/dev/null 2>&1 || { echo "snapshots taken on the program's signal: $(ls "$d/snaps")"; return 1; }
    ! grep -q "(signal) written" "$d/traced.err" || { echo "a signal snapshot was logged"; return 1; }
}

t_growth_show() { # show_growth rows at each timer trigger name the victim's churn; JSON lines parse
    local d=$WORK/growth_show reason
    trig_native "$d"
    (cd "$d" && lg_exec "$d" traced 60 "$LG_TOOL" run --output-dir="$d/snaps" --snapshot-interval=1 \
        --show-growth=1 --growth-limit=1 --growth-json="$d/growth.%p.json" -- "$LG_PROGS/triggers")
    trig_check "$d" timer "on a timer" || return 1
    grep -qE '^leakgraph: growth at snapshot [0-9]+ \(on a timer\): [0-9]+ of [0-9]+ sites above their peak, 1 shown' "$d/traced.err" ||
        { echo "no growth header line: $(lg_tail "$d/traced.err")"; return 1; }
    grep -qE '^leakgraph:   churn\+0x[0-9a-f]+ \(triggers\) +[0-9]+ +\+[0-9]+ +[0-9]+ +[-+][0-9]+  [0-9]+$' "$d/traced.err" ||
        { echo "no growth row for churn (triggers): $(grep -A3 'growth at' "$d/traced.err" | head -4 | tr '\n' '|')"; return 1; }
    [ "$(stat -c %a "$d"/growth.[0-9]*.json)" = 600 ] || { echo "growth JSON file missing or not mode 0600"; return 1; }
    python3 - "$d"/growth.[0-9]*.json <<'EOF' || return 1
import json, sys, collections
keys = {"growth", "snapshot", "reason", "time", "pid", "site", "function", "offset", "module", "pc",
        "count", "bytes", "delta_count", "delta_bytes"}
rows = [json.loads(l) for l in open(sys.argv[1])]
assert rows, "no JSON lines"
for r in rows:
    assert keys <= set(r), "missing keys %s" % (keys - set(r))
    assert r["reason"] == "timer" and r["snapshot"] >= 1 and r["delta_count"] > 0, r
per = collections.Counter(r["growth"] for r in rows)
assert max(per.values()) == 1, "growth_limit=1 but %s" % per
assert any(r["function"] == "churn" and r["module"] == "triggers" for r in rows), rows
EOF
}

t_growth_peak() { # objgraph's peak rule: 10 (+10), 5, 10 (nothing), 15 (+5)
    local d=$WORK/growth_peak reason
    mkdir -p "$d"
    (cd "$d" && lg_exec "$d" native 60 "$LG_PROGS/growth_peak")
    (cd "$d" && lg_exec "$d" traced 60 "$LG_TOOL" run --growth-json="$d/g.json" -- "$LG_PROGS/growth_peak")
    reason=$(lg_same_as_native "$d") || { echo "$reason"; return 1; }
    python3 - "$d/traced.err" "$d/g.json" <<'EOF' || return 1
import json, re, sys
err = open(sys.argv[1]).read().splitlines()
rows, step = {}, 1
for line in err:
    m = re.match(r"growth_peak: step (\d): (\d+) live, (\d+) rows$", line)
    if m:
        assert int(m.group(1)) == step, line
        step += 1
        continue
    m = re.match(r"leakgraph:   grow_node\+0x[0-9a-f]+ \(growth_peak\) +(\d+) +\+(\d+) +(\d+) +\+(\d+)  (\d+)$", line)
    if m:
        rows.setdefault(step, []).append(tuple(int(x) for x in m.groups()[:4]))
assert step == 5, "not 4 steps on stderr: %s" % err
assert rows == {1: [(10, 10, 480, 480)], 4: [(15, 5, 720, 240)]}, "grow_node rows by step: %s" % rows
steps = [l for l in err if l.startswith("growth_peak: step")]
assert steps[1].endswith(" 0 rows") and steps[2].endswith(" 0 rows"), steps
js = [json.loads(l) for l in open(sys.argv[2])]
got = [(j["growth"], j["count"], j["delta_count"], j["bytes"], j["delta_bytes"]) for j in js if j["function"] == "grow_node"]
assert got == [(1, 10, 10, 480, 480), (4, 15, 5, 720, 240)], "JSON rows: %s" % got
assert all(j["reason"] == "show_growth" and j["snapshot"] == 0 for j in js), js
EOF
}

queue trigger_signal t_trigger_signal
queue trigger_every t_trigger_every
queue trigger_interval t_trigger_interval
queue trigger_api t_trigger_api
queue trigger_own_usr2 t_trigger_own_usr2
queue growth_show t_growth_show
queue growth_peak t_growth_peak
