#!/usr/bin/env bash
# One start-up of `facegate serve --store URI` on a PostgreSQL server of this machine, with the CPU time
# (user + system, from /proc) of the node and of that server's processes (postmaster and children) until
# the node listens: where a PostgreSQL start-up's time goes (docs/benchmarks.md, issue 11).
# usage: bench/run_startup_cpu_pg.sh SOCKET_DIR URI KEK_FILE   (SOCKET_DIR/data/postmaster.pid names the server)
# FACEGATE_BIN: the binary (default build/bin/facegate).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
host="$1"; uri="$2"; kek="$3"
bin="${FACEGATE_BIN:-$root/build/bin/facegate}"
scratch="$(mktemp -d)"; log="$scratch/log"; pid=""
trap '[ -n "$pid" ] && kill $pid 2>/dev/null || true; rm -rf "$scratch"' EXIT
postmaster=$(head -1 "$host/data/postmaster.pid")
tick=$(getconf CLK_TCK)
pg_cpu() { for p in $postmaster $(pgrep -P "$postmaster"); do awk '{print $14 + $15}' /proc/$p/stat 2>/dev/null; done |
           awk -v t="$tick" '{s += $1} END {printf "%.2f", s / t}'; }
before=$(pg_cpu); start=$(date +%s.%N)
env -u FACEGATE_STORE "$bin" serve --store "$uri" --kek-file "$kek" --data "$scratch" --listen 127.0.0.1:0 > "$log" 2>&1 &
pid=$!
until grep -q "listening on" "$log"; do kill -0 $pid 2>/dev/null || { cat "$log"; exit 1; }; sleep 0.02; done
ready=$(date +%s.%N); after=$(pg_cpu)
node=$(awk -v t="$tick" '{printf "%.2f", ($14 + $15) / t}' /proc/$pid/stat)
echo "until listening $(echo "$ready - $start" | bc) s; CPU: facegate $node s, PostgreSQL $(echo "$after - $before" | bc) s; load $(cut -d' ' -f1 /proc/loadavg)"
