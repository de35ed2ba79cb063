#!/usr/bin/env bash
# The example application (examples/node-app) against a facegate of its own, in one command:
#   scripts/run-example.sh            # then open the URL it prints
# It starts `facegate serve` from the build (build/bin/facegate, or FACEGATE_BIN) with a temporary data
# directory, makes a `flows` API key and the collection `example` there, allows the app's origin
# (--allowed-return-origin: the hosted page may return to it and the SDK's modal may be framed by it),
# installs the app's dependencies (jose, pinned by its package-lock.json) with `npm ci`, and starts the app.
# Ctrl-C stops both and removes the data directory. Ports: FACEGATE_PORT (default 8080), APP_PORT (3000).
# Needs a build (scripts/setup.sh) and node 20+.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
facegate="${FACEGATE_BIN:-$root/build/bin/facegate}"
facegate_port="${FACEGATE_PORT:-8080}"
app_port="${APP_PORT:-3000}"
app_dir="$root/examples/node-app"
facegate_url="http://127.0.0.1:$facegate_port"
app_url="http://127.0.0.1:$app_port"

if [ ! -x "$facegate" ]; then
  echo "run-example: no facegate binary at $facegate: run scripts/setup.sh first (or set FACEGATE_BIN)" >&2
  exit 1
fi
if ! command -v node >/dev/null 2>&1 || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "run-example: the example app needs node 20 or newer" >&2
  exit 1
fi

data="$(mktemp -d "${TMPDIR:-/tmp}/facegate-example.XXXXXX")"
facegate_pid=""
app_pid=""
cleanup() {
  [ -n "$app_pid" ] && kill "$app_pid" 2>/dev/null && wait "$app_pid" 2>/dev/null || true
  [ -n "$facegate_pid" ] && kill "$facegate_pid" 2>/dev/null && wait "$facegate_pid" 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# a flows key (printed once as {"apiKey": "fgk_..."}) and the collection the app signs people up on
api_key="$("$facegate" keys create --kind api --scope flows --data "$data" |
  node -e 'let s = ""; process.stdin.on("data", (c) => { s += c; }).on("end", () => console.log(JSON.parse(s).apiKey))')"
"$facegate" collection create example --data "$data" >/dev/null

"$facegate" serve --data "$data" --listen "127.0.0.1:$facegate_port" --allowed-return-origin "$app_url" \
  >"$data/facegate.log" 2>&1 &
facegate_pid=$!
echo "run-example: starting facegate on $facegate_url (the models take a few seconds to load; log: $data/facegate.log)"
until grep -q 'facegate: listening on' "$data/facegate.log" 2>/dev/null; do
  if ! kill -0 "$facegate_pid" 2>/dev/null; then
    cat "$data/facegate.log" >&2
    echo "run-example: facegate did not start" >&2
    exit 1
  fi
  sleep 0.5
done

# the app's one dependency, jose, exactly as its package-lock.json pins it
if [ ! -f "$app_dir/node_modules/jose/package.json" ] ||
   [ "$app_dir/package-lock.json" -nt "$app_dir/node_modules/.package-lock.json" ]; then
  (cd "$app_dir" && npm ci --no-audit --no-fund --loglevel=error)
fi

FACEGATE_URL="$facegate_url" FACEGATE_API_KEY="$api_key" PORT="$app_port" node "$app_dir/server.mjs" &
app_pid=$!
cat <<EOF

  The example app:  $app_url
  facegate:         $facegate_url   (key ${api_key:0:16}, collection "example", data in $data)

  Sign up with a photo of an ID document, then sign in with your camera (Ctrl-C stops both).
  No document at hand? build/bin/make_id_document --photo YOUR_PHOTO.jpg --out document.jpg makes one.

EOF
wait "$app_pid"
