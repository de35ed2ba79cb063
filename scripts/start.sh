#!/usr/bin/env bash
# Builds facegate (scripts/setup.sh) and runs it. With no arguments it shows what it can do;
# otherwise the arguments go to the facegate command, e.g.
#   scripts/start.sh detect photo.jpg
#   scripts/start.sh compare id-photo.jpg selfie.jpg
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup.sh" >&2
if [ $# -eq 0 ]; then set -- --help; fi
exec "$root/build/bin/facegate" "$@"
