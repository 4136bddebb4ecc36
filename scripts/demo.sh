#!/usr/bin/env bash
# `npm run demo`: engine, local images, then the demo stack (fixtures/demo/berth.yaml) up; prints the URL.
#   scripts/demo.sh [up]     bring it up (again: recreates what changed, keeps the data)
#   scripts/demo.sh down     stop and remove its containers and network (data volumes stay; `down -v` too)
#   --no-setup               skip engine/images/build (the e2e test has them already)
#   BERTH_DEMO_PORT (8080), BERTH_DEMO_PROJECT (demo): where it listens and its project name
# It runs `berth up -d --wait` when this checkout's berth has `up`; until then it runs the same stack with
# the docker CLI and the labels and names berth uses (project demo: demo-<svc>-<n>, demo_default, demo_<vol>).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DOCKER=${DOCKER:-docker}
# The docker CLI fallback builds with the classic builder (DOCKER_BUILDKIT=0 on that one command); berth
# chooses its own builder, as for every other stack, so every build of berth/demo-app hits the same cache.
FILE=fixtures/demo/berth.yaml
DIR=$ROOT/fixtures/demo
PROJECT=${BERTH_DEMO_PROJECT:-demo}
PORT=${BERTH_DEMO_PORT:-8080}
URL=http://127.0.0.1:$PORT

log() { printf 'demo: %s\n' "$*"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
since() { local ms=$(($(now_ms) - $1)); printf '%d.%ds' $((ms / 1000)) $((ms % 1000 / 100)); }

# BERTH_DEMO_FALLBACK=1 forces the docker CLI path (to compare it with berth, or when berth is broken).
has_berth_up() { [ -z "${BERTH_DEMO_FALLBACK:-}" ] && node bin/berth.js up --help 2>/dev/null | grep -q '^Usage: berth up'; }
berth() { node bin/berth.js -f $FILE -p "$PROJECT" "$@"; }

# --- docker CLI fallback (the same services, keys and names as berth.yaml) ---------------------------------
ours() { "$DOCKER" ps -aq --filter "label=dev.berth.project=$PROJECT" "$@"; }

fallback_down() {
  local ids
  # Reverse start order, like berth: the entry point first, the data last.
  for svc in lb nginx app store db; do
    ids=$(ours --filter "label=dev.berth.service=$svc")
    [ -z "$ids" ] || "$DOCKER" rm -f -v $ids >/dev/null
  done
  "$DOCKER" network rm ${PROJECT}_default >/dev/null 2>&1 || true
  if [ "${1:-}" = -v ]; then "$DOCKER" volume rm ${PROJECT}_dbdata ${PROJECT}_storedata >/dev/null 2>&1 || true; fi
}

run() { # run SERVICE REPLICA IMAGE [docker run options...] -- [command...]
  local svc=$1 n=$2
  shift 2
  "$DOCKER" run -d --pull=never --name "$PROJECT-$svc-$n" \
    --label dev.berth.project=$PROJECT --label dev.berth.stack=$PROJECT \
    --label dev.berth.service="$svc" --label dev.berth.replica="$n" \
    --network ${PROJECT}_default --network-alias "$svc" "$@" >/dev/null
}

healthy() {
  local s
  s=$("$DOCKER" inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$1" 2>/dev/null || true)
  [ "$s" = healthy ] || { [ "$s" = exited ] && { "$DOCKER" logs --tail 20 "$1" >&2; log "$1 exited"; exit 1; }; false; }
}

fallback_up() {
  DOCKER_BUILDKIT=0 "$DOCKER" build -q -t berth/demo-app:latest "$DIR/app" >/tmp/berth-demo-build.log 2>&1 ||
    { cat /tmp/berth-demo-build.log >&2; exit 1; }
  fallback_down
  "$DOCKER" network create --label dev.berth.project=$PROJECT ${PROJECT}_default >/dev/null
  for vol in dbdata storedata; do
    "$DOCKER" volume inspect ${PROJECT}_$vol >/dev/null 2>&1 ||
      "$DOCKER" volume create --label dev.berth.project=$PROJECT --label dev.berth.volume=$vol ${PROJECT}_$vol >/dev/null
  done
  # Healthchecks and stop signals come from the images (berth.yaml repeats the same ones). Start order
  # follows depends_on; services with no order between them start together.
  local t0 pids=()
  t0=$(now_ms)
  run db 1 -e POSTGRES_DB="${DB_NAME:-app}" -e POSTGRES_USER="${DB_USER:-app}" \
    -e POSTGRES_PASSWORD="${DB_PASSWORD:-app-secret}" --stop-signal SIGINT \
    -v ${PROJECT}_dbdata:/var/lib/postgresql/data berth/postgres:latest &
  pids+=($!)
  run store 1 -v ${PROJECT}_storedata:/data berth/redis:latest &
  pids+=($!)
  for pid in "${pids[@]}"; do wait "$pid"; done
  log "db, store started ($(since "$t0"))"
  # app: depends_on db and store service_healthy.
  for _ in $(seq 1 600); do
    if healthy $PROJECT-db-1 && healthy $PROJECT-store-1; then break; fi
    sleep 0.1
  done
  log "db, store healthy ($(since "$t0"))"
  pids=()
  for n in 1 2; do
    run app $n --init -e CLIENT="${CLIENT:-default}" -e PGHOST=db -e PGDATABASE="${DB_NAME:-app}" \
      -e PGUSER="${DB_USER:-app}" -e PGPASSWORD="${DB_PASSWORD:-app-secret}" -e REDIS_HOST=store \
      -v "$DIR/app:/app:ro" berth/demo-app:latest &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid"; done
  log "app ×2 started ($(since "$t0"))"
  run nginx 1 -e BANNER="${BANNER:-berth demo}" \
    -v "$DIR/nginx/default.conf.template:/etc/nginx/templates/default.conf.template:ro" \
    -v "$DIR/nginx/html:/usr/share/nginx/html:ro" berth/nginx:latest
  run lb 1 -p "127.0.0.1:$PORT:80" -v "$DIR/haproxy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro" \
    berth/haproxy:latest
  log "nginx, lb started ($(since "$t0"))"
}

# --- main ------------------------------------------------------------------------------------------------
verb=up volumes= setup=1
for arg in "$@"; do
  case $arg in
    up | down) verb=$arg ;;
    -v) volumes=-v ;;
    --no-setup) setup= ;;
    *) log "unknown argument '$arg' (usage: scripts/demo.sh [up|down] [-v] [--no-setup])"; exit 2 ;;
  esac
