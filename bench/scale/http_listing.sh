#!/usr/bin/env bash
# The HTTP listing step of bench_scale alone, repeated: the peak RSS growth
# of `cask serve` while it answers the listing of every key of an engine
# store (docs/benchmarks/scale.md, "HTTP listing"). Each round starts a
# fresh server, reads its RSS, resets its peak (clear_refs), lists with
# curl and reads the peak (VmHWM) back; prints each round and the median.
#
#   bench/scale/http_listing.sh CASK_PROGRAM STORE_DIR [ROUNDS] [BASE] [QUERY]
#
# STORE_DIR: e.g. the cask-1000000 directory that
# `bench_scale --sizes=1000000 --load-only --keep --dir=D` leaves in D.
# BASE defaults to bench_scale's `objects`; QUERY (e.g. `values=1`) is
# appended to the listing URL.
set -euo pipefail
cask=$1 store=$2 rounds=${3:-3} base=${4:-objects} query=${5:-}
growths=()
for ((r = 1; r <= rounds; r++)); do
  out=$(mktemp)
  "$cask" --store "cask://$store${STORE_QUERY:+?$STORE_QUERY}" serve --port 0 >"$out" 2>/dev/null &
  pid=$!
  for _ in $(seq 100); do
    url=$(grep -o 'http://[0-9.:]*' "$out" | head -1 || true)
    [[ -n $url ]] && break
    sleep 0.1
  done
  before=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
  echo 5 >"/proc/$pid/clear_refs"
  start=$(date +%s.%N)
  answer=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' \
    "$url/$base/${query:+?$query}")
  secs=$(echo "$(date +%s.%N) - $start" | bc)
  peak=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status")
  kill -TERM "$pid"
  wait "$pid" || true
  rm -f "$out"
  growth=$(echo "scale=1; ($peak - $before) / 1024" | bc)
  growths+=("$growth")
  echo "round $r: $answer (status, bytes) in ${secs}s; RSS ${before} KiB" \
    "before, peak ${peak} KiB: growth ${growth} MiB"
done
median=$(printf '%s\n' "${growths[@]}" | sort -n | awk '{a[NR]=$1}
  END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}')
echo "median peak RSS growth: ${median} MiB over $rounds rounds" \
  "(load average $(cut -d' ' -f1-3 /proc/loadavg))"
