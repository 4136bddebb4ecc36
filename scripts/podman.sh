#!/usr/bin/env bash
# Podman with Docker's API on its own socket, for berth's Podman tests (`npm run podman`). Idempotent: installs
# Debian's podman when it is missing, starts `podman system service` on BERTH_PODMAN_SOCK when nothing answers
# there, and loads the local images the Podman tests use (from the main Docker engine, with `docker save |
# podman load`) when podman lacks them or has an older one. Never touches the main dockerd, never pulls: the
# service runs with a registries.conf that has no search registries, so a short name never resolves remotely.
# Prints what it did and how long it took.
set -euo pipefail
cd "$(dirname "$0")/.."

SOCK=${BERTH_PODMAN_SOCK:-/run/berth-podman.sock}
LOG=${BERTH_PODMAN_LOG:-/var/log/berth-podman.log}
CONF_DIR=${BERTH_PODMAN_CONF:-/etc/berth-podman}
# The images the Podman tests need; `scripts/podman.sh IMAGE...` loads others.
IMAGES=("$@")
[ ${#IMAGES[@]} -gt 0 ] || IMAGES=(berth/busybox:latest)

log() { printf 'podman: %s\n' "$*"; }
t0=$(date +%s)
answers() { curl -fsS --max-time 5 --unix-socket "$SOCK" http://d/_ping >/dev/null 2>&1; }

if ! command -v podman >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    log "no podman here and cannot install it (needs root and apt-get); install podman and run this again"
    exit 3
  fi
  log "installing podman from Debian's packages"
  # catatonit is podman's `init: true` (Debian only recommends it; without it such a container fails to create)
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman catatonit >/tmp/berth-apt-podman.log 2>&1 || {
    apt-get update -qq >>/tmp/berth-apt-podman.log 2>&1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman catatonit >>/tmp/berth-apt-podman.log 2>&1
  } || { log "apt-get install podman failed; see /tmp/berth-apt-podman.log"; exit 3; }
  log "installed $(podman --version) in $(( $(date +%s) - t0 ))s"
fi
if [ ! -x /usr/libexec/podman/catatonit ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  log "installing catatonit (podman's init for init: true)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq catatonit >>/tmp/berth-apt-podman.log 2>&1 ||
    log "apt-get install catatonit failed: services with init: true will not start on podman"
fi

# Local images only: no search registries, and docker.io blocked, because the compat API qualifies a short
# name as Docker does (`berth/x` is `docker.io/berth/x`), so a pull of a missing image would go there.
mkdir -p "$CONF_DIR"
cat >"$CONF_DIR/registries.conf" <<'EOF'
# berth's Podman service: local images only (scripts/podman.sh)
unqualified-search-registries = []
short-name-mode = "enforcing"

[[registry]]
location = "docker.io"
blocked = true
EOF
export CONTAINERS_REGISTRIES_CONF="$CONF_DIR/registries.conf"

# Rootful podman gives every container nofile=1048576 and nproc=4194304, which fails to start ("error setting
# rlimit type 7: operation not permitted") where root lacks CAP_SYS_RESOURCE (inside another container, as on
# berth's CI machine). Docker's containers inherit dockerd's limits; this gives podman's the same: the hard
# limits here, nproc at most 32768 because podman lowers its own to that when it cannot raise it.
nproc=$(ulimit -Hu)
{ [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ]; } && nproc=32768
nofile=$(ulimit -Hn)
[ "$nofile" = unlimited ] && nofile=1048576
cat >"$CONF_DIR/containers.conf" <<EOF
# berth's Podman service: limits a container can be given here (scripts/podman.sh)
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
EOF
export CONTAINERS_CONF="$CONF_DIR/containers.conf"

# A service this script started with other settings is restarted (its pid is in service.pid); one started by
# someone else is left alone.
settings=$(cat "$CONF_DIR/registries.conf" "$CONF_DIR/containers.conf" | sha256sum | cut -c1-12)
# So is one whose working folder was deleted (started from a checkout since removed): conmon, which it starts
# for every container, fails with "Failed to get working directory" and every start is "exit status 1".
pid=$(cat "$CONF_DIR/service.pid" 2>/dev/null || true)
cwd_gone() { readlink "/proc/$pid/cwd" 2>/dev/null | grep -q ' (deleted)$'; }
if answers && [ -n "$pid" ] && { [ "$(cat "$CONF_DIR/service.settings" 2>/dev/null)" != "$settings" ] || cwd_gone; }; then
  if grep -q 'podman' "/proc/$pid/cmdline" 2>/dev/null; then
    log "restarting the service (pid $pid): its settings changed or its working folder is gone"
    kill "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
fi

if answers; then
  log "already answering on unix://$SOCK"
else
  if [ "$(id -u)" != 0 ]; then
    log "nothing answers on $SOCK and starting the rootful service needs root"
    exit 3
  fi
  rm -f "$SOCK"
  log "starting podman system service on unix://$SOCK (log: $LOG)"
  # setsid: the service must outlive this script and the shell that called it.
  # From /: the service outlives this checkout, and conmon needs its working folder to exist.
  (cd / && exec setsid nohup podman system service --time=0 "unix://$SOCK" >"$LOG" 2>&1 </dev/null) &
  echo $! >"$CONF_DIR/service.pid"
  echo "$settings" >"$CONF_DIR/service.settings"
  for _ in $(seq 1 300); do
    answers && break
    sleep 0.1
  done
  if ! answers; then
    log "the service did not answer within 30s; last lines of its log:"
    tail -n 20 "$LOG" >&2 || true
    exit 3
  fi
  log "answering ($(curl -fsS --unix-socket "$SOCK" http://d/version | sed -n 's/.*"Version":"\([^"]*\)".*/\1/p' | head -1))"
fi

# Load an image when podman lacks it or has another ID than the Docker engine's (a rebuilt recipe).
for image in "${IMAGES[@]}"; do
  want=$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null) || {
    log "$image is missing in the Docker engine; run \`npm run images\` first"
    exit 1
  }
  have=$(podman image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
  if [ "sha256:$have" = "$want" ] || [ "$have" = "$want" ]; then continue; fi
  t1=$(date +%s)
  docker save "$image" | podman load -q >/dev/null
  log "loaded $image in $(( $(date +%s) - t1 ))s"
done
log "ready in $(( $(date +%s) - t0 ))s: DOCKER_HOST=unix://$SOCK"
