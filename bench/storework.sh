#!/usr/bin/env bash
# Store instrumentation on a pointer-heavy workload of our own: `make bench-storework` or
# `bash bench/storework.sh`. bench/workload.c (2 threads, linked lists and a binary tree
# rewired on every operation, with malloc/free/realloc between) is built five ways: gcc
# plain, gcc with its 20 pointer stores through LEAKGRAPH_STORE (-DWORKLOAD_STORE_MACRO),
# gcc with `leakgraph cflags gcc`, clang plain and clang with `leakgraph cflags clang`.
# Every build runs under the tracer with a collection every EVERY allocations
# (collect_every; the first after about a tenth of the run), so that the hooks are
# armed after the first one, as they are between collections. Prints the median wall time of ROUNDS interleaved runs and each
# instrumented build's ratio to the plain build of the same compiler.
# Knobs: ROUNDS=5  KOPS=3000 (operations per thread, thousands)  EVERY=1000000
#        LAST_STORE=1 (collect_last_store)
set -u
cd "$(dirname "$0")/.." || exit 1
ROUNDS=${ROUNDS:-5}
KOPS=${KOPS:-3000}
EVERY=${EVERY:-1000000}
LAST_STORE=${LAST_STORE:-1}
. bench/lib.sh
bench_setup storework
set -e
COMMON="-O2 -g -fno-omit-frame-pointer -pthread"
# shellcheck disable=SC2086
gcc $COMMON bench/workload.c -o "$B/gcc"
# shellcheck disable=SC2086
gcc $COMMON -DWORKLOAD_STORE_MACRO -Iinclude bench/workload.c -o "$B/gcc-macro"
# shellcheck disable=SC2086,SC2046
gcc $COMMON $($TOOL cflags gcc) bench/workload.c -o "$B/gcc-hooks" -L"$PWD/build" -Wl,-rpath,"$PWD/build" -lleakgraph_hooks
# shellcheck disable=SC2086
clang $COMMON bench/workload.c -o "$B/clang"
# shellcheck disable=SC2086,SC2046
clang $COMMON $($TOOL cflags clang) bench/workload.c -o "$B/clang-hooks" -L"$PWD/build" -Wl,-rpath,"$PWD/build" -lleakgraph_hooks
set +e

run_ms() { # PROG: wall ms under the tracer
    local t0 t1 rc
    t0=$(date +%s%N)
    LEAKGRAPH_OPTIONS=report=0:collect_every=$EVERY:collect_last_store=$LAST_STORE \
        LD_PRELOAD=$LIB "$B/$1" "$KOPS" 2 >"$B/$1.out" 2>"$B/$1.err"
    rc=$?
    t1=$(date +%s%N)
    [ $rc = 0 ] || { echo "storework.sh: $1 exited $rc: $(tail -2 "$B/$1.err")" >&2; exit 1; }
    echo $(((t1 - t0) / 1000000))
}
V="gcc gcc-macro gcc-hooks clang clang-hooks"
declare -A ms=()
for r in $(seq "$ROUNDS"); do # interleaved
    for v in $V; do ms[$v.$r]=$(run_ms "$v") || exit 1; done
done
# every build computes the same thing
sums=$(for v in $V; do cat "$B/$v.out"; done | sort -u | wc -l)
[ "$sums" = 1 ] || { echo "storework.sh: the builds disagree: $(cat "$B"/*.out | sort | uniq -c)"; exit 1; }
echo "== bench/workload.c, ${KOPS}k operations x 2 threads, under the tracer (collect_every=$EVERY, collect_last_store=$LAST_STORE): wall ms, median of $ROUNDS"
printf '%-12s %10s %8s\n' build traced ratio
for v in $V; do
    m=$(for r in $(seq "$ROUNDS"); do echo "${ms[$v.$r]}"; done | median)
    ms[$v]=$m
done
for v in $V; do
    base=gcc
    [[ $v == clang* ]] && base=clang
    printf '%-12s %10s %7.2fx\n' "$v" "${ms[$v]}" "$(echo "${ms[$v]} / ${ms[$base]}" | bc -l)"
done
