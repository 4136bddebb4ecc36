#!/usr/bin/env bash
# Host tools the tests drive besides the engine: tmux (the UI e2e test runs `berth ui` in a real terminal).
# Installed from Debian's packages when missing; idempotent and quiet when everything is there.
set -euo pipefail
need=()
command -v tmux >/dev/null 2>&1 || need+=(tmux)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "tools: missing ${need[*]}; install it (Debian/Ubuntu: apt-get install ${need[*]})" >&2
  exit 1
fi
echo "tools: installing ${need[*]}"
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 ||
  { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; }
