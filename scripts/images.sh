#!/usr/bin/env bash
# Build every image the demo and the tests use, locally: there is no registry to pull from.
#   berth/busybox       Debian's busybox-static on scratch (most tests)
#   berth/debian-stack  one Debian bookworm rootfs (mmdebstrap) with every service's packages
#   berth/postgres, berth/redis, berth/nginx, berth/haproxy, berth/python
#                       thin `docker build`s FROM berth/debian-stack: no network needed, built in parallel
# Idempotent: each image carries the hash of its recipe (label dev.berth.recipe) and is rebuilt only when
# the recipe changed. A recipe is everything that goes into the image: its folder under images/, the
# inputs this script adds (the Debian package busybox comes from, `docker import` changes) and, for derived
# images, the ID of the base they are built on (so a rebuilt base rebuilds them). Editing this script's
# logging or flow rebuilds nothing; changing an input below does.
# Usage: scripts/images.sh [--check] [NAME...]   (default: all; a derived image brings its base up to date
# first). --check builds nothing: it says which images are missing or outdated and exits 1 if any is.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DOCKER=${DOCKER:-docker}
export DOCKER_BUILDKIT=0 # the classic builder works with every docker CLI found on these machines
CACHE=${BERTH_IMAGE_CACHE:-$ROOT/.cache/images}
SERVICES=(postgres redis nginx haproxy python)
CHECK=
mkdir -p "$CACHE"

