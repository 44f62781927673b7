#!/usr/bin/env bash
# Runs docs/examples/notes.cc through an offline-first story against a real
# cask serve (engine store): edit offline, sync when the server is back,
# a second device receives, both edit the same note, one sees the conflict,
# settles it, and both end with the same notes.
#   notes_example_test.sh SERVE_FOR_TESTS NOTES
set -euo pipefail
serve=$1 notes=$2
d=$(mktemp -d /tmp/cask-notes.XXXXXX)
pid=
cleanup() { [[ -n "$pid" ]] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$d"; }
trap cleanup EXIT

start_server() {  # start_server PORT (0: any); sets pid and port
  coproc SRV { exec "$serve" "cask://$d/server" --port "$1"; }
  pid=$SRV_PID
  read -r word port <&"${SRV[0]}"
  [[ "$word" == PORT ]]
}
start_server 0
remote="http://127.0.0.1:$port?connect_timeout_ms=2000"
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=

expect() {  # expect CODE command...
  local want=$1; shift
  set +e; "$@"; local got=$?; set -e
  if [[ $got != "$want" ]]; then echo "FAIL: '$*' exited $got, want $want" >&2; exit 1; fi
}

# Offline: edits work, sync says "unreachable" (5) and loses nothing.
expect 0 "$notes" "$d/laptop" "$remote" add 1 "buy milk"
expect 0 "$notes" "$d/laptop" "$remote" add 2 "call bob"
expect 5 "$notes" "$d/laptop" "$remote" sync
[[ "$("$notes" "$d/laptop" "$remote" list)" == $'1: buy milk\n2: call bob' ]]

start_server "$port"
expect 0 "$notes" "$d/laptop" "$remote" sync
expect 0 "$notes" "$d/phone" "$remote" sync
[[ "$("$notes" "$d/phone" "$remote" list)" == $'1: buy milk\n2: call bob' ]]

# Both devices edit note 1; the phone syncs second and gets the conflict.
expect 0 "$notes" "$d/laptop" "$remote" edit 1 "buy oat milk"
expect 0 "$notes" "$d/phone" "$remote" edit 1 "buy milk and eggs"
expect 0 "$notes" "$d/laptop" "$remote" sync
expect 3 "$notes" "$d/phone" "$remote" sync
[[ "$("$notes" "$d/phone" "$remote" conflicts)" == "1: buy milk and eggs | buy oat milk" ]]
expect 0 "$notes" "$d/phone" "$remote" keep 1 both
expect 0 "$notes" "$d/phone" "$remote" sync
expect 0 "$notes" "$d/laptop" "$remote" sync
want=$'1: buy milk and eggs / buy oat milk\n2: call bob'
[[ "$("$notes" "$d/phone" "$remote" list)" == "$want" ]]
[[ "$("$notes" "$d/laptop" "$remote" list)" == "$want" ]]
echo "notes example: offline edit, sync, conflict and merge all worked"
