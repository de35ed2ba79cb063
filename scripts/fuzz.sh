#!/usr/bin/env bash
# Builds the libFuzzer target for the decode path with clang (ASan + UBSan) and runs it from a seed
# corpus of small images.
#   scripts/fuzz.sh [SECONDS]   an open-ended campaign of SECONDS (default 60), random seed
#   scripts/fuzz.sh --runs N    N inputs from a fixed seed: the same inputs every time (what the test
#                               suite runs, so that its result does not depend on luck)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ "${1:-}" = "--runs" ]; then
  limit=(-runs="${2:?--runs needs a count}" -seed=1)
  what="${2} seeded inputs"
else
  limit=(-max_total_time="${1:-60}")
  what="${1:-60}s"
fi
build="$root/build-fuzz"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DFACEGATE_BUILD_FUZZ=ON -DFACEGATE_BUILD_TESTS=OFF -DFACEGATE_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j"$(nproc 2>/dev/null || echo 2)" --target fuzz_decode make_fuzz_seeds >/dev/null
corpus="$build/corpus"
mkdir -p "$corpus"
"$build/bin/make_fuzz_seeds" "$corpus"
echo "fuzz: running fuzz_decode on ${what}"
"$build/bin/fuzz_decode" "${limit[@]}" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
  -print_final_stats=1 "$corpus" 2>&1 | tail -n 12
