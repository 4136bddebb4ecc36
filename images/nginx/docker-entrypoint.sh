#!/bin/sh
# Render /etc/nginx/templates/*.template into /etc/nginx/conf.d/ with the environment's ${VAR}s, then run nginx.
set -eu
for t in /etc/nginx/templates/*.template; do
  [ -f "$t" ] || continue
  out=/etc/nginx/conf.d/$(basename "$t" .template)
  # Only variables set in the environment are substituted, so nginx's $host, $uri... survive.
  envsubst "$(env | sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)=.*/${\1}/p' | tr '\n' ' ')" <"$t" >"$out"
  echo "nginx: rendered $t -> $out"
done
exec "$@"
