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

# ratio_table WIDTH GCC_BASE CLANG_BASE BUILD...: a row per build with the medians of
# ms[BUILD.n.R] (native) and ms[BUILD.t.R] (traced) over R = 1..ROUNDS, from the
# caller's associative array ms, and the traced time's ratio to GCC_BASE's, or to
# CLANG_BASE's for a build whose name has "clang" in it.
ratio_table() {
    local w=$1 gbase=$2 cbase=$3 v m base
    shift 3
    printf "%-${w}s %10s %10s %8s\n" build native traced "traced ratio"
    for v in "$@"; do
        for m in n t; do ms[$v.$m]=$(for r in $(seq "$ROUNDS"); do echo "${ms[$v.$m.$r]}"; done | median); done
    done
    for v in "$@"; do
        base=$gbase
        [[ $v == *clang* ]] && base=$cbase
        printf "%-${w}s %10s %10s %7.2fx\n" "$v" "${ms[$v.n]}" "${ms[$v.t]}" "$(echo "${ms[$v.t]} / ${ms[$base.t]}" | bc -l)"
    done
}
