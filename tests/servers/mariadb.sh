#!/usr/bin/env bash
# Starts / stops a private MariaDB server on 127.0.0.1 for the tests.
#   mariadb.sh start DIR   install a data dir under DIR, start, create
#                          database cask_test; prints
#                          `export CASK_TEST_MYSQL_URL=mysql://...` and
#                          CASK_TEST_MYSQL_CTL / _DIR for the outage test
#   mariadb.sh stop DIR    stops it by the PID recorded in DIR
#   mariadb.sh pause DIR   stops the server, keeping its data (outage test)
#   mariadb.sh resume DIR  starts it again on the same port
#   mariadb.sh kill-clients DIR  kills every client connection to cask_test
# Env: CASK_MYSQL_PORT (default 13306), read by start. Installs
# mariadb-server if missing.
set -euo pipefail
verb=${1:?start|stop|pause|resume|kill-clients}
dir=${2:?DIR}
port=${CASK_MYSQL_PORT:-13306}
# The other verbs use the port `start` chose.
[[ "$verb" != start && -f "$dir/port" ]] && port=$(cat "$dir/port")
here=$(cd "$(dirname "$0")" && pwd)
client=(mariadb --no-defaults -h 127.0.0.1 -P "$port" -u root)

my_start() {
  local user=()
  [[ $(id -u) == 0 ]] && user=(--user=mysql)
  mariadbd --no-defaults --datadir="$dir/my/data" "${user[@]}" \
    --bind-address=127.0.0.1 --port="$port" --socket="$dir/my/sock" \
    --skip-log-bin --max-allowed-packet=64M \
    --innodb-flush-log-at-trx-commit=2 --log-error="$dir/my/err.log" \
    --pid-file="$dir/my/mariadbd.pid" >>"$dir/my/out.log" 2>&1 &
  echo $! >"$dir/pid"
  for _ in $(seq 1 300); do
    # Through our own socket: another server may hold the port.
    if mariadb-admin --no-defaults --socket="$dir/my/sock" -u root ping \
        >/dev/null 2>&1; then
      return 0
    fi
    kill -0 "$(cat "$dir/pid")" 2>/dev/null || break
    sleep 0.1
  done
  echo "mariadbd did not answer on port $port" >&2
  tail -20 "$dir/my/err.log" >&2 || true
  return 1
}
my_stop() {
  if [[ -f "$dir/pid" ]]; then
    local pid
    pid=$(cat "$dir/pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$dir/pid"
  fi
}

case "$verb" in
  start)
    if ! command -v mariadbd >/dev/null; then
      apt-get install -y mariadb-server >&2
    fi
    mkdir -p "$dir"
    if [[ $(id -u) == 0 ]]; then install -d -o mysql "$dir/my"; else mkdir -p "$dir/my"; fi
    user=()
    [[ $(id -u) == 0 ]] && user=(--user=mysql)
    mariadb-install-db --no-defaults --datadir="$dir/my/data" "${user[@]}" \
      --auth-root-authentication-method=normal --skip-test-db >&2
    echo "$port" >"$dir/port"
    my_start
    "${client[@]}" -e "CREATE DATABASE cask_test" >&2
    echo "export CASK_TEST_MYSQL_URL=mysql://root@127.0.0.1:$port/cask_test"
    echo "export CASK_TEST_MYSQL_CTL='bash $here/mariadb.sh'"
    echo "export CASK_TEST_MYSQL_DIR='$dir'"
    ;;
  stop | pause)
    my_stop
    ;;
  resume)
    my_start
    ;;
  kill-clients)
    for id in $("${client[@]}" -N -e "SELECT id FROM information_schema.processlist
                 WHERE db = 'cask_test' AND id <> CONNECTION_ID()"); do
      "${client[@]}" -e "KILL $id" >&2 || true
    done
    ;;
  *) echo "usage: $0 start|stop|pause|resume|kill-clients DIR" >&2; exit 2 ;;
esac
