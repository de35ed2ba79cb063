#!/usr/bin/env bash
# Register and verify over HTTP on SQLite and on PostgreSQL, alternated (S P S P ...) so that the load of
# other work on the machine hits both (issue 11). PostgreSQL: a throw-away server
# (tests/support/with_postgres.py) and the test shim that gives the benchmark's data directory its own
# database (tests/support/facegate_on_postgres).
# usage: bench/run_flows_store_bench.sh [ROUNDS] [REGISTERS] [VERIFIES]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rounds="${1:-2}"; registers="${2:-20}"; verifies="${3:-50}"
bin="${FACEGATE_BIN:-$root/build/bin/facegate}"
export MAKE_ID_DOCUMENT_BIN="${MAKE_ID_DOCUMENT_BIN:-$root/build/bin/make_id_document}"
for round in $(seq "$rounds"); do
  echo "== SQLite, round $round (load $(cut -d' ' -f1 /proc/loadavg))"
  FACEGATE_BIN="$bin" /usr/bin/python3 "$root/bench/bench_flows_http.py" --registers "$registers" --verifies "$verifies" | tail -2
  echo "== PostgreSQL, round $round (load $(cut -d' ' -f1 /proc/loadavg))"
  FACEGATE_BIN="$root/tests/support/facegate_on_postgres" FACEGATE_REAL_BIN="$bin" \
    /usr/bin/python3 "$root/tests/support/with_postgres.py" \
    /usr/bin/python3 "$root/bench/bench_flows_http.py" --registers "$registers" --verifies "$verifies" | tail -2
done
