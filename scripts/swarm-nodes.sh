#!/usr/bin/env bash
# A 2-node Docker Swarm on this one machine, for `npm run test:swarm`: two dockerds, each in its own network
# namespace joined by a veth pair (10.232.0.2 manager, 10.232.0.3 worker), and an image registry on the
# manager's address that both nodes pull from. Nothing here touches the main dockerd (/var/run/docker.sock) or
# its swarm: the nodes have their own data roots, exec roots, sockets and cgroup parents. Needs root.
#
#   scripts/swarm-nodes.sh start DIR     namespaces, dockerds and registry; state and data under DIR
#   scripts/swarm-nodes.sh join DIR      manager `swarm init`, worker `swarm join`, a 2 s dispatcher heartbeat
#   scripts/swarm-nodes.sh stop-node DIR NODE   stop one node's dockerd (manager | worker)
#   scripts/swarm-nodes.sh down DIR      stop everything start made and remove DIR (also after a failed start)
#
# The nodes' sockets are DIR/manager.sock and DIR/worker.sock; the registry is 10.232.0.2:5000 (plain HTTP: the
# nodes are started with --insecure-registry for that subnet only). `nsenter --net`, not `ip netns exec`: the
# latter remounts /sys and dockerd then finds no devices cgroup.
set -euo pipefail
NS_PREFIX=bt-swarm2
SUBNET=10.232.0
REGISTRY_PORT=5000
# The images a node needs that no registry has: the base image of what the test builds.
SEED_IMAGES=(berth/busybox:latest)
log() { printf 'swarm-nodes: %s\n' "$*" >&2; }

ns() { echo "$NS_PREFIX-$1"; }          # network namespace of a node
addr() { [ "$1" = manager ] && echo "$SUBNET.2" || echo "$SUBNET.3"; }
sock() { echo "$DIR/$1.sock"; }
dk() { local node=$1; shift; docker -H "unix://$(sock "$node")" "$@"; }

start_node() { # NODE
  local node=$1 root="$DIR/$1"
  mkdir -p "$root/data" "$root/exec"
  # Its own UTS namespace too, so each node has its own hostname (what `docker node ls` and `berth ps` show).
  nsenter --net="/run/netns/$(ns "$node")" unshare --uts sh -c 'hostname "$0" && exec setsid "$@"' "$(ns "$node")" dockerd \
    --data-root "$root/data" --exec-root "$root/exec" --pidfile "$root/dockerd.pid" \
    -H "unix://$(sock "$node")" --cgroup-parent "/$(ns "$node")" \
    --insecure-registry "$SUBNET.0/24" >"$root/dockerd.log" 2>&1 </dev/null &
}

wait_node() { # NODE
  for _ in $(seq 1 600); do
    dk "$1" info --format '{{.ID}}' >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  log "the $1 dockerd did not answer within 120 s:"; tail -n 20 "$DIR/$1/dockerd.log" >&2; return 1
}

start() {
  [ "$(id -u)" = 0 ] || { log "needs root (network namespaces, a dockerd per node)"; exit 3; }
  mkdir -p "$DIR"
  for node in manager worker; do ip netns add "$(ns "$node")"; done
  ip link add bt-sw2-m type veth peer name bt-sw2-w
  ip link set bt-sw2-m netns "$(ns manager)"
  ip link set bt-sw2-w netns "$(ns worker)"
  for node in manager worker; do
    local dev=bt-sw2-m
    [ "$node" = worker ] && dev=bt-sw2-w
    ip -n "$(ns "$node")" addr add "$(addr "$node")/24" dev "$dev"
    ip -n "$(ns "$node")" link set "$dev" up
    ip -n "$(ns "$node")" link set lo up
  done
  start_node manager
  start_node worker
  # The registry the nodes pull built images from, on the manager's veth address.
  mkdir -p "$DIR/registry/data"
  cat >"$DIR/registry/config.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $DIR/registry/data
http:
  addr: $SUBNET.2:$REGISTRY_PORT
EOF
  bash "$(dirname "$0")/registry.sh" install
  nsenter --net="/run/netns/$(ns manager)" setsid /usr/bin/docker-registry serve "$DIR/registry/config.yml" \
    >"$DIR/registry/log" 2>&1 </dev/null &
  echo $! >"$DIR/registry/pid"
  wait_node manager
  wait_node worker
  for img in "${SEED_IMAGES[@]}"; do docker save "$img" | dk manager load -q >/dev/null; done
  for _ in $(seq 1 100); do
    nsenter --net="/run/netns/$(ns worker)" bash -c "exec 3<>/dev/tcp/$SUBNET.2/$REGISTRY_PORT" 2>/dev/null && {
      log "nodes up: $(sock manager) ($(addr manager)), $(sock worker) ($(addr worker)), registry $SUBNET.2:$REGISTRY_PORT"
      return 0
    }
    sleep 0.1
  done
  log "the registry does not answer on $SUBNET.2:$REGISTRY_PORT from the worker:"; tail -n 20 "$DIR/registry/log" >&2
  exit 1
}

join() {
  dk manager swarm init --advertise-addr "$(addr manager)" --listen-addr "$(addr manager):2377" >/dev/null
  # Node-down detection is a few heartbeats: 2 s instead of 5 s makes rescheduling after a node loss quicker.
  dk manager swarm update --dispatcher-heartbeat 2s >/dev/null
  dk worker swarm join --advertise-addr "$(addr worker)" \
    --token "$(dk manager swarm join-token -q worker)" "$(addr manager):2377" >/dev/null
  for _ in $(seq 1 300); do
    [ "$(dk manager node ls --filter role=worker --format '{{.Status}}' 2>/dev/null)" = Ready ] && {
      log "swarm: manager $(addr manager), worker $(addr worker) ready"
      return 0
    }
    sleep 0.2
  done
  log "the worker did not become ready within 60 s"; exit 1
}

stop_pid() { # PIDFILE: TERM, then KILL after 30 s
  local f=$1 pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  kill "$pid" 2>/dev/null || { rm -f "$f"; return 0; }
  for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || { rm -f "$f"; return 0; }; sleep 0.2; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$f"
}

stop_node() { # NODE
  stop_pid "$DIR/$1/dockerd.pid"
}

down() {
  stop_pid "$DIR/registry/pid"
  for node in worker manager; do
    [ -S "$(sock "$node")" ] && dk "$node" swarm leave --force >/dev/null 2>&1 || true
    stop_node "$node"
  done
  # A dockerd killed hard can leave its containerd shims and mounts behind: end those under DIR only.
  if [ -d "$DIR" ]; then
    for p in $(pgrep -f "$DIR/" || true); do kill -9 "$p" 2>/dev/null || true; done
    { grep -o " $DIR/[^ ]*" /proc/mounts || true; } | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  fi
  for node in manager worker; do
    ip netns del "$(ns "$node")" 2>/dev/null || true
    for c in /sys/fs/cgroup/*/"$(ns "$node")"; do [ -d "$c" ] && rmdir "$c" 2>/dev/null || true; done
  done
  rm -rf "$DIR"
}

cmd=${1:-}
DIR=${2:-}
[ -n "$DIR" ] || { echo "usage: $0 start|join|down DIR | stop-node DIR manager|worker" >&2; exit 2; }
DIR=$(realpath -m "$DIR")
case "$cmd" in
  start) start ;;
  join) join ;;
  stop-node) stop_node "${3:?manager or worker}" ;;
  down) down ;;
  *) echo "usage: $0 start|join|down DIR | stop-node DIR manager|worker" >&2; exit 2 ;;
esac
