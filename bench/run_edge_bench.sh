#!/usr/bin/env bash
# The HTTP edge under load (bench/bench_http_load.cpp), for any facegate binary: the Beast edge, or an
# older cpp-httplib build for a side-by-side comparison.
#
# usage: bench/run_edge_bench.sh [FACEGATE_BIN]          (default build/bin/facegate; after scripts/setup.sh)
#
# It makes a fresh data directory (an access key, a flows API key, collection `bench`, the enrolled
# face of ENROLL_IMAGE under external ID `bench-user`, indexed with `facegate index` before the server
# starts), starts `facegate serve` on a free port with the verify rate limits out of the way, then:
#   1. closed loop, CLIENTS (1 2 4 8 16 32 64) kept-alive clients, for verify and for search;
#   2. capacity = the highest throughput of step 1; open loop at RATE_FACTORS (0.5 1 2) x capacity;
#   3. the server's RSS with IDLE_CONNECTIONS (2000) idle connections open;
# and prints a markdown table. A /healthz prober runs beside every load step.
#
# environment:
#   DURATION=20 WARMUP=2          seconds measured per step, and of load before each
#   KINDS="verify search"         CLIENTS="1 2 4 8 16 32 64"   RATE_FACTORS="0.5 1 2"   ARRIVALS=poisson
#   RATES_verify=, RATES_search=  explicit open-loop rates (req/s) instead of factors x measured capacity
#   WORKERS=2                     --workers of the server (HTTP_THREADS: --http-threads, server default if unset)
#   SERVE_ARGS="..."              more options for `facegate serve` (e.g. the new edge's --queue-timeout 2)
#   IMAGE=selfie                  default ../shared/data/faces/obama/obama-720p.jpg (1280x720), else testdata/samples/sample1.jpg
#   ENROLL_IMAGE=                 the photo indexed under bench-user: default obama1.jpg beside IMAGE, else IMAGE
#   IDLE_CONNECTIONS=2000 (0: skip)  IDLE_HOLD=3 (seconds; below the new edge's 10 s header deadline)
#   IDLE_REQUEST=1                also measure kept-alive idle connections (one /healthz each; the new edge
#                                 closes them after --idle-timeout, 5 s)
#   LABEL=name                    tags the rows (default: the binary's path)
#   OUT=dir                       where results.jsonl, server.log and table.md are kept (default: a new temp dir)
#   CLIENT_ARGS="..."             more bench_http_load options for every step, e.g. --honor-retry-after (closed-loop
#                                 clients pause for Retry-After after a 503, as SDKs back off) or --timeout 30
#   SETTLE_MAX=120                seconds to wait, before each step, for the server to finish the last one's work
#   LOAD_BIN=build/bin/bench_http_load   KEEP_DATA=1 keeps the data directory
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$(realpath "${1:-${FACEGATE_BIN:-$root/build/bin/facegate}}")"
load="${LOAD_BIN:-$root/build/bin/bench_http_load}"
duration="${DURATION:-20}"
warmup="${WARMUP:-2}"
kinds="${KINDS:-verify search}"
clients_list="${CLIENTS:-1 2 4 8 16 32 64}"
factors="${RATE_FACTORS:-0.5 1 2}"
arrivals="${ARRIVALS:-poisson}"
workers="${WORKERS:-2}"
idle_connections="${IDLE_CONNECTIONS:-2000}"
idle_hold="${IDLE_HOLD:-3}"
label="${LABEL:-$bin}"
shared_faces="$root/../shared/data/faces"
if [ -z "${IMAGE:-}" ]; then
  if [ -f "$shared_faces/obama/obama-720p.jpg" ]; then IMAGE="$shared_faces/obama/obama-720p.jpg"
  else IMAGE="$root/testdata/samples/sample1.jpg"; fi
fi
if [ -z "${ENROLL_IMAGE:-}" ]; then
  if [ -f "$(dirname "$IMAGE")/obama1.jpg" ] && [ "$(basename "$IMAGE")" != obama1.jpg ]; then ENROLL_IMAGE="$(dirname "$IMAGE")/obama1.jpg"
  else ENROLL_IMAGE="$IMAGE"; fi
fi
[ -x "$bin" ] || { echo "no facegate binary at $bin" >&2; exit 1; }
[ -x "$load" ] || { echo "no load generator at $load (cmake --build build --target bench_http_load)" >&2; exit 1; }
out="${OUT:-$(mktemp -d /tmp/edge-bench.XXXXXX)}"
mkdir -p "$out"
results="$out/results.jsonl"
data="$(mktemp -d /tmp/edge-bench-data.XXXXXX)"
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; fi
  [ -n "${KEEP_DATA:-}" ] || rm -rf "$data"
}
trap cleanup EXIT

