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
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
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
    for _ in $(seq 1 100); do
      # Our own process must be the one answering (the port may be taken).
      if ! kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
        echo "server exited (port $port in use?)" >&2
        exit 1
      fi
      if redis-cli -p "$port" ping 2>/dev/null | grep -q PONG &&
        kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
        echo "export CASK_TEST_REDIS_URL=redis://127.0.0.1:$port/0"
        exit 0
      fi
      sleep 0.1
    done
    echo "redis-server did not answer on port $port" >&2
    exit 1
    ;;
  stop)
    if [[ -f "$dir/pid" ]]; then
      pid=$(cat "$dir/pid")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      rm -f "$dir/pid"
    fi
    ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
