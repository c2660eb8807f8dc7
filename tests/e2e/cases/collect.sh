# In-process collections: leakgraph_collect/leakgraph_garbage step by step in every dirty
# mode (userfaultfd, store hooks from gcc and clang builds, full rescans, userfaultfd
# refused by seccomp), the background triggers and their printout, the last overwriting
# store, and collect_verify over the accuracy corpus and a randomized mutator: each
# collection is compared block by block with a full rescan at the same stop.

# What tests/progs/collect_api.c prints: the garbage after each step (see its comments).
COLLECT_API_EXPECTED='start: collect=0 garbage=0
single: collect=1 garbage=1
  definite size=32 cycle=0 fresh=1 stack=yes
ring kept: collect=1 garbage=1
  definite size=32 cycle=0 fresh=0 stack=yes
ring dropped: collect=4 garbage=4
  definite size=32 cycle=0 fresh=0 stack=yes
  definite size=32 cycle=1 fresh=1 stack=yes
  indirect size=32 cycle=1 fresh=1 stack=yes
  indirect size=32 cycle=1 fresh=1 stack=yes
memcpy: collect=6 garbage=6
  definite size=32 cycle=0 fresh=0 stack=yes
  definite size=32 cycle=1 fresh=0 stack=yes
  indirect size=32 cycle=1 fresh=0 stack=yes
  indirect size=32 cycle=1 fresh=0 stack=yes
  definite size=32 cycle=0 fresh=1 stack=yes
  definite size=32 cycle=0 fresh=1 stack=yes
freed: collect=6 garbage=6
  definite size=32 cycle=0 fresh=0 stack=yes
  definite size=32 cycle=1 fresh=0 stack=yes
  indirect size=32 cycle=1 fresh=0 stack=yes
  indirect size=32 cycle=1 fresh=0 stack=yes
  definite size=32 cycle=0 fresh=0 stack=yes
  definite size=32 cycle=0 fresh=0 stack=yes'

# ran_to_done DIR TAG: TAG's run exited 0 and printed "done" last; else says why.
ran_to_done() {
    [ "$(cat "$1/$2.rc")" = 0 ] && [ "$(tail -1 "$1/$2.out")" = done ] ||
        { echo "$2: exit $(cat "$1/$2.rc"): $(lg_tail "$1/$2.err")"; return 1; }
}

# verified_ok FILE MIN: every collect_verify summary in FILE says 0 mismatches, there is
# one, no MISMATCH line, and at least MIN collections were incremental in all.
verified_ok() {
    local f=$1 min=$2 lines inc
    lines=$(grep -E '^leakgraph: collect_verify: [0-9]+ collections \([0-9]+ incremental\)' "$f")
    [ -n "$lines" ] || { echo "no collect_verify summary: $(lg_tail "$f")"; return 1; }
    grep -m3 'MISMATCH' "$f" && return 1
    echo "$lines" | grep -qv ': 0 mismatches$' && { echo "$lines" | head -3; return 1; }
    inc=$(echo "$lines" | sed -E 's/.*\(([0-9]+) incremental\).*/\1/' | paste -sd+ | bc)
    [ "$inc" -ge "$min" ] || { echo "only $inc incremental collections compared (want $min): $lines"; return 1; }
}

# collect_api_run TAG MIN PROG ENV [ARGS...]: collect_api's output must be the expected one
# (or, with EXPECTED set, that text), verified with MIN incremental collections at least.
collect_api_run() {
    local tag=$1 min=$2 prog=$3 envv=$4 d=$WORK/collect_api
    shift 4
    mkdir -p "$d"
    lg_exec "$d" "$tag" 60 env "$envv" LD_PRELOAD="$LG_LIB" "$prog" "$@"
    [ "$(cat "$d/$tag.rc")" = 0 ] || { echo "$tag: exit $(cat "$d/$tag.rc"): $(lg_tail "$d/$tag.err")"; return 1; }
    [ "$(cat "$d/$tag.out")" = "${EXPECTED:-$COLLECT_API_EXPECTED}" ] ||
        { echo "$tag: output differs: $(diff <(echo "${EXPECTED:-$COLLECT_API_EXPECTED}") "$d/$tag.out" | head -6 | tr '\n' '|')"; return 1; }
    verified_ok "$d/$tag.err" "$min"
}

