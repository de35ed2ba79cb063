#!/usr/bin/env bash
# Builds the libFuzzer target for the decode path with clang (ASan + UBSan) and runs it for
# SECONDS (default 60) from a seed corpus of small images. Usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-60}"
build="$root/build-fuzz"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DFACEGATE_BUILD_FUZZ=ON -DFACEGATE_BUILD_TESTS=OFF -DFACEGATE_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j"$(nproc 2>/dev/null || echo 2)" --target fuzz_decode make_fuzz_seeds >/dev/null
corpus="$build/corpus"
mkdir -p "$corpus"
"$build/bin/make_fuzz_seeds" "$corpus"
echo "fuzz: running fuzz_decode for ${seconds}s"
"$build/bin/fuzz_decode" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
  -print_final_stats=1 "$corpus" 2>&1 | tail -n 12
