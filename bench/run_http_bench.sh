#!/usr/bin/env bash
# The server benchmarks of docs/benchmarks.md: fills a data directory with N synthetic faces plus
# the real face of IMAGE, times the server's start-up, then runs SearchFacesByImage over HTTP.
# usage: bench/run_http_bench.sh N IMAGE [REQUESTS]    (after scripts/setup.sh)
#        SERVE_ARGS="--approximate-from 100000" bench/run_http_bench.sh ...   to measure the HNSW graph
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
n="$1"; image="$2"; requests="${3:-50}"
data="$(mktemp -d)"
pid=""
trap '[ -n "$pid" ] && kill $pid 2>/dev/null || true; [ -n "${KEEP_LOG:-}" ] && cp "$data/server.log" "$KEEP_LOG"; rm -rf "$data"' EXIT
"$root/build/bin/populate_store" "$data" bench "$n" "$image"
"$root/build/bin/facegate" keys create --data "$data" > "$data/key.json"
metrics_key="bench-metrics-$RANDOM$RANDOM"
start=$(date +%s.%N)
"$root/build/bin/facegate" serve --data "$data" --listen 127.0.0.1:0 --metrics-key "$metrics_key" ${SERVE_ARGS:-} > "$data/server.log" 2>&1 &
pid=$!
until grep -q "listening on" "$data/server.log"; do
  kill -0 $pid 2>/dev/null || { cat "$data/server.log"; exit 1; }
  sleep 0.05
done
ready=$(date +%s.%N)
port=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$data/server.log")
echo "start-up with $n faces: $(echo "$ready - $start" | bc) s (until listening and searchable: vectors loaded, exact scan)"
if [ -n "${SERVE_ARGS:-}" ]; then
  # with --approximate-from below N the HNSW graph is built in the background after start-up:
  # measure searches once it is in use
  until curl -s -H "Authorization: Bearer $metrics_key" "http://127.0.0.1:$port/metrics" | grep -q 'facegate_collection_index_approximate{collection="bench"} 1'; do sleep 0.5; done
  echo "graph built in the background: $(echo "$(date +%s.%N) - $ready" | bc) s after start-up"
fi
echo "database: $(du -h "$data/facegate.db" | cut -f1); server RSS: $(ps -o rss= -p $pid | awk '{printf "%.0f MB", $1/1024}')"
/usr/bin/python3 "$root/bench/bench_http_search.py" "http://127.0.0.1:$port" "$data/key.json" bench "$image" "$requests" 2 4
# the server's own view (its per-request log line): without the Python client's SigV4 and JSON work
/usr/bin/python3 - "$data/server.log" <<'PY'
import re, statistics, sys
ms = sorted(float(m) for m in re.findall(r"SearchFacesByImage 200 ([0-9.]+)ms", open(sys.argv[1]).read()))
if ms:
    print(f"server-side SearchFacesByImage over all {len(ms)} requests: median {statistics.median(ms):.1f} ms, "
          f"p99 {ms[min(len(ms) - 1, int(0.99 * len(ms)))]:.1f} ms")
PY