done

if [ $verb = down ]; then
  if has_berth_up; then
    berth down $volumes
    exit
  fi
  fallback_down $volumes
  log "down (volumes ${PROJECT}_dbdata, ${PROJECT}_storedata kept unless -v)"
  exit 0
fi

if [ -n "$setup" ]; then
  bash scripts/engine.sh
  bash scripts/images.sh
  # The CLI runs from dist/: make it the current source's (other verbs may have landed since npm ci).
  npm run --silent build >/tmp/berth-demo-tsc.log 2>&1 || log "npm run build failed (see /tmp/berth-demo-tsc.log); trying anyway"
fi

t0=$(now_ms)
if has_berth_up; then
  # --build: the app image follows its Dockerfile and a rebuilt berth/python (cached: about a second).
  log "berth -f $FILE -p $PROJECT up -d --wait --build"
  berth up -d --wait --build
else
  log "running the stack with the docker CLI (berth up unavailable or BERTH_DEMO_FALLBACK set; project $PROJECT)"
  fallback_up
fi

for _ in $(seq 1 600); do
  if body=$(curl -fsS --max-time 2 "$URL/api/visit" 2>/dev/null); then
    log "first OK request $(since "$t0") after starting the stack: $body"
    log "open $URL/  (API: $URL/api/visit; edit fixtures/demo/app/app.py and the replicas reload by themselves)"
    exit 0
  fi
  sleep 0.1
done
log "$URL/api/visit did not answer within 60s; container states:"
"$DOCKER" ps -a --filter "label=dev.berth.project=$PROJECT" --format '{{.Names}}\t{{.Status}}' >&2
exit 1
