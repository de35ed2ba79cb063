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
# "PID TICKS" of the postmaster and its children; the delta sums, per process still there at the end, its
# ticks minus those it had at the start (a process gone meanwhile, e.g. an earlier node's backend, drops out)
pg_ticks() { for p in $postmaster $(pgrep -P "$postmaster"); do awk -v p=$p '{print p, $14 + $15}' /proc/$p/stat 2>/dev/null || true; done; }
before_file="$scratch/pg-before"; pg_ticks > "$before_file"; start=$(date +%s.%N)
env -u FACEGATE_STORE "$bin" serve --store "$uri" --kek-file "$kek" --data "$scratch" --listen 127.0.0.1:0 > "$log" 2>&1 &
pid=$!
until grep -q "listening on" "$log"; do kill -0 $pid 2>/dev/null || { cat "$log"; exit 1; }; sleep 0.02; done
ready=$(date +%s.%N)
pg=$(pg_ticks | awk -v t="$tick" 'NR == FNR {b[$1] = $2; next} {s += $2 - b[$1]} END {printf "%.2f", s / t}' "$before_file" -)
node=$(awk -v t="$tick" '{printf "%.2f", ($14 + $15) / t}' /proc/$pid/stat)
echo "until listening $(echo "$ready - $start" | bc) s; CPU: facegate $node s, PostgreSQL $pg s; load $(cut -d' ' -f1 /proc/loadavg)"
