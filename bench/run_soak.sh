#!/usr/bin/env bash
# Memory under sustained overload: an open loop of verify at RATE req/s (default 80, about 2x the
# 2-core machine's capacity) for SECONDS (default 600) against a fresh `facegate serve`, sampling the
# server's RSS every 10 s. Prints the samples; RSS should settle, not grow.
# usage: bench/run_soak.sh [SECONDS] [RATE]     (after scripts/setup.sh; images as bench/run_edge_bench.sh)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-600}"; rate="${2:-80}"
bin="$root/build/bin/facegate"; load="$root/build/bin/bench_http_load"
faces="$root/../shared/data/faces/obama"
image="${IMAGE:-$faces/obama-720p.jpg}"; enroll="${ENROLL_IMAGE:-$faces/obama1.jpg}"
[ -f "$image" ] || { image="$root/testdata/samples/sample1.jpg"; enroll="$image"; }
data="$(mktemp -d)"; pid=""
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$data"' EXIT
export FACEGATE_KEK="$(openssl rand -hex 32)"
"$bin" collection create bench --data "$data" >/dev/null
"$bin" index --collection bench --external-id bench-user --data "$data" "$enroll" >/dev/null
"$bin" keys create --kind api --scope flows --data "$data" > "$data/api.json"
"$bin" serve --data "$data" --listen 127.0.0.1:0 --verify-limit-per-id 100000000 --verify-limit-per-client 100000000 \
  > "$data/server.log" 2>&1 &
pid=$!
until grep -q "listening on" "$data/server.log"; do kill -0 $pid || { cat "$data/server.log"; exit 1; }; sleep 0.1; done
port=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$data/server.log")
rss() { awk '/VmRSS/ {printf "%.0f", $2/1024}' /proc/$pid/status; }
echo "t=0s RSS $(rss) MB (idle)"
"$load" --target "http://127.0.0.1:$port" --kind verify --mode open --rate "$rate" --arrivals poisson \
  --duration "$seconds" --warmup 0 --image "$image" --api-key-file "$data/api.json" > "$data/load.txt" 2>&1 &
lpid=$!
for ((t = 10; t <= seconds; t += 10)); do sleep 10; echo "t=${t}s RSS $(rss) MB"; done
wait $lpid || true
tail -n 1 "$data/load.txt"
echo "after the load: RSS $(rss) MB"