t_collect_api_uffd() {
    collect_api_run uffd 6 "$LG_PROGS/collect_api" LEAKGRAPH_OPTIONS=report=0:collect_verify=1:verbosity=2:collect_dirty=uffd || return 1
    grep -q 'incremental with dirty tracking by userfaultfd write-protect' "$WORK/collect_api/uffd.err" ||
        { echo "verbosity=2 does not say userfaultfd is in use: $(lg_tail "$WORK/collect_api/uffd.err")"; return 1; }
}
t_collect_api_full() { collect_api_run full 0 "$LG_PROGS/collect_api" LEAKGRAPH_OPTIONS=report=0:collect_verify=1:collect_dirty=full; }
t_collect_api_gcc_hooks() { collect_api_run gcc 6 "$LG_PROGS/collect_api-gcc" LEAKGRAPH_OPTIONS=report=0:collect_verify=1:collect_dirty=hooks; }
# clang -O1 leaves other stale copies on the stack than gcc: the hooks must give what full
# rescans of the same binary give.
t_collect_api_clang_hooks() {
    local d=$WORK/collect_api
    mkdir -p "$d"
    lg_exec "$d" clang-full 60 env LEAKGRAPH_OPTIONS=report=0:collect_dirty=full LD_PRELOAD="$LG_LIB" "$LG_PROGS/collect_api-clang"
    grep -q '^ring dropped: collect=4 garbage=4$' "$d/clang-full.out" || { echo "clang build, full rescans: $(cat "$d/clang-full.out" | tr '\n' '|')"; return 1; }
    EXPECTED=$(cat "$d/clang-full.out") collect_api_run clang 6 "$LG_PROGS/collect_api-clang" LEAKGRAPH_OPTIONS=report=0:collect_verify=1:collect_dirty=hooks
}
t_collect_api_native() { # the API without the tracer: weak symbols, nothing happens
    local d=$WORK/collect_api
    mkdir -p "$d"
    lg_exec "$d" native 60 "$LG_PROGS/collect_api-gcc"
    [ "$(cat "$d/native.out")" = "no tracer" ] && [ "$(cat "$d/native.rc")" = 0 ] ||
        { echo "without the tracer: $(cat "$d/native.out") rc $(cat "$d/native.rc")"; return 1; }
}
# userfaultfd refused by seccomp: one line, the program goes on, the answers are the same.
t_collect_uffd_refused() {
    local d=$WORK/collect_api n
    collect_api_run refused 0 "$LG_PROGS/no_uffd" LEAKGRAPH_OPTIONS=report=0:collect_verify=1 "$LG_PROGS/collect_api" || return 1
    n=$(grep -c 'no page-level dirty tracking (userfaultfd not permitted' "$d/refused.err")
    [ "$n" = 1 ] || { echo "$n fallback lines: $(lg_tail "$d/refused.err")"; return 1; }
}
queue collect_api_uffd t_collect_api_uffd
queue collect_api_full t_collect_api_full
queue collect_api_gcc_hooks t_collect_api_gcc_hooks
queue collect_api_clang_hooks t_collect_api_clang_hooks
queue collect_api_native t_collect_api_native
queue collect_uffd_refused t_collect_uffd_refused

