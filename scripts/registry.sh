#!/usr/bin/env bash
# A throwaway image registry on 127.0.0.1 for the pull tests: Debian's docker-registry, filesystem storage in
# a temp dir, plain HTTP (dockerd trusts 127.0.0.0/8 without TLS). Never a public registry.
#   scripts/registry.sh install          install docker-registry when missing (needs root + apt-get)
#   scripts/registry.sh start DIR PORT   start one serving DIR/data on 127.0.0.1:PORT; pid in DIR/pid
#   scripts/registry.sh stop DIR         stop the one started in DIR and remove DIR
set -euo pipefail
BIN=/usr/bin/docker-registry
log() { printf 'registry: %s\n' "$*" >&2; }

install() {
  [ -x "$BIN" ] && return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    log "docker-registry is missing and cannot be installed here (needs root and apt-get)"; exit 3
  fi
  log "installing Debian's docker-registry"
  # policy-rc.d on these machines keeps the package's own service from starting; we never use it.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-registry >/tmp/berth-registry-apt.log 2>&1 || {
    apt-get update -qq >>/tmp/berth-registry-apt.log 2>&1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-registry >>/tmp/berth-registry-apt.log 2>&1
  } || { log "apt-get install docker-registry failed; see /tmp/berth-registry-apt.log"; exit 3; }
}

config() { # DIR PORT
  cat <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $1/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$2
EOF
}

start() { # DIR PORT
  local dir=$1 port=$2
  install
  mkdir -p "$dir/data"
  config "$dir" "$port" >"$dir/config.yml"
  setsid "$BIN" serve "$dir/config.yml" >"$dir/log" 2>&1 </dev/null &
  echo $! >"$dir/pid"
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then log "serving on 127.0.0.1:$port (pid $(cat "$dir/pid"))"; return 0; fi
    sleep 0.1
  done
  log "did not answer on 127.0.0.1:$port within 10s:"; tail -n 20 "$dir/log" >&2; exit 1
}

stop() { # DIR
  local dir=$1
  if [ -f "$dir/pid" ]; then kill "$(cat "$dir/pid")" 2>/dev/null || true; fi
  rm -rf "$dir"
}

case "${1:-}" in
  install) install ;;
  start) start "$2" "$3" ;;
  stop) stop "$2" ;;
  *) echo "usage: $0 install | start DIR PORT | stop DIR" >&2; exit 2 ;;
esac
