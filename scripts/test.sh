#!/usr/bin/env bash
# Runs the whole test suite: set-up and build (scripts/setup.sh), a short seeded libFuzzer run on
# the image decoder when clang is present (the same inputs every time; `scripts/fuzz.sh SECONDS` runs
# open-ended campaigns), then every CTest test (unit, model, shared, server, compat, flows, web; tests
# needing ../shared/data say so and skip when it is absent).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# setup installs chromium and the browser driver: a browser suite that cannot run is a failure here
export FACEGATE_REQUIRE_BROWSER="${FACEGATE_REQUIRE_BROWSER:-1}"
bash "$root/scripts/setup.sh"

if command -v clang++ >/dev/null 2>&1; then
  bash "$root/scripts/fuzz.sh" --runs "${FACEGATE_FUZZ_RUNS:-300000}"
else
  echo "test: clang++ not found, the fuzzer is skipped"
fi

cd "$root/build"
ctest --output-on-failure -j"$(nproc 2>/dev/null || echo 2)" --timeout 600