# binaries that seal face templates at rest take their key-encryption key from FACEGATE_KEK (older ones
# ignore it): one key for the set-up commands and the server
export FACEGATE_KEK="${FACEGATE_KEK:-$(openssl rand -hex 32)}"
echo "binary: $bin" | tee "$out/setup.txt"
echo "selfie: $IMAGE ($(file -b "$IMAGE" | grep -o '[0-9]*x[0-9]*' | tail -1)); enrolled: $ENROLL_IMAGE" | tee -a "$out/setup.txt"
"$bin" keys create --data "$data" > "$data/access.json"
"$bin" keys create --kind api --scope flows --data "$data" > "$data/api.json"
"$bin" collection create --data "$data" bench > /dev/null
# the flows store an external ID as an escaped ExternalImageId; "bench-user" escapes to itself
"$bin" index --data "$data" --collection bench --external-id bench-user "$ENROLL_IMAGE" > "$data/index.json"
grep -q '"FaceId"' "$data/index.json" || { echo "indexing $ENROLL_IMAGE stored no face:"; cat "$data/index.json"; exit 1; }

serve_args=(--data "$data" --listen 127.0.0.1:0 --workers "$workers"
            --verify-limit-per-id 1000000000 --verify-limit-per-client 1000000000)
[ -n "${HTTP_THREADS:-}" ] && serve_args+=(--http-threads "$HTTP_THREADS")
# shellcheck disable=SC2206
[ -n "${SERVE_ARGS:-}" ] && serve_args+=($SERVE_ARGS)
echo "serve: $bin serve ${serve_args[*]}" | tee -a "$out/setup.txt"
: > "$out/server.log"
"$bin" serve "${serve_args[@]}" > "$out/server.log" 2>&1 &
pid=$!
until grep -q "listening on" "$out/server.log"; do
  kill -0 "$pid" 2>/dev/null || { echo "the server exited:"; cat "$out/server.log"; exit 1; }
  sleep 0.05
done
port=$(sed -n 's/.*listening on http:\/\/[0-9.]*:\([0-9]*\).*/\1/p' "$out/server.log" | head -1)
target="http://127.0.0.1:$port"
echo "server pid $pid on $target, RSS $(ps -o rss= -p "$pid" | awk '{printf "%.0f MB", $1/1024}') after start-up" | tee -a "$out/setup.txt"

common=(--target "$target" --image "$IMAGE" --collection bench --external-id bench-user
        --api-key-file "$data/api.json" --access-key-file "$data/access.json" --json "$results" --label "$label")

server_alive() {
  kill -0 "$pid" 2>/dev/null && return 0
  echo "THE SERVER DIED (pid $pid); last log lines:" >&2
  tail -30 "$out/server.log" >&2
  exit 1
}

# CPU seconds the server used (utime + stime of /proc/PID/stat)
server_cpu() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$pid/stat"; }

# waits until the server is idle (under 0.1 s of CPU in a second), so that work left from one step
# (requests its clients gave up on, still queued in the server) does not run into the next one
settle() {
  local start=$SECONDS a b
  while [ $((SECONDS - start)) -lt "${SETTLE_MAX:-120}" ]; do
    a=$(server_cpu); sleep 1; b=$(server_cpu)
    [ "$(echo "$b - $a < 0.1" | bc)" = 1 ] && break
  done
  [ $((SECONDS - start)) -le 1 ] || echo "  (the server was busy for $((SECONDS - start)) s after the step)"
}

step() { # kind, then bench_http_load options
  local kind="$1"; shift
  local before after
  settle
  before=$(server_cpu)
  # shellcheck disable=SC2086
  "$load" "${common[@]}" --kind "$kind" --duration "$duration" --warmup "$warmup" "$@" ${CLIENT_ARGS:-} 2> "$out/step.err" || {
    cat "$out/step.err" >&2; server_alive; exit 1; }
  grep -v '^first answer' "$out/step.err" >&2 || true
  after=$(server_cpu)
  server_alive
  echo "  server CPU: $(echo "$after - $before" | bc) s over the step; RSS $(ps -o rss= -p "$pid" | awk '{printf "%.0f MB", $1/1024}')"
}

# idle connections first, on the fresh server: after the load steps its heap holds freed image buffers
# that new allocations reuse, which would hide what connections cost
if [ "$idle_connections" -gt 0 ]; then
  echo "== $idle_connections idle connections (connected, nothing sent), held ${idle_hold} s"
  "$load" --target "$target" --mode idle --connections "$idle_connections" --server-pid "$pid" --hold "$idle_hold" \
    --json "$results" --label "$label"
  server_alive
  if [ -n "${IDLE_REQUEST:-}" ]; then
    echo "== $idle_connections kept-alive idle connections (one GET /healthz each first)"
    "$load" --target "$target" --mode idle --idle-request --connections "$idle_connections" --server-pid "$pid" \
      --hold "$idle_hold" --json "$results" --label "$label (after one request)"
    server_alive
  fi