# collect_every: the allocation after the ring is dropped runs a collection that prints it
# as a cycle, with the store that overwrote its last reference (the LEAKGRAPH_STORE macro
# in overwrite_slot; gcc's hook for the same store in the gcc build).
t_collect_every() {
    local d=$WORK/collect_every p
    mkdir -p "$d"
    for p in collect_api collect_api-gcc; do
        lg_exec "$d" "$p" 60 env LEAKGRAPH_OPTIONS=report=0:collect_every=1 LD_PRELOAD="$LG_LIB" "$LG_PROGS/$p" noapi
        [ "$(cat "$d/$p.rc")" = 0 ] || { echo "$p: exit $(cat "$d/$p.rc")"; return 1; }
        grep -qE '^leakgraph: collection [0-9]+: [0-9]+ blocks \([0-9]+ bytes\) unreachable, [0-9]+ of them new:$' "$d/$p.err" ||
            { echo "$p: no collection header: $(lg_tail "$d/$p.err")"; return 1; }
        grep -qE '^leakgraph:   cycle of 3 blocks, 96 bytes, at( 0x[0-9a-f]+){3}; first allocated at make\+0x[0-9a-f]+ \('"$p"'\) <- drop_ring' "$d/$p.err" ||
            { echo "$p: the ring is not printed as a cycle of 3 from make <- drop_ring: $(grep cycle "$d/$p.err" | head -2)"; return 1; }
        grep -A1 'cycle of 3 blocks' "$d/$p.err" | grep -qE '^leakgraph:     last reference overwritten by the store at overwrite_slot\+0x[0-9a-f]+ \('"$p"'\)$' ||
            { echo "$p: no last store in overwrite_slot: $(grep -A1 'cycle of 3' "$d/$p.err" | head -2)"; return 1; }
        grep -qE '^leakgraph:   definitely lost: 32 bytes at 0x[0-9a-f]+, allocated at make\+0x[0-9a-f]+ \('"$p"'\) <- main' "$d/$p.err" ||
            { echo "$p: the single block is not printed: $(lg_tail "$d/$p.err")"; return 1; }
    done
}
queue collect_every t_collect_every

# collect_interval: a background thread collects while the program sleeps.
t_collect_interval() {
    local d=$WORK/collect_interval
    mkdir -p "$d"
    lg_exec "$d" run 60 "$LG_TOOL" run --collect-interval=1 --report=0 -- "$LG_PROGS/collect_api" sleep
    [ "$(cat "$d/run.rc")" = 0 ] || { echo "exit $(cat "$d/run.rc"): $(lg_tail "$d/run.err")"; return 1; }
    grep -q 'cycle of 3 blocks, 96 bytes' "$d/run.err" ||
        { echo "no timed collection printed the ring: $(lg_tail "$d/run.err")"; return 1; }
}
queue collect_interval t_collect_interval

# The randomized mutator: every collection equal to a full rescan at the same stop.
# Hooks mode: gcc's hooks see atomics; clang's do not (documented), so its run has none.
mutator_run() {
    local tag=$1 prog=$2 opts=$3 d=$WORK/collect_mutator
    shift 3
    mkdir -p "$d"
    lg_exec "$d" "$tag" 120 env LEAKGRAPH_OPTIONS="report=0:collect_verify=1:$opts" LD_PRELOAD="$LG_LIB" "$prog" "$@"
    ran_to_done "$d" "$tag" || return 1
    verified_ok "$d/$tag.err" 30
}
t_collect_mutator_uffd() { mutator_run uffd "$LG_PROGS/collect_mutator" collect_dirty=uffd 40 7 1; }
t_collect_mutator_gcc() { mutator_run gcc "$LG_PROGS/collect_mutator-gcc" collect_dirty=hooks 40 8 1; }
t_collect_mutator_clang() { mutator_run clang "$LG_PROGS/collect_mutator-clang" collect_dirty=hooks 40 9 0; }
t_collect_mutator_refused() { mutator_run refused "$LG_PROGS/no_uffd" collect_dirty=auto "$LG_PROGS/collect_mutator-gcc" 40 10 1; }
queue collect_mutator_uffd t_collect_mutator_uffd
queue collect_mutator_gcc t_collect_mutator_gcc
queue collect_mutator_clang t_collect_mutator_clang
queue collect_mutator_refused t_collect_mutator_refused

