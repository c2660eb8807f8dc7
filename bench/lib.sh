# Shared by the bench scripts (sourced, from the top of the tree).

# bench_setup NAME: LIB and TOOL (the built tracer, absolute), B (build/bench/NAME,
# created); exits 2 when the tracer is not built.
bench_setup() {
    LIB=$PWD/build/libleakgraph.so
    TOOL=$PWD/build/leakgraph
    B=$PWD/build/bench/$1
    mkdir -p "$B"
    [ -x "$TOOL" ] && [ -f "$LIB" ] || { echo "$1: build first (make)"; exit 2; }
}

# median: of the numbers on stdin, one per line
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
