# leakgraph dot (objgraph's show_backrefs / show_refs / show_chain) and analyze --explain,
# on real snapshots: the registry victim (a global keeps every Connection) and lost rings.
# The offline commands run as the ASan+UBSan build, so a memory error or leak fails them.

# The registry victim's snapshots in $1 (snap1, snap2); prints why on failure.
dot_registry_snaps() {
    local d=$1
    mkdir -p "$d"
    (cd "$d" && lg_exec "$d" victim 60 env LG_SNAP_DIR="$d" "$LG_TOOL" run -- "$LG_PROGS/registry_growth")
    [ "$(cat "$d/victim.rc")" = 0 ] && [ -s "$d/snap2" ] ||
        { echo "registry_growth: exit $(cat "$d/victim.rc"), no snap2: $(lg_tail "$d/victim.err")"; return 1; }
}

# Checks that FILE is an SVG picture; prints why not.
dot_is_svg() {
    [ -s "$1" ] && grep -q '<svg' "$1" && grep -q '</svg>' "$1" || { echo "$1 is not an SVG: $(head -c 200 "$1" 2>/dev/null)"; return 1; }
}

t_dot_registry() { # --backrefs of a Connection reaches the global registry; dot renders it
    local d=$WORK/dot_registry addr
    dot_registry_snaps "$d" || return 1
    lg_exec "$d" c 60 "$LG_TOOL" chain "$d/snap2" --site new_connection
    addr=$(sed -n 's/^chain to \(0x[0-9a-f]*\) .*/\1/p' "$d/c.out" | tail -1)
    [ -n "$addr" ] || { echo "no connection address from chain: $(lg_tail "$d/c.out")"; return 1; }
    # The farthest of the first 10 chains: the global is more than 3 references away, so the
    # default depth must not reach it, and --max-depth 12 must.
    lg_exec "$d" near 60 "$LG_TOOL_SAN" dot "$d/snap2" --backrefs "$addr" -o "$d/near.dot"
    [ "$(cat "$d/near.rc")" = 0 ] || { echo "dot --backrefs: exit $(cat "$d/near.rc"): $(lg_tail "$d/near.err")"; return 1; }
    grep -q 'global registry' "$d/near.dot" && { echo "depth 3 reached the global 10 references away"; return 1; }
    [ "$(grep -c 'label="0x[0-9a-f]*\\n48 bytes, still reachable' "$d/near.dot")" = 4 ] ||
        { echo "depth 3: not the target and 3 referrers: $(grep -c 'label="0x' "$d/near.dot") blocks"; return 1; }
    lg_exec "$d" far 60 "$LG_TOOL_SAN" dot "$d/snap2" --backrefs "$addr" --max-depth 12 -o "$d/far.dot"
    [ "$(cat "$d/far.rc")" = 0 ] || { echo "dot --max-depth 12: exit $(cat "$d/far.rc"): $(lg_tail "$d/far.err")"; return 1; }
    grep -q 'label="global registry (+8) in registry_growth \[module offset 0x[0-9a-f]*\]", shape=ellipse' "$d/far.dot" ||
        { echo "no ellipse for the global registry in $(tr '\n' ' ' <"$d/far.dot" | cut -c1-600)"; return 1; }
    grep -q 'new_connection (tests/progs/registry_growth.c:[0-9]*)' "$d/far.dot" ||
        { echo "no allocating frame in the labels"; return 1; }
    grep -qE '^  n[0-9]+ -> n[0-9]+ \[label="\+40"\];' "$d/far.dot" || { echo "no edge labelled with the next pointer's offset +40"; return 1; }
    lg_exec "$d" svg 60 dot -Tsvg "$d/far.dot" -o "$d/far.svg"
    [ "$(cat "$d/svg.rc")" = 0 ] || { echo "Graphviz rejects the dot file: $(lg_tail "$d/svg.err")"; return 1; }
    dot_is_svg "$d/far.svg" || return 1
    grep -q 'global registry' "$d/far.svg" || { echo "the SVG does not name the global"; return 1; }
    # -o FILE.svg renders through Graphviz; --site and --chain draw the registry too
    lg_exec "$d" o 60 "$LG_TOOL_SAN" dot "$d/snap2" --chain --site new_connection -o "$d/chain.svg"
    [ "$(cat "$d/o.rc")" = 0 ] || { echo "dot -o chain.svg: exit $(cat "$d/o.rc"): $(lg_tail "$d/o.err")"; return 1; }
    dot_is_svg "$d/chain.svg" || return 1
    grep -q 'global registry' "$d/chain.svg" || { echo "the chain picture does not start at the global"; return 1; }
    grep -q "graph of [0-9]* nodes rendered to $d/chain.svg" "$d/o.out" || { echo "no 'rendered' line: $(cat "$d/o.out")"; return 1; }
    lg_exec "$d" png 60 "$LG_TOOL_SAN" dot "$d/snap2" --backrefs "$addr" -o "$d/b.png"
    [ "$(cat "$d/png.rc")" = 0 ] && [ "$(head -c 4 "$d/b.png" | tail -c 3)" = PNG ] ||
        { echo "dot -o b.png: exit $(cat "$d/png.rc"), not a PNG: $(lg_tail "$d/png.err")"; return 1; }
}

# Every reference between the members of cycle 1 that `leakgraph cycles` lists must be an
# edge of the dot file: python3 DOTFILE CYCLES_REPORT.
DOT_RING_PY='
import re, sys
dot, cyc = open(sys.argv[1]).read(), open(sys.argv[2]).read()
node = {a: n for n, a in re.findall(r"^  (n\d+) \[label=\"(0x[0-9a-f]+)\\n", dot, re.M)}
edges = set(re.findall(r"^  (n\d+) -> (n\d+)[ ;]", dot, re.M))
ring = re.findall(r"==\d+==    (0x[0-9a-f]+) \(.*?\) \+\d+ -> (0x[0-9a-f]+) ", cyc)
if not ring:
    sys.exit("no cycle edges in the cycles output")
missing = [(a, b) for a, b in ring if (node.get(a), node.get(b)) not in edges]
if missing:
    sys.exit("ring references not drawn: %s (nodes %s)" % (missing, node))
print(len(ring))
'

t_dot_ring() { # --refs from one lost block draws every reference of its ring, lost blocks in red
    local d=$WORK/dot_ring prog fn n addr want cyclic
    mkdir -p "$d"
    for prog in dlist_ring:make_ring:10:5 cycle_off_leaked:make:3:3; do
        IFS=: read -r prog fn want cyclic <<<"$prog"
        lg_exec "$d" "$prog" 60 "$LG_TOOL" run --report=0 --snapshot="$d/$prog.lgs" -- "$LG_PROGS/$prog"
        [ -s "$d/$prog.lgs" ] || { echo "$prog: no snapshot: $(lg_tail "$d/$prog.err")"; return 1; }
        lg_exec "$d" "$prog-cyc" 60 "$LG_TOOL" cycles "$d/$prog.lgs"
        # the definitely lost block (the ring's lowest member; in cycle_off_leaked the head
        # outside the ring, so that the ring is closed 3 references away, at the depth limit)
        lg_exec "$d" "$prog-all" 60 "$LG_TOOL" dot "$d/$prog.lgs" --refs --site "$fn" --max-depth 0
        addr=$(sed -n 's/.*label="\(0x[0-9a-f]*\)\\n[0-9]* bytes, definitely lost.*/\1/p' "$d/$prog-all.out")
        [ "$(echo "$addr" | wc -w)" = 1 ] || { echo "$prog: not one definitely lost block: '$addr' $(lg_tail "$d/$prog-all.err")"; return 1; }
        lg_exec "$d" "$prog-dot" 60 "$LG_TOOL_SAN" dot "$d/$prog.lgs" --refs "$addr" -o "$d/$prog.dot"
        [ "$(cat "$d/$prog-dot.rc")" = 0 ] || { echo "$prog: dot --refs $addr: exit $(cat "$d/$prog-dot.rc"): $(lg_tail "$d/$prog-dot.err")"; return 1; }
        n=$(python3 -c "$DOT_RING_PY" "$d/$prog.dot" "$d/$prog-cyc.err") || { echo "$prog: $n"; return 1; }
        [ "$n" = "$want" ] || { echo "$prog: $n ring references checked, expected $want"; return 1; }
        [ "$(grep -c 'definitely lost.*fillcolor="#ff6b6b"' "$d/$prog.dot")" = 1 ] ||
            { echo "$prog: not one definitely lost block filled red"; return 1; }
        [ "$(grep -c 'cyclic.*peripheries=2' "$d/$prog.dot")" = "$cyclic" ] ||
            { echo "$prog: $(grep -c peripheries "$d/$prog.dot") cyclic members double-bordered, expected $cyclic"; return 1; }
        lg_exec "$d" "$prog-svg" 60 dot -Tsvg "$d/$prog.dot" -o "$d/$prog.svg"
        [ "$(cat "$d/$prog-svg.rc")" = 0 ] && dot_is_svg "$d/$prog.svg" || { echo "$prog: $(lg_tail "$d/$prog-svg.err")"; return 1; }
    done
}

t_dot_bad_inputs() { # one clear message and the documented status for each bad input
    local d=$WORK/dot_bad s
    mkdir -p "$d"
    lg_exec "$d" v 60 "$LG_TOOL" run --report=0 --snapshot="$d/s.lgs" -- "$LG_PROGS/dlist_ring"
    s=$d/s.lgs
    [ -s "$s" ] || { echo "no snapshot: $(lg_tail "$d/v.err")"; return 1; }
    lg_exec "$d" a 60 "$LG_TOOL_SAN" dot "$s" --refs 0x10
    [ "$(cat "$d/a.rc")" = 1 ] && grep -q "0x10 is not inside any heap block" "$d/a.err" || { echo "non-block: exit $(cat "$d/a.rc"): $(lg_tail "$d/a.err")"; return 1; }
    lg_exec "$d" b 60 "$LG_TOOL_SAN" dot "$s" --backrefs --site 'no_such_function*'
    [ "$(cat "$d/b.rc")" = 1 ] && grep -q "matching 'no_such_function\*'" "$d/b.err" || { echo "--site matching nothing: exit $(cat "$d/b.rc"): $(lg_tail "$d/b.err")"; return 1; }
    lg_exec "$d" c 60 "$LG_TOOL_SAN" dot "$s" --backrefs --max-detph 2 --site make_ring
    [ "$(cat "$d/c.rc")" = 2 ] && grep -q "did you mean '--max-depth'" "$d/c.err" || { echo "typo: exit $(cat "$d/c.rc"): $(lg_tail "$d/c.err")"; return 1; }
    lg_exec "$d" e 60 "$LG_TOOL_SAN" dot "$d/missing.lgs" --refs 0x10
    [ "$(cat "$d/e.rc")" = 2 ] && grep -q "missing.lgs" "$d/e.err" || { echo "missing snapshot: exit $(cat "$d/e.rc"): $(lg_tail "$d/e.err")"; return 1; }
    lg_exec "$d" f 60 "$LG_TOOL_SAN" dot "$s" --refs --site make_ring -o "$d/x.pdf"
    [ "$(cat "$d/f.rc")" = 2 ] && grep -q "unknown format; name the file .dot" "$d/f.err" && [ ! -e "$d/x.pdf" ] ||
        { echo "-o x.pdf: exit $(cat "$d/f.rc"): $(lg_tail "$d/f.err")"; return 1; }
    lg_exec "$d" g 60 env PATH=/nonexistent "$LG_TOOL_SAN" dot "$s" --refs --site make_ring -o "$d/x.svg"
    [ "$(cat "$d/g.rc")" = 2 ] && grep -q "Graphviz's dot is not installed: apt-get install graphviz, or write $d/x.dot" "$d/g.err" &&
        [ ! -e "$d/x.svg" ] || { echo "no Graphviz: exit $(cat "$d/g.rc"): $(lg_tail "$d/g.err")"; return 1; }
    lg_exec "$d" h 60 "$LG_TOOL_SAN" dot "$s" --chain --site make_ring
    [ "$(cat "$d/h.rc")" = 1 ] && grep -q "no chain to draw" "$d/h.err" || { echo "--chain of lost blocks: exit $(cat "$d/h.rc"): $(lg_tail "$d/h.err")"; return 1; }
    lg_exec "$d" i 60 "$LG_TOOL_SAN" dot "$s" --site make_ring
    [ "$(cat "$d/i.rc")" = 2 ] && grep -q "missing --backrefs, --refs or --chain" "$d/i.err" || { echo "no mode: exit $(cat "$d/i.rc"): $(lg_tail "$d/i.err")"; return 1; }
    # without -o the dot text goes to stdout, and the file stays untouched
    lg_exec "$d" j 60 "$LG_TOOL_SAN" dot "$s" --refs --site make_ring
    [ "$(cat "$d/j.rc")" = 0 ] && head -1 "$d/j.out" | grep -qx 'digraph leakgraph {' || { echo "stdout: exit $(cat "$d/j.rc"): $(head -2 "$d/j.out")"; return 1; }
}

t_explain_registry() { # analyze --explain=1 (and run --explain=1) name the global registry
    local d=$WORK/explain_registry
    dot_registry_snaps "$d" || return 1
    lg_exec "$d" a 60 "$LG_TOOL_SAN" analyze "$d/snap2" --explain=1 --json "$d/a.json"
    [ "$(cat "$d/a.rc")" = 0 ] || { echo "analyze --explain=1: exit $(cat "$d/a.rc"): $(lg_tail "$d/a.err")"; return 1; }
    grep -q '^==[0-9]*== who keeps the largest still-reachable sites alive (--explain=1):' "$d/a.err" ||
        { echo "no explain section: $(lg_tail "$d/a.err")"; return 1; }
    grep -q '^==[0-9]*==   global registry (+8) in registry_growth \[module offset 0x' "$d/a.err" ||
        { echo "the chain does not start at the global registry: $(grep -A3 'who keeps' "$d/a.err" | tr '\n' '|')"; return 1; }
    [ "$(grep -c '^==[0-9]*== chain to 0x' "$d/a.err")" = 1 ] || { echo "not one chain for --explain=1"; return 1; }
    awk '/who keeps/ { w = NR } /LEAK SUMMARY/ { s = NR } END { exit !(w && s && w < s) }' "$d/a.err" ||
        { echo "the explain section is not before the summary"; return 1; }
    python3 -c '
import json, sys
e = json.load(open(sys.argv[1]))["explain"]
assert len(e) == 1 and e[0]["chain"]["root"]["symbol"] == "registry", e
assert e[0]["chain"]["hops"][-1]["stack"][0]["function"] == "new_connection", e
' "$d/a.json" || { echo "JSON explain array"; return 1; }
    lg_exec "$d" n 60 "$LG_TOOL_SAN" analyze "$d/snap2"
    grep -q 'who keeps' "$d/n.err" && { echo "explain section without --explain"; return 1; }
    (cd "$d" && lg_exec "$d" r 60 "$LG_TOOL" run --explain=1 --tool-path="$LG_TOOL_SAN" -- "$LG_PROGS/registry_growth")
    [ "$(cat "$d/r.rc")" = 0 ] || { echo "run --explain=1: exit $(cat "$d/r.rc"): $(lg_tail "$d/r.err")"; return 1; }
    grep -q '^==[0-9]*==   global registry (+8) in registry_growth' "$d/r.err" ||
        { echo "run --explain=1: the exit report does not name the global: $(lg_tail "$d/r.err")"; return 1; }
    (cd "$d" && lg_exec "$d" p 60 env LD_PRELOAD="$LG_LIB" LEAKGRAPH_OPTIONS="explain=1:tool_path=$LG_TOOL_SAN" "$LG_PROGS/registry_growth")
    grep -q '^==[0-9]*==   global registry (+8) in registry_growth' "$d/p.err" ||
        { echo "LEAKGRAPH_OPTIONS=explain=1 under LD_PRELOAD: no chain: $(lg_tail "$d/p.err")"; return 1; }
    lg_exec "$d" x 60 "$LG_TOOL" run --explain=many -- "$LG_PROGS/registry_growth"
    [ "$(cat "$d/x.rc")" = 2 ] && grep -q "explain: 'many' is not a number" "$d/x.err" || { echo "run --explain=many: exit $(cat "$d/x.rc")"; return 1; }
}

queue dot_registry t_dot_registry
queue dot_ring t_dot_ring
queue dot_bad_inputs t_dot_bad_inputs
queue explain_registry t_explain_registry

# The commands that load snapshots run themselves again with glibc's malloc on
# transparent huge pages (tools/main.c): a user's own GLIBC_TUNABLES stays, and a
# hugetlb setting of the user's wins. Seen through the environment Graphviz gets: a
# `dot` of our own first on PATH.
t_dot_tunables() {
    local d=$WORK/dot_tunables
    dot_registry_snaps "$d" || return 1
    mkdir -p "$d/bin"
    printf '#!/bin/sh\nprintf "%%s\\n" "${GLIBC_TUNABLES-unset}" >"%s/seen.$$"\n' "$d" >"$d/bin/dot"
    chmod +x "$d/bin/dot"
    local want
    for want in "unset|glibc.malloc.hugetlb=1" "glibc.malloc.tcache_count=5|glibc.malloc.tcache_count=5:glibc.malloc.hugetlb=1" \
        "glibc.malloc.hugetlb=0|glibc.malloc.hugetlb=0"; do
        rm -f "$d"/seen.*
        if [ "${want%%|*}" = unset ]; then
            lg_exec "$d" t 60 env -u GLIBC_TUNABLES PATH="$d/bin:$PATH" "$LG_TOOL" dot "$d/snap2" --refs --site new_connection -o "$d/x.svg"
        else
            lg_exec "$d" t 60 env GLIBC_TUNABLES="${want%%|*}" PATH="$d/bin:$PATH" "$LG_TOOL" dot "$d/snap2" --refs --site new_connection -o "$d/x.svg"
        fi
        [ "$(cat "$d"/seen.* 2>/dev/null)" = "${want#*|}" ] ||
            { echo "GLIBC_TUNABLES ${want%%|*}: Graphviz saw '$(cat "$d"/seen.* 2>/dev/null)', not '${want#*|}' (exit $(cat "$d/t.rc"): $(lg_tail "$d/t.err"))"; return 1; }
    done
    # the same report either way
    lg_exec "$d" plain 60 env GLIBC_TUNABLES=glibc.malloc.hugetlb=0 "$LG_TOOL" top "$d/snap2"
    lg_exec "$d" huge 60 env -u GLIBC_TUNABLES "$LG_TOOL" top "$d/snap2"
    [ "$(cat "$d/plain.rc") $(cat "$d/huge.rc")" = "0 0" ] && cmp -s "$d/plain.out" "$d/huge.out" ||
        { echo "top differs with huge pages: $(diff "$d/plain.out" "$d/huge.out" | head -5)"; return 1; }
}
queue dot_tunables t_dot_tunables
