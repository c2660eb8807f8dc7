#!/usr/bin/env bash
# Collections benchmark: `make bench-collect` or `bash bench/collect.sh`.
# 1. bench/collectheap.c: a 1-million-block heap, 1 % of the blocks rewired between
#    collections; the mean collection time with full rescans, with userfaultfd dirty
#    pages, and with gcc's store hooks (the same program built with `leakgraph cflags gcc`).
#    bench/sparsearray.c: a 64 MB array of pointers, 1000 slots written between
#    collections: large blocks are compared only in their dirty cards or pages.
# 2. bench/storebench.c: a pointer-heavy loop (six pointer stores per operation), plain
#    and instrumented (LEAKGRAPH_STORE, gcc hooks, clang hooks), under the tracer with
#    the hooks armed; ratios to the plain build of the same compiler. Median of ROUNDS.
# Knobs: ROUNDS=3  KBLOCKS=1000  NODES="10000 1000000"  MOPS=20  SKIP_STORE=1 (collections only)
set -u
cd "$(dirname "$0")/.." || exit 1
ROUNDS=${ROUNDS:-3}
KBLOCKS=${KBLOCKS:-1000}
NODES=${NODES:-10000 1000000}
MOPS=${MOPS:-20}
LIB=build/libleakgraph.so
TOOL=build/leakgraph
B=build/bench
mkdir -p $B
[ -x $TOOL ] && [ -f $LIB ] || { echo "collect.sh: build first (make)"; exit 2; }
set -e
gcc -O2 -g -Iinclude bench/collectheap.c -o $B/collectheap
gcc -O2 -g $($TOOL cflags gcc) bench/collectheap.c -o $B/collectheap-gcc
gcc -O2 -g -Iinclude bench/sparsearray.c -o $B/sparsearray
gcc -O2 -g $($TOOL cflags gcc) bench/sparsearray.c -o $B/sparsearray-gcc
gcc -O2 -Iinclude bench/storebench.c -o $B/sb-gcc
gcc -O2 -Iinclude -DUSE_MACRO bench/storebench.c -o $B/sb-gcc-macro
gcc -O2 $($TOOL cflags gcc) bench/storebench.c -o $B/sb-gcc-hooks
clang -O2 -Iinclude bench/storebench.c -o $B/sb-clang
clang -O2 $($TOOL cflags clang) bench/storebench.c -o $B/sb-clang-hooks
set +e
. bench/lib.sh # median

echo "== collections, ${KBLOCKS}k blocks, 1 % rewired between collections, and 1 % replaced too"
echo "   (mean of 5 collections, median of $ROUNDS runs, interleaved)"
# prog:collect_dirty:replaced per mille
CFGS="collectheap:full:0 collectheap:auto:0 collectheap-gcc:hooks:0 collectheap:full:10 collectheap:auto:10 collectheap-gcc:hooks:10"
declare -A first=() later=()
for r in $(seq "$ROUNDS"); do # interleaved, so that a busy moment hits every configuration
    for cfg in $CFGS; do
        IFS=: read -r prog how repl <<<"$cfg"
        out=$(LEAKGRAPH_OPTIONS=report=0:collect_dirty=$how LD_PRELOAD=$LIB $B/$prog "$KBLOCKS" 5 10 "$repl" 2>/dev/null)
        first[$cfg]+="$(echo "$out" | sed -n 's/.*first collection: \([0-9.]*\) ms.*/\1/p') "
        later[$cfg]+="$(echo "$out" | sed -n 's/^mean of the later collections: \([0-9.]*\) ms/\1/p') "
    done
done
for cfg in $CFGS; do
    IFS=: read -r prog how repl <<<"$cfg"
    full=$(printf '%s\n' ${later[collectheap:full:$repl]} | median)
    l=$(printf '%s\n' ${later[$cfg]} | median)
    printf '%-16s %-6s replaced %2s/1000   first %8s ms   later %8s ms   %5.1fx faster than full rescans\n' \
        "$prog" "$how" "$repl" "$(printf '%s\n' ${first[$cfg]} | median)" "$l" "$(echo "$full / $l" | bc -l)"
done
echo "== a 64 MB array of pointers, 1000 slots written between collections (mean of 5, median of $ROUNDS)"
declare -A sp=()
for r in $(seq "$ROUNDS"); do
    for cfg in sparsearray:full sparsearray:uffd sparsearray-gcc:hooks; do
        IFS=: read -r prog how <<<"$cfg"
        sp[$cfg]+="$(LEAKGRAPH_OPTIONS=report=0:collect_dirty=$how LD_PRELOAD=$LIB $B/$prog 2>/dev/null |
            sed -n 's/^mean of the later collections: \([0-9.]*\) ms/\1/p') "
    done
done
spfull=$(printf '%s\n' ${sp[sparsearray:full]} | median)
for cfg in sparsearray:full sparsearray:uffd sparsearray-gcc:hooks; do
    l=$(printf '%s\n' ${sp[$cfg]} | median)
    printf '%-16s %-6s later %8s ms   %5.1fx faster than full rescans\n' "${cfg%%:*}" "${cfg##*:}" "$l" "$(echo "$spfull / $l" | bc -l)"
done
[ -n "${SKIP_STORE:-}" ] && exit 0

echo "== store hooks: loop time, median of $ROUNDS (ratio to the plain build of the same compiler)"
for n in $NODES; do
    declare -A ms=()
    # collect_last_store=0: the hooks log cards only (no read of the overwritten word)
    VARIANTS="sb-gcc sb-gcc-macro sb-gcc-macro:0 sb-gcc-hooks sb-gcc-hooks:0 sb-clang sb-clang-hooks sb-clang-hooks:0"
    for r in $(seq "$ROUNDS"); do # interleaved, so that a busy moment hits every variant
        for v in $VARIANTS; do
            ls=1
            [[ $v == *:0 ]] && ls=0
            ms[$v.$r]=$(LEAKGRAPH_OPTIONS=report=0:collect_last_store=$ls LD_PRELOAD=$LIB $B/${v%:0} "$n" "$MOPS" 2>/dev/null | sed -n 's/^loop \([0-9.]*\) ms.*/\1/p')
        done
    done
    for v in $VARIANTS; do
        ms[$v]=$(for r in $(seq "$ROUNDS"); do echo "${ms[$v.$r]}"; done | median)
    done
    for v in $VARIANTS; do
        base=${ms[sb-gcc]}
        [[ $v == sb-clang* ]] && base=${ms[sb-clang]}
        printf '%8s nodes  %-18s %9s ms  %5.2fx\n' "$n" "$v" "${ms[$v]}" "$(echo "${ms[$v]} / $base" | bc -l)"
    done
done
echo "== memcpy(64) through a pointer, 10M calls: native vs preloaded (interposed)"
nat=$($B/sb-gcc 1000 0 | sed -n 's/.*memcpy(64) \([0-9.]*\) ms/\1/p')
pre=$(LEAKGRAPH_OPTIONS=report=0 LD_PRELOAD=$LIB $B/sb-gcc 1000 0 2>/dev/null | sed -n 's/.*memcpy(64) \([0-9.]*\) ms/\1/p')
echo "native $nat ms, preloaded $pre ms"