# A store in flight across collections (collect_inflight): a thread calls a compiler
# hook (or leakgraph_note_store, as LEAKGRAPH_STORE outside the card table), then waits, while the main thread collects once or twice, then stores the only
# reference to a block. The next collection must find the block reachable, and agree
# with a full rescan, from the first collection on (before the fix: round 1, where the
# hooks were disarmed, and the rounds that wait over two collections lost the block).
inflight_run() {
    local tag=$1 d=$WORK/collect_inflight
    mkdir -p "$d"
    lg_exec "$d" "$tag" 60 env LEAKGRAPH_OPTIONS=report=0:collect_verify=1:collect_dirty=hooks \
        LD_PRELOAD="$LG_LIB" "$LG_PROGS/collect_inflight" "$tag" 4
    ran_to_done "$d" "$tag" || return 1
    [ "$(grep -c ', 0 after it$' "$d/$tag.out")" = 4 ] || { echo "$tag: $(cat "$d/$tag.out")"; return 1; }
    verified_ok "$d/$tag.err" 8
}
t_collect_inflight_gcc() { inflight_run gcc; }
t_collect_inflight_clang() { inflight_run clang; }
t_collect_inflight_macro() { inflight_run macro; }
queue collect_inflight_gcc t_collect_inflight_gcc
queue collect_inflight_clang t_collect_inflight_clang
queue collect_inflight_macro t_collect_inflight_macro

# Few operations per round keep most of the marking tree from one collection to the
# next: the live graph marks again locally below the suspects (blocks whose parent
# reference went), and follows only the new references otherwise. Each collection is
# still compared block by block with a full rescan; the local paths must have been taken.
mutator_local_run() {
    local tag=$1 prog=$2 mode=$3 d=$WORK/collect_mutator n want
    mutator_run "$tag" "$prog" "collect_dirty=$mode:verbosity=2" 60 "$4" "$5" 10 || return 1
    for want in 'suspects \(marked again locally' ' 0 suspects;'; do
        n=$(grep -cE "^leakgraph: collection [0-9]+: .*$want" "$d/$tag.err")
        [ "$n" -ge 1 ] || { echo "$tag: no collection matched '$want'"; return 1; }
    done
}
t_collect_mutator_local_gcc() { mutator_local_run local_gcc "$LG_PROGS/collect_mutator-gcc" hooks 11 1; }
t_collect_mutator_local_clang() { mutator_local_run local_clang "$LG_PROGS/collect_mutator-clang" hooks 12 0; }
t_collect_mutator_local_uffd() { mutator_local_run local_uffd "$LG_PROGS/collect_mutator" uffd 13 1; }
queue collect_mutator_local_gcc t_collect_mutator_local_gcc
queue collect_mutator_local_clang t_collect_mutator_local_clang
queue collect_mutator_local_uffd t_collect_mutator_local_uffd

# Edge cases (collect_edges): blocks of 8 to 200,000 bytes, sizes not multiples of 8,
# words set to zeros, small integers, start, interior, one-past-the-end, unaligned and
# dangling pointers; blocks freed and allocated again at the same address, realloc'd,
# copied over one another, shifted, zeroed. Four seeds, each collection compared with a
# full rescan. (Leaving out one word_gone in pend_resolve gave 442 mismatches here.)
edges_run() {
    local tag=$1 prog=$2 mode=$3 d=$WORK/collect_edges seed
    mkdir -p "$d"
    for seed in 1 2 3 4; do
        lg_exec "$d" "$tag-$seed" 120 env LEAKGRAPH_OPTIONS="report=0:collect_verify=1:collect_dirty=$mode" \
            LD_PRELOAD="$LG_LIB" "$prog" 40 "$seed" 30 500
        ran_to_done "$d" "$tag-$seed" || return 1
        verified_ok "$d/$tag-$seed.err" 40 || { echo "$tag: seed $seed"; return 1; }
    done
}

