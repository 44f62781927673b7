#!/usr/bin/env bash
# `cask serve` (engine store, 16 store threads) under wrk, glibc arenas capped
# (the default now) vs MALLOC_ARENA_MAX=16 (glibc's default on 2 cores),
# rounds interleaved: what capping the arenas (LimitMallocArenas, for the
# listing's memory; docs/benchmarks/scale.md, "HTTP listing") costs in
# requests per second. GET of one key and a conditional PUT, 32
# connections.
#
#   bench/http/arena_ab.sh CASK_PROGRAM [ROUNDS] [SECONDS]
set -euo pipefail
cask=$1 rounds=${2:-3} secs=${3:-5}
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d /tmp/cask-arena-ab.XXXXXX)
run() {  # arena_env script
  out=$(mktemp)
  env $1 "$cask" --store "cask://$dir/store" serve --port 0 >"$out" 2>/dev/null &
  pid=$!
  for _ in $(seq 100); do
    url=$(grep -o 'http://[0-9.:]*' "$out" | head -1 || true)
    [[ -n $url ]] && break
    sleep 0.1
  done
  curl -s -X PUT --data v "$url/bench/k" >/dev/null
  r=$(wrk -t2 -c32 -d"${secs}s" -s "$here/$2" "$url" |
    awk '/Requests\/sec/ {print $2}')
  kill -TERM $pid; wait $pid || true; rm -f "$out"
  echo "$r"
}
for script in get.lua put_cond.lua; do
  for ((i = 1; i <= rounds; i++)); do
    a=$(run "CASK_ARENAS=capped" $script)
    b=$(run "MALLOC_ARENA_MAX=16" $script)
    echo "$script round $i: capped $a req/s, 16 arenas $b req/s"
  done
done
rm -rf "$dir"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
