#!/usr/bin/env bash
# Write a Debian bookworm rootfs with every package of ./packages to stdout as a tar (for `docker import`).
# Only this host talks to the Debian mirror; the images built on top need no network.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
pkgs=$(grep -v '^\s*#' "$here/packages" | grep -v '^\s*$' | paste -sd, -)

# Use the host's own mirrors (mmdebstrap copies the file into the rootfs); otherwise it adds
# security.debian.org by itself, which a mirror-only network cannot reach.
mirror=()
for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list; do
  if [ -s "$f" ]; then mirror=("$f"); break; fi
done

exec mmdebstrap --variant=minbase --quiet \
  --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias' \
  --dpkgopt='force-unsafe-io' \
  --aptopt='Acquire::Languages "none"' --aptopt='APT::Install-Recommends "false"' \
  --include="$pkgs" \
  --customize-hook='chroot "$1" pg_dropcluster 15 main' \
  bookworm - "${mirror[@]}"