# A large heap that mostly stays (collect_rewire: 1 % of the references rewired per round,
# leaves replaced and dropped every other round): the same unreachable counts as full
# rescans, every collection verified, and both incremental marks taken (nothing to mark
# again; marked again locally), the blocks not reached again looked for in the dirty
# rows (the array of all nodes refers to them) instead of a pass over every row.
rewire_run() {
    local tag=$1 prog=$2 mode=$3 d=$WORK/collect_rewire n want
    mkdir -p "$d"
    lg_exec "$d" "$tag-full" 120 env LEAKGRAPH_OPTIONS=report=0:collect_dirty=full LD_PRELOAD="$LG_LIB" "$LG_PROGS/collect_rewire"
    lg_exec "$d" "$tag" 120 env LEAKGRAPH_OPTIONS="report=0:collect_verify=1:verbosity=2:collect_dirty=$mode" \
        LD_PRELOAD="$LG_LIB" "$prog"
    ran_to_done "$d" "$tag" || return 1
    cmp -s "$d/$tag-full.out" "$d/$tag.out" ||
        { echo "$tag: unreachable counts differ from full rescans: $(diff "$d/$tag-full.out" "$d/$tag.out" | head -4 | tr '\n' '|')"; return 1; }
    grep -q '^round 12 [1-9]' "$d/$tag.out" || { echo "$tag: nothing lost at the end: $(tail -2 "$d/$tag.out")"; return 1; }
    verified_ok "$d/$tag.err" 12 || return 1
    for want in 'suspects \(marked again locally' ' 0 suspects;' 'the dirty rows searched\)'; do
        n=$(grep -cE "^leakgraph: collection [0-9]+: .*$want" "$d/$tag.err")
        [ "$n" -ge 2 ] || { echo "$tag: only $n collections matched '$want'"; return 1; }
    done
}
# queue_dirty_modes VICTIM RUN: RUN TAG PROG MODE under gcc's and clang's store hooks
# (VICTIM-gcc, VICTIM-clang) and under userfaultfd (VICTIM), as VICTIM_gcc and so on.
queue_dirty_modes() {
    queue "$1_gcc" "$2" gcc "$LG_PROGS/$1-gcc" hooks
    queue "$1_clang" "$2" clang "$LG_PROGS/$1-clang" hooks
    queue "$1_uffd" "$2" uffd "$LG_PROGS/$1" uffd
}
queue_dirty_modes collect_rewire rewire_run
queue_dirty_modes collect_edges edges_run

# A large block whose clean stretches collections keep without reading (collect_hugerow):
# blocks it points to freed and born again at the same address, in stretches nothing
# wrote. Every collection verified, the counts those of full rescans. (Without the
# look-up of such words in release_dead's pass, 620 blocks differed under userfaultfd.)
hugerow_run() {
    local tag=$1 prog=$2 mode=$3 d=$WORK/collect_hugerow
    mkdir -p "$d"
    lg_exec "$d" "$tag-full" 120 env LEAKGRAPH_OPTIONS=report=0:free_batch=0:collect_dirty=full LD_PRELOAD="$LG_LIB" "$prog" 30 5
    lg_exec "$d" "$tag" 120 env LEAKGRAPH_OPTIONS="report=0:free_batch=0:collect_verify=1:collect_dirty=$mode" \
        LD_PRELOAD="$LG_LIB" "$prog" 30 5
    [ "$(cat "$d/$tag.rc")" = 0 ] || { echo "$tag: exit $(cat "$d/$tag.rc"): $(lg_tail "$d/$tag.err")"; return 1; }
    cmp -s "$d/$tag-full.out" "$d/$tag.out" ||
        { echo "$tag: counts differ from full rescans: $(diff "$d/$tag-full.out" "$d/$tag.out" | head -4 | tr '\n' '|')"; return 1; }
    local back
    back=$(sed -n 's/^came back at their address: //p' "$d/$tag.out")
    [ "${back:-0}" -ge 100 ] || { echo "$tag: only ${back:-0} blocks came back at their address"; return 1; }
    verified_ok "$d/$tag.err" 30 || return 1
}
queue_dirty_modes collect_hugerow hugerow_run

