#!/usr/bin/env bash
# curl against cask serve: every header case of docs/protocol.md, with exact
# status codes. Starts serve_for_tests itself (memory store, the null store
# for "no CAS", the engine when built, a token, small limits).
#   curl_headers_test.sh <serve_for_tests binary> [engine: 1|0]
set -uo pipefail
serve=$1
engine=${2:-0}
work=$(mktemp -d /tmp/cask-http-curl.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
fails=0
n=0

# start NAME URI [flags...]: starts a server, sets $url_NAME and $pid_NAME.
start() {
  local name=$1; shift
  "$serve" "$@" >"$work/$name.out" 2>"$work/$name.err" &
  local pid=$!
  pids+=("$pid")
  local port=""
  for _ in $(seq 200); do
    port=$(awk '/^PORT/{print $2}' "$work/$name.out")
    [[ -n "$port" ]] && break
    sleep 0.05
  done
  [[ -n "$port" ]] || { echo "server $name did not start"; cat "$work/$name.err"; exit 1; }
  printf -v "url_$name" 'http://127.0.0.1:%s' "$port"
  printf -v "pid_$name" '%s' "$pid"
}

# expect STATUS DESCRIPTION curl-args...: runs curl, checks the status;
# leaves headers in $work/h and the body in $work/b.
expect() {
  local want=$1 what=$2; shift 2
  n=$((n + 1))
  local got
  got=$(curl -s -o "$work/b" -D "$work/h" -w '%{http_code}' "$@")
  if [[ "$got" == "$want" ]]; then
    echo "ok $n - $what ($got)"
  else
    echo "FAIL $n - $what: expected $want, got $got; body: $(head -c 300 "$work/b")"
    fails=$((fails + 1))
  fi
}
# header NAME: the value of response header NAME from the last expect.
header() { grep -i "^$1:" "$work/h" | head -1 | cut -d' ' -f2- | tr -d '\r'; }
body() { cat "$work/b"; }
assert() {  # assert DESCRIPTION test-args...
  local what=$1; shift
  n=$((n + 1))
  if "$@"; then echo "ok $n - $what"; else echo "FAIL $n - $what"; fails=$((fails + 1)); fi
}

start mem mem:
U=$url_mem

# --- unstorage's plain protocol ---
expect 200 "PUT text" -X PUT --data 'hello' "$U/a/b"
assert "PUT answers OK" test "$(body)" = OK
etag1=$(header ETag)
assert "PUT returns a quoted ETag" bash -c "[[ '$etag1' =~ ^\\\".+\\\"$ ]]"
assert "X-Cask-CAS: 1 advertised" test "$(header X-Cask-CAS)" = 1
expect 200 "GET item" "$U/a:b"
assert "GET body" test "$(body)" = hello
assert "GET ETag = PUT ETag" test "$(header ETag)" = "$etag1"
assert "GET text content type" bash -c "grep -qi '^content-type: text/plain' $work/h"
expect 200 "HEAD meta" -I "$U/a/b"
assert "HEAD ETag" test "$(header ETag)" = "$etag1"
assert "HEAD Last-Modified" test -n "$(header Last-Modified)"
expect 404 "GET missing" "$U/missing"
assert "404 JSON body {status, message}" bash -c "grep -q '\"statusCode\":404' $work/b && grep -q '\"message\"' $work/b"
expect 404 "HEAD missing" -I "$U/missing"
printf 'A\0B\377' >"$work/bin"
expect 200 "PUT raw octet-stream" -X PUT -H 'Content-Type: application/octet-stream' --data-binary "@$work/bin" "$U/raw"
expect 200 "GET raw with Accept octet-stream" -H 'Accept: application/octet-stream' "$U/raw"
assert "raw bytes round-trip" cmp -s "$work/b" "$work/bin"
assert "raw content type" bash -c "grep -qi '^content-type: application/octet-stream' $work/h"
expect 200 "PUT with X-TTL" -X PUT -H 'X-TTL: 60' --data v "$U/t/ttl"
expect 200 "HEAD of ttl key" -I "$U/t/ttl"
assert "X-TTL header" bash -c "v=\$(grep -i '^x-ttl:' $work/h | tr -dc 0-9); [[ \$v -ge 59 && \$v -le 60 ]]"
assert "Cache-Control max-age" bash -c "grep -qi '^cache-control: max-age=' $work/h"
expect 400 "malformed X-TTL" -X PUT -H 'X-TTL: soon' --data v "$U/t/x"
expect 400 "negative X-TTL" -X PUT -H 'X-TTL: -1' --data v "$U/t/x"
expect 200 "list keys (trailing :)" "$U/:"
assert "list JSON with / separators" test "$(body)" = '["a/b","raw","t/ttl"]'
expect 200 "list base (trailing /)" "$U/t/"
assert "list base" test "$(body)" = '["t/ttl"]'
expect 200 "percent-decoded once" -X PUT --data pct "$U/p/a%2520b"
expect 200 "list shows the once-decoded key" "$U/p/"
assert "key is a%20b" test "$(body)" = '["p/a%20b"]'
expect 200 "PUT meta key" -X PUT --data '{"x":1}' "$U/a/b\$"
expect 200 "key\$ entries hidden from listings" "$U/a/"
assert "listing without a/b\$" test "$(body)" = '["a/b"]'
expect 200 "GET key\$ directly" "$U/a/b\$"
expect 200 "query string ignored" "$U/a/b?x=1"
expect 405 "PATCH is 405" -X PATCH "$U/a/b"
expect 405 "OPTIONS is 405" -X OPTIONS "$U/a/b"
expect 405 "POST to a key is 405" -X POST --data x "$U/a/b"

# --- invalid keys ---
expect 400 ".. segment" --path-as-is "$U/a/../b"
expect 400 "percent-encoded .." "$U/a/%2e%2e/b"
expect 400 "percent-encoded . segment" "$U/a/%2E"
expect 400 "NUL byte" "$U/a%00b"
expect 400 "PUT empty key" -X PUT --data x "$U/"
expect 400 "bad percent escape" "$U/a%zz"
expect 400 "key over 1024 bytes" "$U/$(head -c 1100 /dev/zero | tr '\0' k)"
expect 200 "key of exactly 1024 bytes" -X PUT --data x "$U/$(head -c 1024 /dev/zero | tr '\0' k)"

# --- preconditions ---
expect 412 "If-None-Match * on existing" -X PUT -H 'If-None-Match: *' --data x "$U/a/b"
assert "412 carries the current etag" bash -c "grep -q 'current_etag' $work/b && grep -qi '^x-cask-current-etag: $etag1' $work/h"
expect 200 "If-None-Match * creates" -X PUT -H 'If-None-Match: *' --data c "$U/new"
expect 412 "If-Match stale" -X PUT -H 'If-Match: "stale"' --data x "$U/a/b"
expect 200 "If-Match current" -X PUT -H "If-Match: $etag1" --data hello2 "$U/a/b"
etag2=$(header ETag)
assert "etag moved" test "$etag2" != "$etag1"
expect 200 "If-Match list containing current" -X PUT -H "If-Match: \"x\", $etag2" --data hello3 "$U/a/b"
etag3=$(header ETag)
expect 200 "If-Match list across two header lines" -X PUT -H 'If-Match: "x"' -H "If-Match: $etag3" --data hello4 "$U/a/b"
etag4=$(header ETag)
expect 412 "If-Match weak tag never matches" -X PUT -H "If-Match: W/$etag4" --data x "$U/a/b"
expect 412 "If-None-Match weak tag matches (weak comparison)" -X PUT -H "If-None-Match: W/$etag4" --data x "$U/a/b"
expect 200 "If-None-Match other tag holds" -X PUT -H 'If-None-Match: "other"' --data hello5 "$U/a/b"
etag5=$(header ETag)
expect 200 "If-Match * on existing" -X PUT -H 'If-Match: *' --data hello6 "$U/a/b"
expect 412 "If-Match * on missing" -X PUT -H 'If-Match: *' --data x "$U/missing"
expect 412 "If-Match on missing" -X PUT -H 'If-Match: "abc"' --data x "$U/missing"
expect 200 "both headers holding" -X PUT -H 'If-Match: *' -H 'If-None-Match: "other"' --data hello7 "$U/a/b"
expect 400 "unquoted etag" -X PUT -H 'If-Match: abc' --data x "$U/a/b"
expect 400 "If-Match of only commas" -X PUT -H 'If-Match: , ,' --data x "$U/a/b"
expect 400 "If-Match empty entity tag" -X PUT -H 'If-Match: ""' --data x "$U/a/b"
expect 400 "* mixed with tags" -X PUT -H 'If-Match: *, "a"' --data x "$U/a/b"
expect 400 "unterminated tag" -X PUT -H 'If-Match: "abc' --data x "$U/a/b"
expect 400 "garbage after tag" -X PUT -H 'If-Match: "a" "b"' --data x "$U/a/b"
expect 400 "If-None-Match * mixed with a tag" -X PUT -H 'If-None-Match: "a", *' --data x "$U/a/b"
expect 412 "If-Match * with If-None-Match * never holds" -X PUT -H 'If-Match: *' -H 'If-None-Match: *' --data x "$U/a/b"
expect 200 "value untouched by refused writes" "$U/a/b"
assert "value is hello7" test "$(body)" = hello7
cur=$(header ETag)
expect 412 "conditional DELETE stale" -X DELETE -H 'If-Match: "stale"' "$U/a/b"
expect 400 "conditional DELETE malformed" -X DELETE -H 'If-Match: stale' "$U/a/b"
expect 412 "DELETE If-None-Match current" -X DELETE -H "If-None-Match: $cur" "$U/a/b"
expect 200 "conditional DELETE current" -X DELETE -H "If-Match: $cur" "$U/a/b"
expect 404 "deleted" "$U/a/b"
expect 412 "conditional DELETE of missing" -X DELETE -H 'If-Match: *' "$U/a/b"
expect 200 "plain DELETE of missing is OK" -X DELETE "$U/a/b"
expect 400 "conditional clear is refused" -X DELETE -H 'If-Match: *' "$U/t/"

# --- conditional GET / HEAD (RFC 9110 §13.1.1-2) ---
expect 200 "PUT for conditional GET" -X PUT --data 'cg' "$U/cg"
cg=$(header ETag)
expect 304 "GET If-None-Match current etag: 304" -H "If-None-Match: $cg" "$U/cg"
assert "304 carries the ETag" test "$(header ETag)" = "$cg"
assert "304 has no body" test "$(curl -s -o /dev/null -w '%{size_download}' -H "If-None-Match: $cg" "$U/cg")" = 0
expect 304 "GET If-None-Match weak form of the etag: 304" -H "If-None-Match: \"x\", W/$cg" "$U/cg"
expect 304 "GET If-None-Match *: 304" -H 'If-None-Match: *' "$U/cg"
expect 304 "HEAD If-None-Match current etag: 304" -I -H "If-None-Match: $cg" "$U/cg"
expect 200 "GET If-None-Match other etag: 200" -H 'If-None-Match: "other"' "$U/cg"
assert "200 body after a non-matching If-None-Match" test "$(body)" = cg
expect 412 "GET If-Match other etag: 412" -H 'If-Match: "other"' "$U/cg"
expect 412 "HEAD If-Match other etag: 412" -I -H 'If-Match: "other"' "$U/cg"
expect 200 "GET If-Match current etag: 200" -H "If-Match: $cg" "$U/cg"
expect 404 "GET If-None-Match on a missing key: 404" -H 'If-None-Match: *' "$U/cg-missing"
expect 400 "GET with a malformed If-None-Match: 400" -H 'If-None-Match: nope' "$U/cg"

# --- absolute-form request target (RFC 9112 §3.2.2) ---
expect 200 "GET absolute-form target" --request-target "http://example.com/cg" "$U"
assert "absolute-form names key cg" test "$(body)" = cg

# --- commit ---
ea=$(curl -s -D - -o /dev/null -X PUT --data a1 "$U/refs/a" | grep -i '^etag:' | cut -d' ' -f2 | tr -d '\r"')
expect 200 "commit" -X POST -H 'Content-Type: application/json' \
  --data "{\"ops\":[{\"op\":\"put\",\"key\":\"refs:a\",\"value\":\"a2\",\"if_match\":[\"$ea\"]},{\"op\":\"put\",\"key\":\"obj:1\",\"value_base64\":\"AAE=\",\"if_none_match\":\"*\"},{\"op\":\"delete\",\"key\":\"new\"}]}" \
  "$U/_cask/commit"
assert "commit answers three etags" bash -c "jq -e '.etags | length == 3 and (.[0] | length > 0) and .[2] == \"\"' $work/b >/dev/null"
expect 412 "commit lists every failing key" -X POST \
  --data '{"ops":[{"op":"put","key":"refs:a","value":"x","if_match":["stale"]},{"op":"put","key":"obj:1","value":"y","if_none_match":["*"]},{"op":"put","key":"fresh","value":"z"}]}' \
  "$U/_cask/commit"
assert "conflicts name refs:a and obj:1" bash -c "jq -e '[.conflicts[].key] | sort == [\"obj:1\",\"refs:a\"]' $work/b >/dev/null"
expect 404 "failed commit wrote nothing" "$U/fresh"
expect 400 "commit: duplicate key" -X POST --data '{"ops":[{"op":"put","key":"a","value":"1"},{"op":"put","key":"a/","value":"2"}]}' "$U/_cask/commit"
expect 400 "commit: not JSON" -X POST --data 'nope' "$U/_cask/commit"
expect 400 "commit: unknown op" -X POST --data '{"ops":[{"op":"move","key":"a"}]}' "$U/_cask/commit"
expect 501 "changes on a store without a log" -X POST "$U/_cask/changes?after=0"
expect 405 "POST elsewhere under _cask" -X POST "$U/_cask/other"

# --- clear ---
expect 200 "DELETE base clears the subtree" -X DELETE "$U/refs:"
expect 404 "cleared" "$U/refs/a"
expect 200 "other subtree kept" "$U/obj/1"
expect 200 "DELETE / clears everything" -X DELETE "$U/"
expect 200 "empty listing" "$U/"
assert "no keys" test "$(body)" = '[]'

# --- a store without CAS ---
start null null:
expect 200 "null store: HEAD probe" -I "$url_null/"
assert "X-Cask-CAS: 0" test "$(header X-Cask-CAS)" = 0
expect 200 "null store: plain PUT" -X PUT --data x "$url_null/k"
expect 501 "null store: If-None-Match is 501" -X PUT -H 'If-None-Match: *' --data x "$url_null/k"
expect 501 "null store: conditional DELETE is 501" -X DELETE -H 'If-Match: "a"' "$url_null/k"
expect 400 "null store: malformed header still 400" -X PUT -H 'If-Match: a' --data x "$url_null/k"
expect 501 "null store: commit is 501" -X POST --data '{"ops":[{"op":"put","key":"a","value":"1"}]}' "$url_null/_cask/commit"

# --- auth ---
start auth mem: --token s3cret
expect 401 "no token: 401" "$url_auth/k"
assert "WWW-Authenticate: Bearer" bash -c "grep -qi '^www-authenticate: Bearer' $work/h"
expect 403 "wrong token: 403" -H 'Authorization: Bearer nope' "$url_auth/k"
expect 403 "wrong scheme: 403" -H 'Authorization: Basic czNjcmV0' "$url_auth/k"
expect 200 "right token" -X PUT -H 'Authorization: Bearer s3cret' --data x "$url_auth/k"

# --- limits ---
start lim mem: --max-body 1000 --max-header 2048
expect 200 "body at the limit" -X PUT --data-binary "@"<(head -c 1000 /dev/zero) "$url_lim/k"
expect 413 "body over the limit" -X PUT --data-binary "@"<(head -c 1001 /dev/zero) "$url_lim/k"
assert "413 names the limit" bash -c "grep -q 'limit of 1000 bytes' $work/b"
expect 413 "chunked body over the limit" -X PUT -H 'Transfer-Encoding: chunked' --data-binary "@"<(head -c 5000 /dev/zero) "$url_lim/k"
hdrs=()
for i in $(seq 40); do hdrs+=(-H "X-Pad-$i: $(head -c 60 /dev/zero | tr '\0' p)"); done
expect 431 "headers over the limit" "${hdrs[@]}" "$url_lim/k"
assert "431 names the limit" bash -c "grep -q 'limit of 2048 bytes' $work/b"

# --- change feed (engine) ---
if [[ "$engine" == 1 ]]; then
  start eng "cask://$work/engine"
  E=$url_eng
  expect 200 "engine: PUT" -X PUT --data v1 "$E/f/a"
  expect 200 "engine: changes from 0" -X POST -d '' "$E/_cask/changes?after=0"
  assert "one put event for f:a" bash -c "jq -e '.events | length >= 1 and (.[-1].key == \"f:a\") and (.[-1].kind != null)' $work/b >/dev/null"
  last=$(jq -r .last_revision "$work/b")
  expect 200 "engine: nothing new yet (no wait)" -X POST "$E/_cask/changes?after=$last"
  assert "empty" bash -c "jq -e '.events == []' $work/b >/dev/null"
  ( sleep 0.5; curl -s -X PUT --data v2 "$E/f/b" >/dev/null ) &
  expect 200 "engine: long-poll wakes on a write" -X POST "$E/_cask/changes?after=$last&wait=10000"
  assert "long-poll saw f:b" bash -c "jq -e '.events[0].key == \"f:b\"' $work/b >/dev/null"
  expect 400 "engine: bad after parameter" -X POST -d '' "$E/_cask/changes?after=x"
  # Key-prefix filter: only events under the prefix; last_revision moves
  # past the others so they are not read again.
  expect 200 "engine: PUT outside the prefix" -X PUT --data o "$E/other/x"
  expect 200 "engine: PUT under the prefix" -X PUT --data p "$E/pre/y"
  expect 200 "engine: changes with prefix" -X POST "$E/_cask/changes?after=$last&prefix=pre"
  assert "prefix feed holds only pre:y" bash -c "jq -e '[.events[].key] == [\"pre:y\"]' $work/b >/dev/null"
  plast=$(jq -r .last_revision "$work/b")
  expect 200 "engine: changes with a prefix nothing matches" -X POST "$E/_cask/changes?after=$last&prefix=none"
  assert "no events, last_revision past the skipped ones" bash -c "jq -e '.events == [] and .last_revision == $plast' $work/b >/dev/null"
  ( sleep 0.3; curl -s -X PUT --data o2 "$E/other/z" >/dev/null; sleep 0.5; curl -s -X PUT --data p2 "$E/pre/w" >/dev/null ) &
  expect 200 "engine: prefix long-poll skips other keys" -X POST "$E/_cask/changes?after=$plast&prefix=pre&wait=10000"
  assert "prefix long-poll saw pre:w only" bash -c "jq -e '[.events[].key] == [\"pre:w\"]' $work/b >/dev/null"
  expect 400 "engine: bad prefix" -X POST "$E/_cask/changes?prefix=a/../b"
  # Long polls share one watch and hold no thread: 100 waiting requests do
  # not keep a write from being answered, and the write wakes them all.
  expect 200 "engine: changes before the crowd" -X POST "$E/_cask/changes?after=0&limit=100000"
  clast=$(jq -r .last_revision "$work/b")
  polls=()
  for i in $(seq 100); do
    curl -s -m 60 -o "$work/poll.$i" -X POST "$E/_cask/changes?after=$clast&wait=20000" &
    polls+=($!)
  done
  sleep 1
  expect 200 "engine: a write beside 100 waiting long polls" -m 10 -X PUT --data c "$E/crowd/k"
  wait "${polls[@]}"
  woke=$(cat "$work"/poll.* | jq -s '[.[] | select(.events[0].key == "crowd:k")] | length')
  assert "all 100 long polls woke with the write ($woke)" test "$woke" = 100
  start lp "cask://$work/engine-lp" --max-long-polls 2
  curl -s -o /dev/null -X POST "$url_lp/_cask/changes?after=0&wait=3000" &
  p1=$!
  curl -s -o /dev/null -X POST "$url_lp/_cask/changes?after=0&wait=3000" &
  p2=$!
  sleep 1
  expect 503 "engine: a long poll over --max-long-polls" -X POST "$url_lp/_cask/changes?after=0&wait=3000"
  assert "503 has Retry-After" test -n "$(header Retry-After)"
  wait "$p1" "$p2"
  assert "X-Cask-Features lists changes" bash -c "grep -qi '^x-cask-features:.*changes' $work/h"
fi

# --- SIGTERM drains: a slow upload in flight is answered and kept ---
start drain mem:
D=$url_drain
( head -c 200000 /dev/zero | tr '\0' d; ) >"$work/big"
curl -s -o "$work/drain.body" -w '%{http_code}' --limit-rate 100k -X PUT \
  --data-binary "@$work/big" "$D/big" >"$work/drain.code" &
curlpid=$!
sleep 0.5
kill -TERM "$pid_drain"
wait "$curlpid"
assert "in-flight PUT answered 200 during SIGTERM" test "$(cat "$work/drain.code")" = 200
wait "$pid_drain"; rc=$?
assert "server exited 0 after draining" test "$rc" = 0
assert "server said it drained" grep -q "drained and stopped" "$work/drain.err"

echo "$n checks, $fails failed"
[[ $fails == 0 ]]
