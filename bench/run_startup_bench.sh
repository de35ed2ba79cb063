#!/usr/bin/env bash
# Start-up of `facegate serve` on an existing data directory (e.g. one filled by populate_store): the time
# until it listens, with every collection's vectors read, unsealed and indexed (docs/benchmarks.md).
# usage: bench/run_startup_bench.sh DATA_DIR [RUNS]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="$1"; runs="${2:-3}"
log="$(mktemp)"
pid=""
trap '[ -n "$pid" ] && kill $pid 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq "$runs"); do
  : > "$log"
  start=$(date +%s.%N)
  "$root/build/bin/facegate" serve --data "$data" --listen 127.0.0.1:0 > "$log" 2>&1 &
  pid=$!
  until grep -q "listening on" "$log"; do
    kill -0 $pid 2>/dev/null || { cat "$log"; exit 1; }
    sleep 0.02
  done
  ready=$(date +%s.%N)
  echo "until listening: $(echo "$ready - $start" | bc) s ($(grep -o 'started in [0-9.]*s with [0-9]* faces' "$log")); RSS $(ps -o rss= -p $pid | awk '{printf "%.0f MB", $1/1024}')"
  kill $pid; wait $pid 2>/dev/null || true; pid=""
done