# Interior pointers accepted by a heuristic, varied sizes, realloc and memcpy, under the
# hooks and userfaultfd: every collection verified (collect_interior, 300 rounds of 8
# operations, ten seeds each: the build before the fix for clean rows' interior pointers
# into reused ids failed seed 7).
interior_run() {
    local tag=$1 prog=$2 mode=$3 d=$WORK/collect_interior seed
    mkdir -p "$d"
    for seed in 1 2 3 4 5 6 7 8 9 10; do
        lg_exec "$d" "$tag-$seed" 120 env LEAKGRAPH_OPTIONS="report=0:collect_verify=1:collect_dirty=$mode" \
            LD_PRELOAD="$LG_LIB" "$prog" 300 "$seed" 8
        ran_to_done "$d" "$tag-$seed" || return 1
        verified_ok "$d/$tag-$seed.err" 250 || { echo "$tag seed $seed"; return 1; }
    done
}
queue_dirty_modes collect_interior interior_run

# Two corner cases found in review, each with the counts a full rescan gives:
# collect_slowreuse: an interior pointer in a clean block into a block freed and born
# again at the same address (its id reused); collect_newpartial: a clean block that
# becomes partly unreadable, then readable again.
corner_run() {
    local name=$1 want=$2 mode d=$WORK/collect_corner
    mkdir -p "$d"
    for mode in uffd full; do
        lg_exec "$d" "$name-$mode" 60 env LEAKGRAPH_OPTIONS="report=0:free_batch=0:collect_verify=1:collect_dirty=$mode" \
            LD_PRELOAD="$LG_LIB" "$LG_PROGS/$name"
        [ "$(cat "$d/$name-$mode.rc")" = 0 ] || { echo "$mode: exit $(cat "$d/$name-$mode.rc"): $(lg_tail "$d/$name-$mode.err")"; return 1; }
        [ "$(tr '\n' ' ' <"$d/$name-$mode.out")" = "$want" ] || { echo "$mode: got $(tr '\n' ' ' <"$d/$name-$mode.out"), want $want"; return 1; }
        verified_ok "$d/$name-$mode.err" 0 || return 1
    done
    grep -q 'collect_verify: 4 collections (3 incremental)' "$d/$name-uffd.err" || { echo "uffd: not incremental: $(lg_tail "$d/$name-uffd.err")"; return 1; }
}
t_collect_slowreuse() { corner_run collect_slowreuse 'c1 0 c2 0 c3 0 '; }
t_collect_newpartial() { corner_run collect_newpartial 'c1 0 c2 1 c3 0 '; }
queue collect_slowreuse t_collect_slowreuse
queue collect_newpartial t_collect_newpartial

# Hooks called before the tracer is ready, from other threads, on addresses outside blocks.
t_collect_hooks_bad() {
    local d=$WORK/collect_hooks_bad m
    mkdir -p "$d"
    for m in uffd hooks; do
        lg_exec "$d" $m 60 env LEAKGRAPH_OPTIONS=report=0:collect_verify=1:collect_dirty=$m LD_PRELOAD="$LG_LIB" "$LG_PROGS/hooks_bad"
        [ "$(cat "$d/$m.rc")" = 0 ] && [ "$(cat "$d/$m.out")" = ok ] || { echo "$m: exit $(cat "$d/$m.rc"): $(lg_tail "$d/$m.err")"; return 1; }
        verified_ok "$d/$m.err" 1 || return 1
    done
}
queue collect_hooks_bad t_collect_hooks_bad

