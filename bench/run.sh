#!/usr/bin/env bash
# leakgraph benchmark: `make bench` or `bash bench/run.sh`.
# Builds bench/workload.c, bench/bigheap.c and bench/randheap.c into build/bench/, then runs every
# configuration interleaved, ROUNDS times, and prints median wall time and peak RSS
# with their ratios to the native run. Output is also saved to build/bench/results.txt.
#
# Knobs (environment):
#   ROUNDS=3            rounds; each round runs every configuration once
#   SCALE=6000          workload operations per thread, in thousands
#   THREADS=2           workload threads
#   VG_DIV=10           Valgrind runs the workload at SCALE/VG_DIV (and native too, to compare)
#   BIG=2000            bigheap blocks, in thousands (100 B each: 2000 -> ~200 MB)
#   RAND=1000           randheap blocks, in thousands (64 B each, shuffled)
#   VG_BIG_DIV=1        Valgrind runs bigheap and randheap at BIG/VG_BIG_DIV, RAND/VG_BIG_DIV
#   LG_LIB=build/libleakgraph.so
#   SKIP_VALGRIND=1  SKIP_HEAPTRACK=1  SKIP_BIGHEAP=1  SKIP_RANDHEAP=1  SKIP_WORKLOAD=1
set -u
cd "$(dirname "$0")/.." || exit 1

ROUNDS=${ROUNDS:-3}
SCALE=${SCALE:-6000}
THREADS=${THREADS:-2}
VG_DIV=${VG_DIV:-10}
BIG=${BIG:-2000}
VG_BIG_DIV=${VG_BIG_DIV:-1}
LG_LIB=${LG_LIB:-build/libleakgraph.so}
LSAN_LIB=${LSAN_LIB:-/usr/lib/x86_64-linux-gnu/liblsan.so.0}
SKIP_VALGRIND=${SKIP_VALGRIND:-0}
SKIP_HEAPTRACK=${SKIP_HEAPTRACK:-0}
SKIP_BIGHEAP=${SKIP_BIGHEAP:-0}
SKIP_RANDHEAP=${SKIP_RANDHEAP:-0}
RAND=${RAND:-1000}
SKIP_WORKLOAD=${SKIP_WORKLOAD:-0}
CC=${CC:-gcc}

B=build/bench
mkdir -p "$B"
RESULTS=$B/results.txt
: >"$RESULTS"
say() { printf '%s\n' "$*" | tee -a "$RESULTS"; }

# ---- tools ----
TIME_BIN=/usr/bin/time
if [ ! -x "$TIME_BIN" ]; then
    say "bench: GNU time (/usr/bin/time) is missing; it measures wall time and peak RSS."
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        say "bench: installing it: apt-get install -y time"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null 2>&1 || true
    fi
    if [ ! -x "$TIME_BIN" ]; then
        say "bench: install it with: apt-get install -y time   (times still measured, RSS shown as n/a)"
        TIME_BIN=""
    fi
fi
LG_LIB_ABS=$(readlink -f "$LG_LIB" 2>/dev/null || echo "$LG_LIB")
have_lg=0;   [ -f "$LG_LIB_ABS" ] && have_lg=1
have_lsan=0; [ -f "$LSAN_LIB" ] && have_lsan=1
have_ht=0;   [ "$SKIP_HEAPTRACK" != 1 ] && command -v heaptrack >/dev/null && have_ht=1
have_vg=0;   [ "$SKIP_VALGRIND" != 1 ] && command -v valgrind >/dev/null && have_vg=1
[ $have_lg = 1 ]   || say "bench: $LG_LIB not found (run make): leakgraph rows are n/a"
[ $have_lsan = 1 ] || say "bench: $LSAN_LIB not found (apt-get install liblsan0): LSan rows are n/a"
[ $have_ht = 1 ]   || say "bench: heaptrack skipped or not installed: n/a"
[ $have_vg = 1 ]   || say "bench: valgrind skipped or not installed: n/a"

