#!/usr/bin/env bash
# `npm test`: everything the tests need (engine, local images, a fresh build), then the unit and e2e tests.
# `npm run test:long` (scripts/test.sh --long): the same set-up, then the long suite, which .ci/run runs after
# `npm test`: vitest project `long` (the demo and demo client stories, compat, the log flood; two files at a time), then
# `alone` (races repeated many times and the swarm; one at a time).
set -euo pipefail
cd "$(dirname "$0")/.."
projects=(--project unit --project e2e)
if [ "${1:-}" = "--long" ]; then
  shift
  projects=(--project long --project alone)
fi
bash scripts/engine.sh
bash scripts/images.sh
bash scripts/tools.sh   # tmux for the UI e2e test
npm run --silent build
exec npx vitest run "${projects[@]}" "$@"