fi

# one request of each kind first: it must succeed and match (and it warms the engine)
for kind in $kinds; do
  "$load" --target "$target" --image "$IMAGE" --collection bench --external-id bench-user \
    --api-key-file "$data/api.json" --access-key-file "$data/access.json" \
    --kind "$kind" --mode closed --clients 1 --duration 1 --warmup 0 --show-response > /dev/null 2> "$out/check.err" || true
  first=$(grep '^first answer' "$out/check.err" || true)
  echo "$kind check: ${first:0:300}"
  case "$kind" in
    verify) echo "$first" | grep -q '^first answer: 200 .*"externalIdMatched":true' ;;
    search) echo "$first" | grep -q '^first answer: 200 .*"FaceMatches":\[{' ;;
  esac || { echo "the $kind check failed (see above and $out/server.log)" >&2; cat "$out/check.err" >&2; exit 1; }
done

for kind in $kinds; do
  echo "== $kind: closed loop"
  for c in $clients_list; do step "$kind" --mode closed --clients "$c"; done
  rates_var="RATES_$kind"
  rates="${!rates_var:-}"
  if [ -z "$rates" ]; then
    capacity=$(python3 - "$results" "$label" "$kind" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
rows = [r for r in rows if r.get("label") == sys.argv[2] and r.get("kind") == sys.argv[3] and r["mode"] == "closed"]
print(max((r["throughput_per_s"] for r in rows), default=0))
PY
)
    echo "== $kind: capacity (highest closed-loop throughput) $capacity/s"
    rates=$(for f in $factors; do python3 -c "print(round($f * $capacity, 1))"; done | tr '\n' ' ')
  fi
  echo "== $kind: open loop ($arrivals arrivals) at $rates req/s"
  for r in $rates; do
    [ "$(python3 -c "print(1 if $r > 0 else 0)")" = 1 ] || continue
    step "$kind" --mode open --rate "$r" --arrivals "$arrivals"
  done
done

echo "== stopping the server (SIGTERM)"
kill -TERM "$pid"
rc=0; wait "$pid" || rc=$?
pid=""
echo "server exit status: $rc"
# what the log says beyond the per-request lines (warnings, errors)
grep -E '\[(warning|error|critical)\]' "$out/server.log" | sed 's/^/  log: /' | sort | uniq -c | sort -rn | head -20 || true

python3 - "$results" > "$out/table.md" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
load = [r for r in rows if r["mode"] != "idle"]
print("| server | kind | load | ok/s | p50 ms | p90 ms | p99 ms | max ms | 503 | other non-2xx | conn err / timeouts | healthz p50 / p99 / max ms |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for r in load:
    what = f"closed {r['clients']} clients" if r["mode"] == "closed" else f"open {r['rate']:g}/s"
    if r["mode"] == "closed" and r.get("pause_on_503") not in (None, "0.000000"):
        what += f" (pause after 503: {r['pause_on_503']})"
    print(f"| {r['label']} | {r['kind']} | {what} | {r['throughput_per_s']:.1f} | {r['p50_ms']:.1f} | {r['p90_ms']:.1f} | "
          f"{r['p99_ms']:.1f} | {r['max_ms']:.1f} | {r['status_503']} | {r['other_non2xx']} | "
          f"{r['conn_errors']} / {r['timeouts']} | {r['healthz_p50_ms']:.1f} / {r['healthz_p99_ms']:.1f} / {r['healthz_max_ms']:.1f}"
          + (f" ({herr} failed)" if (herr := r['healthz_errors'] + r['healthz_non200'] + r.get('healthz_unanswered_at_end', 0)) else "")
          + " |")
idle = [r for r in rows if r["mode"] == "idle"]
if idle:
    print()
    print("| server | idle connections | opened | still open at the end | RSS before | RSS with them | per connection | threads before / with | healthz p50 / max ms (errors) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in idle:
        print(f"| {r['label']} | {r['connections']} | {r['opened']} | {r['still_open']} | {r['rss_before_kb']/1024:.1f} MB | "
              f"{r['rss_with_kb']/1024:.1f} MB | {r['bytes_per_connection']/1024:.1f} KB | {r['threads_before']} / {r['threads_with']} | "
              f"{r['healthz_p50_ms']:.1f} / {r['healthz_max_ms']:.1f} ({r['healthz_errors']}) |")
PY
echo
cat "$out/table.md"
echo
echo "results: $out (results.jsonl, table.md, server.log)"
