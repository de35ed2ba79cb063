#!/usr/bin/env bash
# Fetches the ONNX face models and the sample photos from the npm registry and checks every
# file's SHA-256: a mismatch is a hard error. Idempotent: files already present and correct stay.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
models="$root/models"
samples="$root/testdata/samples"
mkdir -p "$models" "$samples"

# file  sha256  (from faceplugin-face-recognition-js@0.0.1, package/model/)
model_sums="
fr_detect.onnx 6c0256ccd3164f844736a401faf936ec2930764a87ae39442180887d0c5c8854
fr_landmark.onnx f10b0ba1d2a8a099adefede1ebf3733e44fe370715e7303dbeb7f59c02142258
fr_feature.onnx 87aacdfe57510db2af90c0251df680e8eec88f122ee94712121d09bcaaaf3581
fr_liveness.onnx afa783b7e902fdfcf323a7240cac2a1c580c25314ea4161129dc1b0d100dc32d
fr_eye.onnx 1afcea006abc1ccac3c517022abde0aa092bed74ff3c9fe6878483ef9e6e38de
fr_pose.onnx 72d032ec941b7153bf8d3f2c03a4c165453cc7e63d479041ec7c6ef087e5839d
"
# file  sha256  (from @vladmandic/face-api@1.7.15, package/demo/: group photos of different people)
sample_sums="
sample1.jpg 8ecae4b267b2d3169e06e00c7dee97097aa2a94635d45216f7732a5f4943cb51
sample2.jpg 7d2b60ae6f13bf30f422e04df87451081a02c83de469056f25afb44b7000c691
sample3.jpg 8eb081c9efb14370fa94d9feab9e5fbeafd19a627491853a80c2bf67f7ffa936
sample4.jpg 729efa5923061d40eb4ed5f267a18cc7b8ba6f852bb2757b16d8b7e4937476fc
sample5.jpg 6d45095ebb182d8f975c0790e0e4eefd86fbb40609cf4b271776d92e12662938
sample6.jpg 9baad80f9d5e306fb9b8c0913d44445f1e95848df317530efb03d0934c57ba87
"

all_present() { # dir sums
  local dir=$1 sums=$2 name sum
  while read -r name sum; do
    [ -n "$name" ] || continue
    [ -f "$dir/$name" ] && [ "$(sha256sum "$dir/$name" | cut -d' ' -f1)" = "$sum" ] || return 1
  done <<< "$sums"
}

fetch() { # package dest sums subdir
  local package=$1 dest=$2 sums=$3 subdir=$4 name sum work
  if all_present "$dest" "$sums"; then echo "ok: $package files already present and verified"; return; fi
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' RETURN
  (cd "$work" && npm pack --silent "$package" >/dev/null)
  tar -xzf "$work"/*.tgz -C "$work"
  while read -r name sum; do
    [ -n "$name" ] || continue
    local got
    got="$(sha256sum "$work/package/$subdir/$name" | cut -d' ' -f1)"
    if [ "$got" != "$sum" ]; then
      echo "error: $package $subdir/$name has SHA-256 $got, expected $sum" >&2
      exit 1
    fi
    cp "$work/package/$subdir/$name" "$dest/$name"
  done <<< "$sums"
  echo "ok: fetched and verified $package into $dest"
}

fetch faceplugin-face-recognition-js@0.0.1 "$models" "$model_sums" model
fetch @vladmandic/face-api@1.7.15 "$samples" "$sample_sums" demo
