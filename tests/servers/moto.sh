#!/usr/bin/env bash
# moto's S3 server (Python, in the image) for the s3 adapter's tests. It
# honours If-Match / If-None-Match on PUT and DELETE (the npm S3 emulators
# ignore them and must not be used). It runs single-threaded
# (moto_serial.py): moto's own threaded server checks a condition and
# writes without a lock, which loses swaps under a race. Verbs: start DIR |
# stop DIR.
set -euo pipefail
verb=${1:?start|stop}
dir=${2:?data dir}
port=${CASK_MOTO_PORT:-15000}
case "$verb" in
  start)
    python3 -c "import moto.server" 2>/dev/null || { echo "moto (python3 module) not found" >&2; exit 1; }
    mkdir -p "$dir"
    python3 "$(dirname "$0")/moto_serial.py" 127.0.0.1 "$port" >"$dir/moto.log" 2>&1 &
    echo $! >"$dir/pid"
    for _ in $(seq 1 100); do
      if curl -sf "http://127.0.0.1:$port/moto-api/" >/dev/null 2>&1; then
        # Answered, but by ours? (another run may hold the port)
        sleep 0.2
        kill -0 "$(cat "$dir/pid")" 2>/dev/null || { cat "$dir/moto.log" >&2; exit 1; }
        # The tests create their bucket themselves (create_bucket=1).
        echo "export CASK_TEST_S3_URL='s3://cask-test?endpoint=http://127.0.0.1:$port&region=us-east-1&access_key=test&secret_key=test&create_bucket=1'"
        exit 0
      fi
      kill -0 "$(cat "$dir/pid")" 2>/dev/null || { cat "$dir/moto.log" >&2; exit 1; }
      sleep 0.1
    done
    echo "moto_server did not answer on port $port" >&2
    exit 1
    ;;
  stop)
    [[ -f "$dir/pid" ]] && kill "$(cat "$dir/pid")" 2>/dev/null || true
    rm -f "$dir/pid"
    ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
