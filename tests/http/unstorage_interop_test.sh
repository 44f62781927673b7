#!/usr/bin/env bash
# unstorage's npm http driver against cask serve (memory behind it).
#   unstorage_interop_test.sh <serve_for_tests binary>
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
serve=$1
modules=$(bash "$here/npm_setup.sh") || exit $?
npmdir=$(dirname "$modules")
cp "$here/unstorage_interop.mjs" "$npmdir/"
out=$(mktemp)
"$serve" mem: >"$out" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 100); do
  port=$(awk '/^PORT/{print $2}' "$out")
  [[ -n "$port" ]] && break
  sleep 0.05
done
[[ -n "${port:-}" ]] || { echo "cask serve did not start" >&2; cat "$out" >&2; exit 1; }
node "$npmdir/unstorage_interop.mjs" "http://127.0.0.1:$port"
