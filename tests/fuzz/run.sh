#!/usr/bin/env bash
# Fuzzes the snapshot reader (and the classifier behind it) with libFuzzer for about
# LGT_FUZZ_SECONDS (default 60) seconds. Usage: tests/fuzz/run.sh OUTDIR. Exits non-zero
# when the fuzzer finds a crash, a leak or undefined behaviour (reproducer in OUTDIR).
set -euo pipefail
out=${1:?usage: tests/fuzz/run.sh OUTDIR}
root=$(cd "$(dirname "$0")/../.." && pwd)
cc=${FUZZ_CC:-clang-14}
seconds=${LGT_FUZZ_SECONDS:-60}
mkdir -p "$out/corpus" "$out/artifacts"
common=(-std=c11 -D_GNU_SOURCE -g -O1 -I"$root/include" -I"$root/tools" -I"$root/tests/unit")
tool_srcs=("$root"/tools/{reader,xalloc,mark,scc,classify,journal,core}.c)

"$cc" "${common[@]}" -o "$out/gen_seeds" "$root/tests/fuzz/gen_seeds.c"
"$out/gen_seeds" "$out/corpus"
"$cc" "${common[@]}" -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -o "$out/fuzz_reader" "$root/tests/fuzz/fuzz_reader.c" "${tool_srcs[@]}"

echo "fuzzing the snapshot reader for ${seconds}s (corpus: $out/corpus)"
# libFuzzer's progress lines go to a log; a crash prints its tail and fails.
if "$out/fuzz_reader" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 \
    -timeout=10 -artifact_prefix="$out/artifacts/" -print_final_stats=1 "$out/corpus" >"$out/fuzz.log" 2>&1; then
    grep -E '^stat::number_of_executed_units' "$out/fuzz.log" || true
    echo "fuzz: 1 passed, 0 failed"
else
    tail -40 "$out/fuzz.log"
    echo "fuzz: 0 passed, 1 failed"
    exit 1
fi