log() { printf 'images: %s\n' "$*"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
since() { local ms=$(($(now_ms) - $1)); printf '%d.%ds' $((ms / 1000)) $((ms % 1000 / 100)); }
die() {
  log "$*" >&2
  exit 1
}

# Inputs of the recipes that live here rather than in images/<name>/.
BUSYBOX_DEB=busybox-static
STACK_IMPORT_CHANGES=('CMD ["/bin/bash"]')

# sha256 of every file in images/<dir> (bar the fetched busybox binary) and the extra inputs given.
recipe_hash() {
  local dir=$1
  shift
  {
    (cd "$ROOT/images/$dir" && find . -type f ! -name busybox -print0 | sort -z | xargs -0 sha256sum)
    printf '%s\n' "$@"
  } | sha256sum | cut -c1-12
}
label_of() { "$DOCKER" image inspect -f '{{index .Config.Labels "dev.berth.recipe"}}' "$1" 2>/dev/null || true; }
id_of() { "$DOCKER" image inspect -f '{{.Id}}' "$1" 2>/dev/null || true; }
# An image we just replaced keeps its layers alive while untagged; drop it unless something still uses it.
drop_old() { [ -z "$1" ] || [ "$1" = "$(id_of "$2")" ] || "$DOCKER" rmi "$1" >/dev/null 2>&1 || true; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi; }
apt_install() {
  command -v apt-get >/dev/null || die "need $* and there is no apt-get here; install it yourself"
  local t0
  t0=$(now_ms)
  log "installing $* with apt-get"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/tmp/berth-apt.log 2>&1 || {
    as_root apt-get update -qq >>/tmp/berth-apt.log 2>&1
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >>/tmp/berth-apt.log 2>&1
  } || die "apt-get install $* failed; see /tmp/berth-apt.log"
  log "installed $* in $(since "$t0")"
}

# busybox-static from Debian, extracted (never installed: it conflicts with the host's busybox).
busybox_binary() {
  local dest=$1
  if [ ! -x "$CACHE/busybox" ]; then
    local tmp
    tmp=$(mktemp -d)
    (cd "$tmp" && apt-get download $BUSYBOX_DEB >/dev/null 2>&1) || {
      apt-get update -qq >/dev/null 2>&1 || true
      (cd "$tmp" && apt-get download $BUSYBOX_DEB >/dev/null)
    }
    dpkg-deb -x "$tmp"/${BUSYBOX_DEB}_*.deb "$tmp/x"
    cp "$tmp/x/bin/busybox" "$CACHE/busybox"
    rm -rf "$tmp"
  fi
  cp "$CACHE/busybox" "$dest"
}

# Whether TAG must be built for recipe HASH, said aloud: 0 = build it; 1 = up to date (the caller returns
# success); 2 = outdated under --check (the caller returns failure). One guard for every image kind.
stale() {
  if [ "$(label_of "$1")" = "$2" ]; then
    log "$1 up to date"
    return 1
  fi
  [ -n "$CHECK" ] || return 0
  log "$1 missing or outdated (run scripts/images.sh)"
  return 2
}

build_busybox() {
  local tag=berth/busybox:latest h old t0
  h=$(recipe_hash busybox "deb $BUSYBOX_DEB")
  local rc=0
  stale "$tag" "$h" || rc=$?
  [ $rc = 0 ] || return $((rc - 1))
  t0=$(now_ms) old=$(id_of $tag)
  busybox_binary "$ROOT/images/busybox/busybox"
  "$DOCKER" build -q --label dev.berth.recipe="$h" -t "$tag" "$ROOT/images/busybox" >/tmp/berth-build-busybox.log 2>&1 ||
    { cat /tmp/berth-build-busybox.log >&2; die "building $tag failed"; }
  rm -f "$ROOT/images/busybox/busybox"
  drop_old "$old" $tag
  log "$tag built in $(since "$t0")"
}

# The rootfs streams from mmdebstrap straight into `docker import` under a temporary tag, which becomes
# the real tag only when both ends succeeded (a failed mmdebstrap would otherwise leave a half image).
build_debian_stack() {
  local tag=berth/debian-stack:latest h old t0 tmp
  h=$(recipe_hash debian-stack "${STACK_IMPORT_CHANGES[@]/#/import -c }")
  local rc=0
  stale "$tag" "$h" || rc=$?
  [ $rc = 0 ] || return $((rc - 1))
  command -v mmdebstrap >/dev/null || apt_install mmdebstrap
  [ "$(id -u)" = 0 ] || die "building $tag runs mmdebstrap as root; run this script as root"
  t0=$(now_ms) old=$(id_of $tag) tmp=berth/debian-stack:building-$$
  local changes=(-c "LABEL dev.berth.recipe=$h") c
  for c in "${STACK_IMPORT_CHANGES[@]}"; do changes+=(-c "$c"); done
  log "$tag: mmdebstrap bookworm + $(grep -cv '^\s*\(#\|$\)' "$ROOT/images/debian-stack/packages") packages (about a minute)"
  if ! bash "$ROOT/images/debian-stack/mmdebstrap.sh" 2>/tmp/berth-mmdebstrap.log |
    "$DOCKER" import "${changes[@]}" - "$tmp" >/dev/null; then
    "$DOCKER" rmi "$tmp" >/dev/null 2>&1 || true
    tail -n 20 /tmp/berth-mmdebstrap.log >&2
    die "building $tag failed; full log: /tmp/berth-mmdebstrap.log"
  fi
  "$DOCKER" tag "$tmp" $tag && "$DOCKER" rmi "$tmp" >/dev/null
  drop_old "$old" $tag
  log "$tag built in $(since "$t0")"
}

# A thin image FROM berth/debian-stack: its Dockerfile only adds config, so no network is needed.
build_service() {
  local name=$1 tag=berth/$1:latest h old t0
  h=$(recipe_hash "$name" "base $(id_of berth/debian-stack:latest)")
  local rc=0
  stale "$tag" "$h" || rc=$?
  [ $rc = 0 ] || return $((rc - 1))
  t0=$(now_ms) old=$(id_of "$tag")
  "$DOCKER" build -q --label dev.berth.recipe="$h" -t "$tag" "$ROOT/images/$name" >/tmp/berth-build-"$name".log 2>&1 ||
    { cat /tmp/berth-build-"$name".log >&2; die "building $tag failed"; }
  drop_old "$old" "$tag"
  log "$tag built in $(since "$t0")"
}

start=$(now_ms)
if [ "${1:-}" = --check ]; then
  CHECK=1
  shift
fi
want=("$@")
[ ${#want[@]} -gt 0 ] || want=(busybox debian-stack "${SERVICES[@]}")
services=() base_done= failed=0
for name in "${want[@]}"; do
  case $name in
    busybox) build_busybox || failed=1 ;;
    debian-stack) build_debian_stack && base_done=1 || failed=1 ;;
    postgres | redis | nginx | haproxy | python) services+=("$name") ;;
    *) die "unknown image '$name' (known: busybox debian-stack ${SERVICES[*]})" ;;
  esac
done
if [ ${#services[@]} -gt 0 ]; then
  # A service image is only as current as its base: bring the base up to date first (a no-op when it is).
  [ -n "$base_done" ] || build_debian_stack || failed=1
  pids=()
  for name in "${services[@]}"; do
    build_service "$name" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
fi
[ -n "$CHECK" ] && [ $failed = 1 ] && exit 1
[ $failed = 0 ] || die "some images failed to build (see above)"
log "done in $(since "$start")"
