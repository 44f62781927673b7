#!/usr/bin/env bash
# Short-lived writers: N `cask set` processes on one engine store, then the
# number of table files and the median latency of `cask get`, for each
# binary given (the first is the baseline, measured in the same run).
#   bench/engine/cli_writes.sh N CASK_BINARY [CASK_BINARY...]
# e.g. bench/engine/cli_writes.sh 5000 /tmp/cask-main build/test/tools/cask
set -euo pipefail
n=${1:?usage: cli_writes.sh N CASK_BINARY...}
shift
median_get_ms() {  # binary store
  local times=()
  for _ in $(seq 1 21); do
    local t0 t1
    t0=$(date +%s%N)
    "$1" --store "$2" get k1 > /dev/null
    t1=$(date +%s%N)
    times+=($(( (t1 - t0) / 1000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | sed -n 11p | awk '{printf "%.1f", $1/1000}'
}
for bin in "$@"; do
  dir=$(mktemp -d /tmp/cask-cli-writes.XXXXXX)
  store="cask://$dir/s"
  "$bin" --store "$store" set k1 v > /dev/null
  before=$(median_get_ms "$bin" "$store")
  for i in $(seq 1 "$n"); do "$bin" --store "$store" set "k$i" "v$i" > /dev/null; done
  after=$(median_get_ms "$bin" "$store")
  ssts=$(find "$dir/s" -maxdepth 1 -name '*.sst' | wc -l)
  echo "$bin: $n writes: $ssts .sst files; cask get median ${before} ms before, ${after} ms after"
  rm -rf "$dir"
done