# Bad option values: one warning each, the program unharmed.
t_collect_bad_options() {
    local d=$WORK/collect_bad_options
    mkdir -p "$d"
    lg_exec "$d" run 60 env LEAKGRAPH_OPTIONS=report=0:collect_dirty=sometimes:collect_every=-3 LD_PRELOAD="$LG_LIB" "$LG_PROGS/collect_api"
    [ "$(cat "$d/run.out")" = "$COLLECT_API_EXPECTED" ] || { echo "output changed: $(lg_tail "$d/run.err")"; return 1; }
    grep -q 'collect_dirty=sometimes is not one of auto, uffd, hooks, full; using auto' "$d/run.err" ||
        { echo "no warning for collect_dirty: $(lg_tail "$d/run.err")"; return 1; }
    grep -q 'collect_every and collect_interval must not be negative' "$d/run.err" ||
        { echo "no warning for collect_every=-3: $(lg_tail "$d/run.err")"; return 1; }
    lg_exec "$d" cf 10 "$LG_TOOL" cflags
    [ "$(cat "$d/cf.rc")" = 2 ] && grep -q 'name the compiler: clang or gcc' "$d/cf.err" || { echo "cflags without a compiler: rc $(cat "$d/cf.rc")"; return 1; }
    lg_exec "$d" cf2 10 "$LG_TOOL" cflags gcc --bogus
    [ "$(cat "$d/cf2.rc")" = 2 ] || { echo "cflags --bogus: rc $(cat "$d/cf2.rc")"; return 1; }
}
queue collect_bad_options t_collect_bad_options

# `leakgraph cflags` builds a program whose hooks reach the tracer, with either compiler.
t_collect_cflags() {
    local d=$WORK/collect_cflags cc
    mkdir -p "$d"
    for cc in gcc clang; do
        # shellcheck disable=SC2046
        $cc -O1 $("$LG_TOOL" cflags $cc) -o "$d/api-$cc" "$LG_SRC_PROGS/collect_api.c" 2>"$d/cc-$cc.err" ||
            { echo "$cc with leakgraph cflags: $(head -3 "$d/cc-$cc.err")"; return 1; }
        nm -u "$d/api-$cc" | grep -qE '__(sanitizer_cov|asan)_store8' || { echo "$cc: no store hook called"; return 1; }
        lg_exec "$d" $cc 60 "$d/api-$cc"
        [ "$(cat "$d/$cc.out")" = "no tracer" ] || { echo "$cc build without the tracer: $(cat "$d/$cc.out")"; return 1; }
    done
}
queue collect_cflags t_collect_cflags

# collect_verify over the accuracy corpus: collections every few allocations and at exit.
t_collect_verify_victim() {
    local name=$1 src=$2 d=$WORK/collect_verify/$1 pd every=3
    mkdir -p "$d"
    # victims with 10^5 allocations and more: every 3 would be quadratic
    case $name in many_small | errno_kept | fork_threads | triggers | frees_all | threads_64 | nofp_many) every=2003 ;; esac
    pd=$(prog_dir "$name" "$src" "$WORK") || { echo "cannot stage $name"; return 1; }
    (cd "$d" && LG_PROGS=$pd lg_exec "$d" native 60 "$pd/$name")
    (cd "$d" && LG_PROGS=$pd lg_exec "$d" traced 120 env LEAKGRAPH_OPTIONS="report=0:collect_every=$every:collect_verify=1:collect_limit=1" \
        LD_PRELOAD="$LG_LIB" "$pd/$name")
    lg_same_as_native "$d" || return 1
    verified_ok "$d/traced.err" 0
}
for src in "${VICTIMS[@]}"; do
    name=$(basename "$src")
    name=${name%.*}
    queue "collect_verify:$name" t_collect_verify_victim "$name" "$src"
done

