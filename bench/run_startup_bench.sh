#!/usr/bin/env bash
# Start-up of `facegate serve` on an existing store (e.g. one filled by populate_store): the time until it
# listens, with every collection's vectors read, unsealed and indexed (serve loads them all before it
# binds, so listening means searchable; docs/benchmarks.md).
# usage: bench/run_startup_bench.sh TARGET [RUNS] [TARGET...]
#   TARGET: a data directory (SQLite), or a PostgreSQL URI (postgresql://...): then the node runs with
#           --store URI --kek-file "$KEK_FILE" and an empty scratch --data directory.
#   Several targets are run alternately (A B A B ...), RUNS rounds, so that the load of other work on
#   the machine hits each of them; each line says which target and the 1-minute load average.
# FACEGATE_BIN: the binary (default build/bin/facegate).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
first="$1"; runs="${2:-3}"
targets=("$first" "${@:3}")
log="$(mktemp)"
scratch="$(mktemp -d)"
pid=""
trap '[ -n "$pid" ] && kill $pid 2>/dev/null || true; rm -rf "$log" "$scratch"' EXIT
for _ in $(seq "$runs"); do
  for target in "${targets[@]}"; do
    case "$target" in
      postgres://*|postgresql://*)
        args=(--store "$target" --kek-file "${KEK_FILE:?KEK_FILE: the KEK file of the PostgreSQL store}" --data "$scratch")
        label="postgresql $(echo "$target" | sed -E 's#^postgres(ql)?://[^/]*/([^?]*).*#\2#')";;
      *) args=(--data "$target"); label="sqlite $target";;
    esac
    : > "$log"
    load=$(cut -d' ' -f1 /proc/loadavg)
    start=$(date +%s.%N)
    env -u FACEGATE_STORE "${FACEGATE_BIN:-$root/build/bin/facegate}" serve "${args[@]}" --listen 127.0.0.1:0 > "$log" 2>&1 &
    pid=$!
    until grep -q "listening on" "$log"; do
      kill -0 $pid 2>/dev/null || { cat "$log"; exit 1; }
      sleep 0.02
    done
    ready=$(date +%s.%N)
    echo "$label: until listening: $(echo "$ready - $start" | bc) s ($(grep -o 'started in [0-9.]*s with [0-9]* faces' "$log")); RSS $(ps -o rss= -p $pid | awk '{printf "%.0f MB", $1/1024}'); load $load"
    kill $pid; wait $pid 2>/dev/null || true; pid=""
  done
done
