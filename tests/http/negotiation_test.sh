#!/usr/bin/env bash
# Starts unstorage's own node server (createStorageServer + memory driver)
# and runs the negotiation test binary against it.
#   negotiation_test.sh <negotiation_test binary>
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$1
modules=$(bash "$here/npm_setup.sh") || exit $?
npmdir=$(dirname "$modules")
cp "$here/unstorage_server.mjs" "$npmdir/"
out=$(mktemp)
node "$npmdir/unstorage_server.mjs" >"$out" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 100); do
  port=$(awk '/^PORT/{print $2}' "$out")
  [[ -n "$port" ]] && break
  sleep 0.1
done
if [[ -z "${port:-}" ]]; then
  echo "*** SKIPPED: unstorage's node server did not start ***" >&2
  cat "$out" >&2
  exit 77
fi
CASK_TEST_UNSTORAGE_URL=http://127.0.0.1:$port "$bin"
