#!/usr/bin/env bash
# Builds facegate (scripts/setup.sh) and starts the server on its embedded default: SQLite under
# ./data, listening on 127.0.0.1:8080. Extra arguments go to `facegate serve`, e.g.
#   scripts/start.sh --listen 0.0.0.0:8080 --data /var/lib/facegate
# On first start it creates an access key in the data directory and says where, and (without
# --kek-file, --kek-command or FACEGATE_KEK) the key-encryption key of the sealed face templates in
# DATA/kek: fine for trying facegate out; production keeps the KEK elsewhere (docs/security.md).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup.sh" >&2
cd "$root"
exec "$root/build/bin/facegate" serve --data "${FACEGATE_DATA_DIR:-$root/data}" "$@"
