#!/usr/bin/env bash
# Starts / stops a private PostgreSQL server on 127.0.0.1 for the tests.
#   postgres.sh start DIR   initdb under DIR, start, create database
#                           cask_test; prints
#                           `export CASK_TEST_POSTGRES_URL=postgres://...`
#                           and CASK_TEST_POSTGRES_CTL / _DIR for the outage
#                           test
#   postgres.sh stop DIR    stops it (pg_ctl -m fast, by its pid file)
#   postgres.sh pause DIR   stops the server, keeping its data (outage test)
#   postgres.sh resume DIR  starts it again on the same port
#   postgres.sh kill-clients DIR  terminates every client connection to
#                           cask_test (outage test)
# Env: CASK_POSTGRES_PORT (default 15432), read by start. Installs
# postgresql if missing.
set -euo pipefail
verb=${1:?start|stop|pause|resume}
dir=$(cd "${2:?DIR}" 2>/dev/null && pwd || echo "$2")
port=${CASK_POSTGRES_PORT:-15432}
# The other verbs use the port `start` chose.
[[ "$verb" != start && -f "$dir/port" ]] && port=$(cat "$dir/port")
here=$(cd "$(dirname "$0")" && pwd)

pgbin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
}
# The server refuses to run as root: run its tools as user postgres then.
as_pg() {
  if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}
# pg_stat_statements (postgresql-contrib) lets bench/remote/sql_bench count
# round trips; the server runs without it where it is missing.
preload=""
if [[ -n "$(pgbin)" && -f "$(pgbin)/../lib/pg_stat_statements.so" ]]; then
  preload="-c shared_preload_libraries=pg_stat_statements"
fi
pg_start() {
  as_pg "$(pgbin)/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir/pg -c fsync=off $preload" \
    start >&2
}
pg_stop() {
  if [[ -f "$dir/pg/data/postmaster.pid" ]]; then
    as_pg "$(pgbin)/pg_ctl" -D "$dir/pg/data" -m fast -w stop >&2 || true
  fi
}

case "$verb" in
  start)
    if [[ -z "$(pgbin)" ]]; then
      apt-get install -y postgresql >&2
    fi
    mkdir -p "$dir"
    chmod 755 "$dir"
    if [[ $(id -u) == 0 ]]; then install -d -o postgres "$dir/pg"; else mkdir -p "$dir/pg"; fi
    as_pg "$(pgbin)/initdb" -D "$dir/pg/data" -U postgres -A trust -E UTF8 \
      --no-locale --no-sync >&2
    echo "$port" >"$dir/port"
    pg_start
    as_pg "$(pgbin)/psql" -h 127.0.0.1 -p "$port" -U postgres -q \
      -c "CREATE DATABASE cask_test" >&2
    if [[ -n "$preload" ]]; then
      as_pg "$(pgbin)/psql" -h 127.0.0.1 -p "$port" -U postgres -q -d cask_test \
        -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >&2
    fi
    echo "export CASK_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:$port/cask_test"
    echo "export CASK_TEST_POSTGRES_CTL='bash $here/postgres.sh'"
    echo "export CASK_TEST_POSTGRES_DIR='$dir'"
    ;;
  stop | pause)
    pg_stop
    ;;
  resume)
    pg_start
    ;;
  kill-clients)
    as_pg "$(pgbin)/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qAt \
      -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
          WHERE datname = 'cask_test' AND pid <> pg_backend_pid()" >&2
    ;;
  *) echo "usage: $0 start|stop|pause|resume|kill-clients DIR" >&2; exit 2 ;;
esac
