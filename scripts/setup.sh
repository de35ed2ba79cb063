#!/usr/bin/env bash
# One-time and every-time set-up on Debian 12: installs the Debian packages facegate needs (only
# the missing ones), fetches and checks the models and sample photos from the npm registry, and
# builds in Release. Idempotent; safe to run again. Usage: scripts/setup.sh [BUILD_DIR]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build}"

# build tools and libraries (see README "Libraries"), test tools and what the fuzzer needs
packages=(
  build-essential cmake pkg-config git ca-certificates curl bc
  libopencv-dev nlohmann-json3-dev libcli11-dev libssl-dev
  libsqlite3-dev uuid-dev libhnswlib-dev libboost-dev libutf8proc-dev libcpp-httplib-dev libspdlog-dev libpq-dev postgresql-15
  fonts-ocr-b fonts-dejavu-core iso-codes
  libgtest-dev libgmock-dev
  nodejs npm
  clang libclang-rt-14-dev
  python3 python3-boto3 python3-pytest python3-requests python3-cryptography awscli
  chromium ffmpeg
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node and npm may come from outside Debian on some machines: then the Debian ones are not needed
if command -v npm >/dev/null 2>&1; then
  filtered=()
  for p in "${missing[@]}"; do [[ "$p" == nodejs || "$p" == npm ]] || filtered+=("$p"); done
  missing=("${filtered[@]+"${filtered[@]}"}")
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "setup: need root or sudo to install ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

bash "$root/scripts/fetch_models.sh"

# the browser tests' driver: playwright-core pinned by tests/web/package-lock.json (the browser is Debian's chromium)
if [ ! -f "$root/tests/web/node_modules/playwright-core/package.json" ] ||
   [ "$root/tests/web/package-lock.json" -nt "$root/tests/web/node_modules/.package-lock.json" ]; then
  (cd "$root/tests/web" && npm ci --no-audit --no-fund --loglevel=error)
fi
# the compat tests' AWS SDK for JavaScript v3: @aws-sdk/client-rekognition pinned by tests/compat/js/package-lock.json
if [ ! -f "$root/tests/compat/js/node_modules/@aws-sdk/client-rekognition/package.json" ] ||
   [ "$root/tests/compat/js/package-lock.json" -nt "$root/tests/compat/js/node_modules/.package-lock.json" ]; then
  (cd "$root/tests/compat/js" && npm ci --no-audit --no-fund --loglevel=error)
fi

jobs="$(nproc 2>/dev/null || echo 2)"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j"$jobs"
echo "setup: built into $build"
