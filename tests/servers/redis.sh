#!/usr/bin/env bash
# Starts / stops a private redis-server on 127.0.0.1 for the tests.
#   redis.sh start DIR   prints `export CASK_TEST_REDIS_URL=redis://127.0.0.1:PORT/0`
#   redis.sh stop DIR    stops it by the PID recorded in DIR
# Env: CASK_REDIS_PORT (default 16379; when taken, the next free port is
# used and printed in the URL). Installs redis-server if missing.
set -euo pipefail
verb=${1:?start|stop}
dir=${2:?DIR}
port=${CASK_REDIS_PORT:-16379}
# shellcheck source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
redis_pongs() { redis-cli -p "$port" ping 2>/dev/null | grep -q PONG; }
case "$verb" in
  start)
    if ! command -v redis-server >/dev/null; then
      apt-get install -y redis-server >&2
    fi
    mkdir -p "$dir"
    for _ in $(seq 1 100); do listening "$port" || break; port=$((port + 1)); done
    redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --save '' \
      --appendonly no --daemonize no --logfile "$dir/redis.log" >&2 &
    echo $! >"$dir/pid"
    wait_ready "$dir" "$port" \
      "export CASK_TEST_REDIS_URL=redis://127.0.0.1:$port/0" redis_pongs && exit 0
    echo "redis-server did not answer on port $port" >&2
    exit 1
    ;;
  stop)
    stop_by_pid "$dir"
    ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
