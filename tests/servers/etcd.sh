#!/usr/bin/env bash
# Starts / stops a private single-node etcd on 127.0.0.1 for the tests.
#   etcd.sh start DIR   prints `export CASK_TEST_ETCD_URL=etcd://127.0.0.1:PORT`
#   etcd.sh stop DIR    stops it by the PID recorded in DIR
# Env: CASK_ETCD_PORT (default 12379; peer port +1, metrics +2; when one
# is taken, the next free triple is used and printed in the URL).
# Installs etcd-server if missing.
set -euo pipefail
verb=${1:?start|stop}
dir=${2:?DIR}
port=${CASK_ETCD_PORT:-12379}
# shellcheck source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
etcd_healthy() { curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1; }
case "$verb" in
  start)
    if ! command -v etcd >/dev/null; then
      apt-get install -y etcd-server >&2
    fi
    mkdir -p "$dir"
    for _ in $(seq 1 100); do
      listening "$port" || listening $((port + 1)) || listening $((port + 2)) || break
      port=$((port + 3))
    done
    peer=$((port + 1))
    metrics=$((port + 2))
    etcd --name ci --data-dir "$dir/etcd" \
      --listen-client-urls "http://127.0.0.1:$port" \
      --advertise-client-urls "http://127.0.0.1:$port" \
      --listen-peer-urls "http://127.0.0.1:$peer" \
      --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
      --initial-cluster "ci=http://127.0.0.1:$peer" \
      --listen-metrics-urls "http://127.0.0.1:$metrics" \
      >"$dir/etcd.log" 2>&1 &
    echo $! >"$dir/pid"
    wait_ready "$dir" "$port" \
      "export CASK_TEST_ETCD_URL=etcd://127.0.0.1:$port" etcd_healthy && exit 0
    echo "etcd did not answer on port $port" >&2
    tail -5 "$dir/etcd.log" >&2 || true
    exit 1
    ;;
  stop)
    stop_by_pid "$dir"
    ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
