#!/usr/bin/env bash
# `npm test`: everything the tests need (engine, local images, a fresh build), then unit + e2e tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/engine.sh
bash scripts/images.sh
bash scripts/tools.sh   # tmux for the UI e2e test
npm run --silent build
# The Podman subset is its own run (`npm run test:podman`, after this one in .ci/run): not unless asked for.
case " $* " in
*" --project"*) exec npx vitest run "$@" ;;
*) exec npx vitest run --project unit --project e2e "$@" ;;
esac