# ---- build ----
CFLAGS_BENCH="-O2 -g -fno-omit-frame-pointer -Wall -Wextra"
$CC $CFLAGS_BENCH -pthread bench/workload.c -o $B/workload || { say "bench: cannot build workload"; exit 1; }
$CC $CFLAGS_BENCH bench/bigheap.c -o $B/bigheap || { say "bench: cannot build bigheap"; exit 1; }
$CC $CFLAGS_BENCH bench/randheap.c -o $B/randheap || { say "bench: cannot build randheap"; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/lgbench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
DATA=$TMP/data; mkdir -p "$DATA"

# run NAME CMD...: one measured run; appends "seconds rss_kb" to $DATA/NAME, keeps
# the program's stderr in $DATA/NAME.err (last run) and flags crashes.
run() {
    local name=$1; shift
    local out=$TMP/time.out err=$DATA/$name.err
    if [ -n "$TIME_BIN" ]; then
        "$TIME_BIN" -f '%e %M' -o "$out" "$@" >/dev/null 2>"$err"
        local t_line
        t_line=$(grep -E '^[0-9.]+ [0-9]+$' "$out" | tail -1)
        if grep -q 'terminated by signal' "$out"; then
            echo "bench: $name: $(grep 'terminated by signal' "$out")" >>"$DATA/$name.crash"
        fi
        [ -n "$t_line" ] && echo "$t_line" >>"$DATA/$name"
    else
        local s e
        s=$(date +%s.%N); "$@" >/dev/null 2>"$err"; e=$(date +%s.%N)
        echo "$(echo "$e - $s" | bc) 0" >>"$DATA/$name"
    fi
}

median() { # column of $DATA/NAME -> median, or empty
    [ -s "$DATA/$1" ] || return 0
    awk -v c="$2" '{print $c}' "$DATA/$1" | sort -g | awk '{a[NR]=$1} END{ if (NR%2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2 }'
}
ratio() { # a b -> a/b with 2 decimals, or n/a
    if [ -n "$1" ] && [ -n "$2" ] && awk -v b="$2" 'BEGIN{exit !(b>0)}'; then
        awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2fx", a/b}'
    else echo n/a; fi
}
mb() { [ -n "$1" ] && [ "$1" != 0 ] && awk -v k="$1" 'BEGIN{printf "%.1f MB", k/1024}' || echo n/a; }

# row LABEL NAME BASE: a table line for configuration NAME against baseline BASE
row() {
    local label=$1 name=$2 base=$3 t r bt br
    t=$(median "$name" 1); r=$(median "$name" 2); bt=$(median "$base" 1); br=$(median "$base" 2)
    local n=0; [ -s "$DATA/$name" ] && n=$(wc -l <"$DATA/$name")
    if [ -z "$t" ]; then
        printf '%-34s %9s %9s %11s %9s %4s\n' "$label" n/a n/a n/a n/a 0 | tee -a "$RESULTS"
        return
    fi
    printf '%-34s %8ss %9s %11s %9s %4s\n' "$label" "$t" "$(ratio "$t" "$bt")" "$(mb "$r")" "$(ratio "$r" "$br")" "$n" | tee -a "$RESULTS"
    [ -f "$DATA/$name.crash" ] && say "   ^ $(sort -u "$DATA/$name.crash" | head -3)"
}
header() { printf '%-34s %9s %9s %11s %9s %4s\n' configuration time t/native peak-RSS rss/nat runs | tee -a "$RESULTS"; }

say "leakgraph benchmark  $(date -u '+%Y-%m-%d %H:%M UTC')  host $(uname -n), $(nproc) cpus"
say "rounds=$ROUNDS scale=${SCALE}k ops/thread threads=$THREADS  valgrind scale=$((SCALE / VG_DIV))k  bigheap=${BIG}k blocks  randheap=${RAND}k blocks"
say "lib: $LG_LIB_ABS  (medians; ratios are median/median against the native run of the same input)"
say ""

W=$B/workload
VGS=$((SCALE / VG_DIV)); [ $VGS -lt 1 ] && VGS=1
# ---- workload: all configurations interleaved per round ----
if [ "$SKIP_WORKLOAD" != 1 ]; then
    for ((i = 1; i <= ROUNDS; i++)); do
        echo "bench: workload round $i/$ROUNDS" >&2
        run w_native "$W" "$SCALE" "$THREADS"
        [ $have_lg = 1 ] && run w_lg env LD_PRELOAD="$LG_LIB_ABS" LEAKGRAPH_OPTIONS=report=1 "$W" "$SCALE" "$THREADS"
        [ $have_lg = 1 ] && run w_lgfast env LD_PRELOAD="$LG_LIB_ABS" LEAKGRAPH_OPTIONS=report=1:fast_unwind=1 "$W" "$SCALE" "$THREADS"
        [ $have_lg = 1 ] && run w_lgjournal env LD_PRELOAD="$LG_LIB_ABS" LEAKGRAPH_OPTIONS="report=1:journal=$TMP/j.%p.lgj" "$W" "$SCALE" "$THREADS"
        [ $have_lsan = 1 ] && run w_lsan env LD_PRELOAD="$LSAN_LIB" "$W" "$SCALE" "$THREADS"
        [ $have_ht = 1 ] && { run w_ht heaptrack -o "$TMP/ht.$i" "$W" "$SCALE" "$THREADS"; rm -f "$TMP"/ht.*; }
        if [ $have_vg = 1 ]; then
            run w_native_small "$W" "$VGS" "$THREADS"
            run w_vg valgrind --leak-check=full -q "$W" "$VGS" "$THREADS"
        fi
    done
    say "== workload: $THREADS threads x ${SCALE}k malloc/free/calloc/realloc ops, depth 5-25 stacks =="
    header
    row "native" w_native w_native
    row "leakgraph (report=1, libunwind)" w_lg w_native
    row "leakgraph fast_unwind=1" w_lgfast w_native
    row "leakgraph journal=FILE" w_lgjournal w_native
    row "  journal vs leakgraph without it" w_lgjournal w_lg
    row "LeakSanitizer (preloaded)" w_lsan w_native
    row "heaptrack (recording)" w_ht w_native
    if [ $have_vg = 1 ]; then
        say "  -- scaled-down input: ${VGS}k ops/thread --"
        row "native (small input)" w_native_small w_native_small
        row "valgrind memcheck --leak-check=full" w_vg w_native_small
    else
        row "valgrind memcheck --leak-check=full" w_vg w_native_small
    fi
    for f in w_native w_lg w_lgfast; do
        [ -f "$DATA/$f.err" ] && grep -qiE 'error|abort|segv' "$DATA/$f.err" && grep -iE 'error|abort|segv' "$DATA/$f.err" | head -2 | sed "s/^/   $f stderr: /" | tee -a "$RESULTS"
    done
    [ -s "$DATA/w_lg.err" ] && grep -E 'definitely lost:|indirectly lost:|snapshot:' "$DATA/w_lg.err" | sed 's/^==[0-9]*== */  leakgraph: /' | tee -a "$RESULTS"
    say ""
fi

# ---- bigheap and randheap: the exit-time leak check ----
# exit_bench P PROG N TITLE: PROG N, native and under each tool, ROUNDS times, interleaved;
# Valgrind at N / VG_BIG_DIV; the run names start with P.
exit_bench() {
    local P=$1 G=$2 N=$3 title=$4
    local VGB=$((N / VG_BIG_DIV)); [ $VGB -lt 1 ] && VGB=1
    for ((i = 1; i <= ROUNDS; i++)); do
        echo "bench: $(basename "$G") round $i/$ROUNDS" >&2
        run ${P}_native "$G" "$N"
        if [ $have_lg = 1 ]; then
            run ${P}_lg env LD_PRELOAD="$LG_LIB_ABS" LEAKGRAPH_OPTIONS=report=1 "$G" "$N"
            grep -hE 'stop [0-9.]+ ?ms|scan [0-9.]+ ?ms' "$DATA/${P}_lg.err" | tail -3 >>"$DATA/${P}_lg.stats"
        fi
        [ $have_lsan = 1 ] && run ${P}_lsan env LD_PRELOAD="$LSAN_LIB" "$G" "$N"
        if [ $have_vg = 1 ]; then
            [ "$VGB" != "$N" ] && run ${P}_native_vg "$G" "$VGB"
            run ${P}_vg valgrind --leak-check=full -q "$G" "$VGB"
        fi
    done
    [ "$VGB" = "$N" ] && [ -s "$DATA/${P}_native" ] && cp "$DATA/${P}_native" "$DATA/${P}_native_vg"
    say "== $(basename "$G"): $title; exit-time check =="
    printf '%-34s %9s %11s %9s %11s\n' configuration time exit-cost t/native peak-RSS | tee -a "$RESULTS"
    brow() {
        local label=$1 name=$2 base=$3 t bt r
        t=$(median "$name" 1); bt=$(median "$base" 1); r=$(median "$name" 2)
        if [ -z "$t" ] || [ -z "$bt" ]; then
            printf '%-34s %9s %11s %9s %11s\n' "$label" n/a n/a n/a n/a | tee -a "$RESULTS"; return
        fi
        printf '%-34s %8ss %10ss %9s %11s\n' "$label" "$t" "$(awk -v a="$t" -v b="$bt" 'BEGIN{printf "%.2f", a-b}')" "$(ratio "$t" "$bt")" "$(mb "$r")" | tee -a "$RESULTS"
        [ -f "$DATA/$name.crash" ] && say "   ^ $(sort -u "$DATA/$name.crash" | head -3)"
    }
    brow "native" ${P}_native ${P}_native
    brow "leakgraph (report=1)" ${P}_lg ${P}_native
    brow "LeakSanitizer" ${P}_lsan ${P}_native
    [ "$VGB" != "$N" ] && brow "native (${VGB}k, for valgrind)" ${P}_native_vg ${P}_native_vg
    brow "valgrind memcheck (${VGB}k)" ${P}_vg ${P}_native_vg
    if [ -s "$DATA/${P}_lg.stats" ]; then
        say "  leakgraph snapshot stats (per round):"
        sed 's/^==[0-9]*== */    /' "$DATA/${P}_lg.stats" | tee -a "$RESULTS"
    fi
    [ -s "$DATA/${P}_lg.err" ] && grep -E 'definitely lost:|indirectly lost:|cyclic:' "$DATA/${P}_lg.err" | sed 's/^==[0-9]*== */  leakgraph: /' | tee -a "$RESULTS"
    [ -s "$DATA/${P}_lsan.err" ] && grep SUMMARY "$DATA/${P}_lsan.err" | sed 's/^/  /' | tee -a "$RESULTS"
    say ""
}
[ "$SKIP_BIGHEAP" != 1 ] && exit_bench b $B/bigheap "$BIG" "${BIG}k blocks of 100 B with lost rings and subtrees"
[ "$SKIP_RANDHEAP" != 1 ] && exit_bench r $B/randheap "$RAND" "${RAND}k blocks of 64 B, shuffled, references anywhere"
say "results saved to $RESULTS"
exit 0
