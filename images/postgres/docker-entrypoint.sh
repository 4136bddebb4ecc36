#!/bin/sh
# First start on an empty $PGDATA: create the cluster, let other containers in, create the app role and
# database; then run the server in the foreground. Later starts go straight to the server.
set -eu
: "${POSTGRES_USER:=postgres}" "${POSTGRES_DB:=$POSTGRES_USER}" "${POSTGRES_HOST_AUTH_METHOD:=scram-sha-256}"

if [ "${1:-postgres}" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
    echo "db: set POSTGRES_PASSWORD (or POSTGRES_HOST_AUTH_METHOD=trust) to initialise $PGDATA" >&2
    exit 1
  fi
  pwfile=$(mktemp)
  printf '%s\n' "${POSTGRES_PASSWORD:-}" >"$pwfile"
  # --no-sync: initdb's fsync of every file costs seconds; a crash during initdb just means a new empty volume.
  initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host="$POSTGRES_HOST_AUTH_METHOD" --no-sync >/dev/null
  rm -f "$pwfile"
  echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"
  echo "host all all all $POSTGRES_HOST_AUTH_METHOD" >>"$PGDATA/pg_hba.conf"
  if [ "$POSTGRES_DB" != postgres ]; then
    # Socket-only server: nobody can connect over TCP (and the healthcheck stays red) until the DB exists.
    # fsync=off only for this short-lived server (like initdb --no-sync): its stop is 0.1 s instead of 0.6 s.
    pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -c fsync=off" -w start >/dev/null
    psql -v ON_ERROR_STOP=1 -q -U "$POSTGRES_USER" -d postgres -v db="$POSTGRES_DB" <<'SQL'
CREATE DATABASE :"db";
SQL
    pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  fi
  echo "db: initialised $PGDATA (user $POSTGRES_USER, database $POSTGRES_DB)"
fi

if [ "${1:-}" = postgres ]; then shift; exec postgres -D "$PGDATA" "$@"; fi
exec "$@"
