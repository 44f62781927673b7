#!/usr/bin/env bash
# Starts every real backend server the tests use on 127.0.0.1, runs the
# given command with their URLs in the environment, then stops them all.
#
# Each server has a script tests/servers/<name>.sh with two verbs:
#   <name>.sh start DIR   start it with its data under DIR, wait until it
#                         answers, print `export CASK_TEST_<NAME>_URL=...`
#                         lines on stdout; exit non-zero if it cannot start.
#   <name>.sh stop DIR    stop what start started (by PID).
# A server that cannot start is reported loudly; its suites then exit 77
# and ctest shows them as skipped (never passed).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(mktemp -d /tmp/cask-servers.XXXXXX)
chmod 755 "$root"
started=()

stop_all() {
  for name in "${started[@]}"; do
    bash "$here/$name.sh" stop "$root/$name" >/dev/null 2>&1 || true
  done
  rm -rf "$root"
}
trap stop_all EXIT INT TERM

for script in "$here"/*.sh; do
  name=$(basename "$script" .sh)
  [[ "$name" == with-servers ]] && continue
  mkdir -p "$root/$name" && chmod 755 "$root/$name"
  if env_lines=$(bash "$script" start "$root/$name" 2>"$root/$name.log"); then
    eval "$env_lines"
    started+=("$name")
    echo "server $name: started ($(echo "$env_lines" | sed 's/export //' | tr '\n' ' '))" >&2
  else
    echo "*** SERVER $name DID NOT START: its suites will be SKIPPED ***" >&2
    tail -5 "$root/$name.log" >&2
    bash "$script" stop "$root/$name" >/dev/null 2>&1 || true
  fi
done

"$@"
