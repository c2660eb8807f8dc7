#!/usr/bin/env bash
# The pause of a snapshot taken while the program runs, per 100 MB of live heap:
# `make bench-pause` or `bash bench/pause.sh`. Builds bench/pauseheap.c into
# build/bench/, runs it under the tracer at each size with a SIGUSR2 snapshot (and
# show_growth=1), and prints the median pause the tracer logged ("the program was
# paused X ms"), that pause per 100 MB, the time show_growth took to count the blocks
# per site, and the snapshot's size. Output is also saved to build/bench/pause.txt.
# Not a test: nothing here asserts a time.
#
# Knobs (environment):
#   SIZES="100 200 400"   heap sizes, MiB of requested bytes
#   BLOCK=100             bytes per block (100 B: about 1 M blocks per 100 MiB)
#   ROUNDS=3              runs per size; the median is shown
#   LG_LIB=build/libleakgraph.so
set -u
cd "$(dirname "$0")/.." || exit 1

SIZES=${SIZES:-"100 200 400"}
BLOCK=${BLOCK:-100}
ROUNDS=${ROUNDS:-3}
LG_LIB=${LG_LIB:-build/libleakgraph.so}
CC=${CC:-gcc}
B=build/bench
mkdir -p "$B"
OUT=$B/pause.txt
: >"$OUT"
say() { printf '%s\n' "$*" | tee -a "$OUT"; }

LIB=$(readlink -f "$LG_LIB" 2>/dev/null) || LIB=""
[ -f "$LIB" ] || { say "bench: $LG_LIB not found (run make)"; exit 1; }
$CC -O2 -g -fno-omit-frame-pointer -Wall -Wextra bench/pauseheap.c -o $B/pauseheap || { say "bench: cannot build pauseheap"; exit 1; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/lgpause.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "n/a" }'; }

say "== pause of a SIGUSR2 snapshot (and show_growth) per live heap size; blocks of $BLOCK B, median of $ROUNDS =="
say "$(printf '%-8s %10s %10s %14s %14s %12s' heap blocks pause_ms ms_per_100MB growth_ms snapshot_MB)"
for mb in $SIZES; do
    : >"$TMP/pause" ; : >"$TMP/growth" ; : >"$TMP/size"
    for _ in $(seq 1 "$ROUNDS"); do
        rm -f "$TMP"/*.lgs
        env LD_PRELOAD="$LIB" LEAKGRAPH_OPTIONS="report=0:show_growth=1:growth_limit=1:output_dir=$TMP" \
            $B/pauseheap "$mb" "$BLOCK" >/dev/null 2>"$TMP/err"
        sed -n 's/.*the program was paused \([0-9.]*\) ms.*/\1/p' "$TMP/err" | head -1 >>"$TMP/pause"
        sed -n 's/.*counted in \([0-9.]*\) ms.*/\1/p' "$TMP/err" | head -1 >>"$TMP/growth"
        stat -c %s "$TMP"/*.lgs 2>/dev/null | head -1 >>"$TMP/size"
        grep -q "paused" "$TMP/err" || say "bench: no pause logged at $mb MB: $(tail -2 "$TMP/err" | tr '\n' ' ')"
    done
    p=$(median <"$TMP/pause") g=$(median <"$TMP/growth") s=$(median <"$TMP/size")
    per=$(awk -v p="$p" -v m="$mb" 'BEGIN { if (p == "n/a") print "n/a"; else printf "%.1f", p * 100 / m }')
    smb=$(awk -v s="$s" 'BEGIN { if (s == "n/a") print "n/a"; else printf "%.1f", s / 1048576 }')
    say "$(printf '%-8s %10s %10s %14s %14s %12s' "${mb}MB" $((mb * 1048576 / BLOCK)) "$p" "$per" "$g" "$smb")"
done
say "pause: threads stopped until the snapshot is written (stop + scan + write); growth_ms: show_growth's"
say "count of the live blocks per site after the snapshot, with allocations blocked only while the block"
say "table is copied."