# leakgraph_garbage writes block addresses into an array the program allocated before
# the last collection (tests/progs/garbage_into_heap.c): the next collection must see
# them. With store hooks the tracer records that write itself (its own copies are not
# the program's writes); it was lost when the compiler inlined the memset that used to
# go through the interposed one. (The gcc build keeps the chain reachable from a stale
# register, so its rounds prove nothing; clang's and the plain build's do.)
garbage_heap_run() { # TAG PROG MODE
    local tag=$1 prog=$2 mode=$3 d=$WORK/garbage_into_heap
    mkdir -p "$d"
    lg_exec "$d" "$tag" 60 env LEAKGRAPH_OPTIONS="report=0:collect_verify=1:collect_dirty=$mode" LD_PRELOAD="$LG_LIB" "$prog"
    ran_to_done "$d" "$tag" || return 1
    verified_ok "$d/$tag.err" 5 || return 1
    [ "$(grep -c '^round [0-9]: 8 unreachable, 8 listed, 0 unreachable after$' "$d/$tag.out")" = 3 ] ||
        { echo "$tag: $(tr '\n' '|' <"$d/$tag.out")"; return 1; }
}
t_garbage_into_heap_clang() { garbage_heap_run clang "$LG_PROGS/garbage_into_heap-clang" hooks; }
t_garbage_into_heap_uffd() { garbage_heap_run uffd "$LG_PROGS/garbage_into_heap" uffd; }
queue garbage_into_heap_clang t_garbage_into_heap_clang
queue garbage_into_heap_uffd t_garbage_into_heap_uffd

# Fortified builds call __memcpy_chk and its siblings (tests/progs/collect_chk.c calls
# them by name): with store hooks as the dirty source their writes are recorded as
# memcpy's, so an incremental collection sees a reference copied into an old node, and
# its clearing; the string entry points keep glibc's results, and an overflow aborts as
# glibc's check does (also one that only reading past the object would find).
t_collect_chk() {
    local d=$WORK/collect_chk want
    mkdir -p "$d"
    lg_exec "$d" native 30 "$LG_PROGS/collect_chk"
    lg_exec "$d" traced 60 env LEAKGRAPH_OPTIONS=report=0:collect_dirty=hooks:collect_verify=1 \
        LD_PRELOAD="$LG_LIB" "$LG_PROGS/collect_chk"
    [ "$(cat "$d/traced.rc")" = 0 ] || { echo "exit $(cat "$d/traced.rc"): $(lg_tail "$d/traced.err")"; return 1; }
    want=$'copy 0: collect=0\ncopy 1: collect=0\ncopy 2: collect=0\ncleared: collect=3'
    [ "$(grep collect= "$d/traced.out")" = "$want" ] ||
        { echo "collections: $(grep collect= "$d/traced.out" | tr '\n' '|')"; return 1; }
    [ "$(grep -v collect= "$d/traced.out")" = "$(grep -v collect= "$d/native.out")" ] ||
        { echo "string results differ: $(diff <(grep -v collect= "$d/native.out") <(grep -v collect= "$d/traced.out") | tr '\n' '|')"; return 1; }
    verified_ok "$d/traced.err" 5 || return 1
    lg_exec "$d" native-overflow 30 "$LG_PROGS/collect_chk" overflow
    lg_exec "$d" traced-overflow 30 env LEAKGRAPH_OPTIONS=report=0:collect_dirty=hooks \
        LD_PRELOAD="$LG_LIB" "$LG_PROGS/collect_chk" overflow
    [ "$(cat "$d/native-overflow.rc")" = "$(cat "$d/traced-overflow.rc")" ] &&
        [ "$(cat "$d/traced-overflow.rc")" != 0 ] && grep -q 'buffer overflow detected' "$d/traced-overflow.err" ||
        { echo "overflow: exit $(cat "$d/traced-overflow.rc") (native $(cat "$d/native-overflow.rc")): $(lg_tail "$d/traced-overflow.err")"; return 1; }
    lg_exec "$d" native-unterm 30 "$LG_PROGS/collect_chk" unterminated
    lg_exec "$d" traced-unterm 30 env LEAKGRAPH_OPTIONS=report=0 LD_PRELOAD="$LG_LIB" "$LG_PROGS/collect_chk" unterminated
    [ "$(cat "$d/native-unterm.rc")" = "$(cat "$d/traced-unterm.rc")" ] && grep -q 'buffer overflow detected' "$d/traced-unterm.err" ||
        { echo "unterminated: exit $(cat "$d/traced-unterm.rc") (native $(cat "$d/native-unterm.rc"))"; return 1; }
}
queue collect_chk t_collect_chk
