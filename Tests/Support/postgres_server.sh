#!/bin/sh
# A throw-away PostgreSQL server for the tests: a new cluster in DIR, listening on
# 127.0.0.1:PORT only, trust authentication, fsync off (unless MODE is `durable`, as for
# benchmarks). It prints READY once it accepts connections and stops by itself when process
# PARENT (the test run) is gone.
# Usage: postgres_server.sh PARENT PORT DIR [durable]
set -eu
parent=$1 port=$2 dir=$3 mode=${4:-fast}

bindir=""
for candidate in /usr/lib/postgresql/*/bin; do
  [ -x "$candidate/initdb" ] && bindir=$candidate
done
[ -n "$bindir" ] || bindir=$(dirname "$(command -v initdb)")

# initdb and postgres refuse to run as root: hand the work to the postgres user.
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || { echo "FAILED: running as root needs the postgres user (Debian's postgresql package)"; exit 1; }
  mkdir -p "$dir"
  chown postgres "$dir"
  if command -v runuser >/dev/null; then
    exec runuser -u postgres -- sh "$0" "$@"
  fi
  exec su postgres -s /bin/sh -c "sh '$0' '$parent' '$port' '$dir' '$mode'"
fi

"$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 \
  || "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1
fast=""
[ "$mode" = durable ] || fast="-c fsync=off -c full_page_writes=off"
# shellcheck disable=SC2086
"$bindir/postgres" -D "$dir/data" -p "$port" -k "$dir" -c listen_addresses=127.0.0.1 \
  $fast -c max_connections=200 >"$dir/server.log" 2>&1 &
server=$!

tries=0
until "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port"; do
  tries=$((tries + 1))
  if [ "$tries" -gt 300 ] || ! kill -0 "$server" 2>/dev/null; then
    echo "FAILED"; cat "$dir/server.log"; exit 1
  fi
  sleep 0.1
done
echo READY

while [ -d "/proc/$parent" ]; do sleep 1; done
kill -INT "$server"
wait "$server" 2>/dev/null || true
rm -rf "$dir"
