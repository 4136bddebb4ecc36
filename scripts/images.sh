#!/usr/bin/env bash
# Build every image the demo and the tests use, locally: there is no registry to pull from.
# Idempotent: each image carries the hash of its recipe (label dev.berth.recipe) and is rebuilt only when
# the recipe changed. Usage: scripts/images.sh [NAME...]   (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DOCKER=${DOCKER:-docker}
export DOCKER_BUILDKIT=0   # the classic builder works with every CLI found here (see README, "Images")
CACHE=${BERTH_IMAGE_CACHE:-$ROOT/.cache/images}
mkdir -p "$CACHE"

log() { printf 'images: %s\n' "$*"; }
recipe_hash() { (cd "$ROOT/images/$1" && find . -type f ! -name busybox -print0 | sort -z | xargs -0 sha256sum; cat "$ROOT/scripts/images.sh") | sha256sum | cut -c1-12; }
current_hash() { "$DOCKER" image inspect -f '{{index .Config.Labels "dev.berth.recipe"}}' "$1" 2>/dev/null || true; }

# busybox-static from Debian, extracted (never installed: it conflicts with the host's busybox).
busybox_binary() {
  local dest=$1
  if [ ! -x "$CACHE/busybox" ]; then
    local tmp; tmp=$(mktemp -d)
    (cd "$tmp" && apt-get download busybox-static >/dev/null 2>&1) || { apt-get update -qq >/dev/null 2>&1; (cd "$tmp" && apt-get download busybox-static >/dev/null); }
    dpkg-deb -x "$tmp"/busybox-static_*.deb "$tmp/x"
    cp "$tmp/x/bin/busybox" "$CACHE/busybox"
    rm -rf "$tmp"
  fi
  cp "$CACHE/busybox" "$dest"
}

build_busybox() {
  local tag=berth/busybox:latest h; h=$(recipe_hash busybox)
  if [ "$(current_hash $tag)" = "$h" ]; then log "$tag up to date"; return; fi
  local t0; t0=$(date +%s.%N)
  busybox_binary "$ROOT/images/busybox/busybox"
  "$DOCKER" build -q --label dev.berth.recipe="$h" -t "$tag" "$ROOT/images/busybox" >/dev/null
  rm -f "$ROOT/images/busybox/busybox"
  log "$tag built in $(printf '%.1f' "$(echo "$(date +%s.%N) - $t0" | bc)")s"
}

want=("$@")
[ ${#want[@]} -gt 0 ] || want=(busybox)
for name in "${want[@]}"; do
  "build_$name"
done
