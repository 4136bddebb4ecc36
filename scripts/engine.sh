#!/usr/bin/env bash
# Make sure a Docker engine answers. Idempotent: never restarts an engine that already answers.
# Installs Debian's docker.io when dockerd is missing, starts dockerd in the background when `docker info`
# fails, and waits (bounded) until it answers. Says what it did.
set -euo pipefail

log() { printf 'engine: %s\n' "$*"; }
DOCKER=${DOCKER:-docker}
answers() { timeout 10 "$DOCKER" info >/dev/null 2>&1; }

if answers; then
  log "already answering ($("$DOCKER" info --format '{{.ServerVersion}}' 2>/dev/null))"
  exit 0
fi

if [ -n "${DOCKER_HOST:-}" ] && [[ "$DOCKER_HOST" != unix://* ]]; then
  log "DOCKER_HOST=$DOCKER_HOST does not answer; start that engine yourself"
  exit 3
fi

if ! command -v dockerd >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    log "no dockerd here and cannot install it (needs root and apt-get); install Docker and run this again"
    exit 3
  fi
  log "installing docker.io from Debian's packages"
  t0=$(date +%s)
  # policy-rc.d on these machines stops the package from starting the daemon, so we start it below.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io >/tmp/berth-apt.log 2>&1 || {
    apt-get update -qq >>/tmp/berth-apt.log 2>&1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io >>/tmp/berth-apt.log 2>&1
  } || { log "apt-get install docker.io failed; see /tmp/berth-apt.log"; exit 3; }
  log "installed docker.io in $(( $(date +%s) - t0 ))s"
fi

# docker.io's own client can be missing from PATH when another CLI shadows it; both work with the daemon.
if ! command -v "$DOCKER" >/dev/null 2>&1; then DOCKER=/usr/bin/docker; fi

if [ "$(id -u)" != 0 ]; then
  log "dockerd is installed but not answering, and starting it needs root"
  exit 3
fi

log "starting dockerd (log: /var/log/berth-dockerd.log)"
# setsid: the daemon must outlive this script and the shell that called it.
setsid nohup dockerd >/var/log/berth-dockerd.log 2>&1 </dev/null &
for _ in $(seq 1 300); do
  if answers; then
    log "answering ($("$DOCKER" info --format '{{.ServerVersion}} {{.Driver}}' 2>/dev/null))"
    exit 0
  fi
  sleep 0.1
done
log "dockerd did not answer within 30s; last lines of its log:"
tail -n 20 /var/log/berth-dockerd.log >&2 || true
exit 3
