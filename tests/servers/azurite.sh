#!/usr/bin/env bash
# Azurite 3.35 (Azure Blob and Table emulator) for the azure adapters' tests.
# Installed once with npm into a cache dir, then started on 127.0.0.1 with
# telemetry off. Verbs: start DIR | stop DIR.
set -euo pipefail
verb=${1:?start|stop}
dir=${2:?data dir}
npm_dir=${CASK_AZURITE_NPM_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cask/npm}
base=${CASK_AZURITE_PORT:-20000}
blob_port=$base
queue_port=$((base + 1))
table_port=$((base + 2))
bin=$npm_dir/node_modules/.bin/azurite
case "$verb" in
  start)
    if [[ ! -x "$bin" ]]; then
      command -v npm >/dev/null || { echo "npm not found" >&2; exit 1; }
      mkdir -p "$npm_dir"
      npm install --prefix "$npm_dir" --no-audit --no-fund azurite@3.35.0 >&2
    fi
    mkdir -p "$dir/data"
    "$bin" --silent --disableTelemetry --location "$dir/data" \
      --blobHost 127.0.0.1 --blobPort "$blob_port" \
      --queueHost 127.0.0.1 --queuePort "$queue_port" \
      --tableHost 127.0.0.1 --tablePort "$table_port" \
      --skipApiVersionCheck --loose >"$dir/azurite.log" 2>&1 &
    echo $! >"$dir/pid"
    for _ in $(seq 1 150); do
      if curl -s -o /dev/null "http://127.0.0.1:$blob_port/" &&
         curl -s -o /dev/null "http://127.0.0.1:$table_port/"; then
        # Answered, but by ours? (another run may hold the ports)
        sleep 0.2
        kill -0 "$(cat "$dir/pid")" 2>/dev/null || { cat "$dir/azurite.log" >&2; exit 1; }
        # The well-known development account; its key is public.
        echo "export CASK_TEST_AZURE_BLOB_URL='azblob://devstoreaccount1/cask-test?endpoint=http://127.0.0.1:$blob_port/devstoreaccount1&create_container=1'"
        echo "export CASK_TEST_AZURE_TABLE_URL='aztable://devstoreaccount1/casktest?endpoint=http://127.0.0.1:$table_port/devstoreaccount1&create_table=1'"
        exit 0
      fi
      kill -0 "$(cat "$dir/pid")" 2>/dev/null || { cat "$dir/azurite.log" >&2; exit 1; }
      sleep 0.2
    done
    echo "azurite did not answer on ports $blob_port/$table_port" >&2
    exit 1
    ;;
  stop)
    [[ -f "$dir/pid" ]] && kill "$(cat "$dir/pid")" 2>/dev/null || true
    rm -f "$dir/pid"
    ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
