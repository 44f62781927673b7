#!/usr/bin/env bash
# The cost of short-lived writers: N `cask set` processes back to back on a
# new engine store, repeated R times, for each binary given. The binaries
# take turns within each round, so they share the machine's load; the
# first is the baseline. Prints, per binary, the median wall time of the N
# writes (and each round's), then the table and WAL files left.
#   bench/engine/short_writers.sh N R CASK_BINARY [CASK_BINARY...]
# e.g. bench/engine/short_writers.sh 20 7 /tmp/cask-main build/release/tools/cask
set -euo pipefail
n=${1:?usage: short_writers.sh N R CASK_BINARY...}
rounds=${2:?usage: short_writers.sh N R CASK_BINARY...}
shift 2
declare -A times files
for round in $(seq 1 "$rounds"); do
  for bin in "$@"; do
    dir=$(mktemp -d /tmp/cask-short-writers.XXXXXX)
    store="cask://$dir/s"
    t0=$(date +%s%N)
    for i in $(seq 1 "$n"); do
      "$bin" --store "$store" set "k$i" "v$i" > /dev/null
    done
    t1=$(date +%s%N)
    "$bin" --store "$store" get "k$n" > /dev/null  # every write is there
    times[$bin]+="$(( (t1 - t0) / 1000000 )) "
    ssts=$(find "$dir/s" -maxdepth 1 -name '*.sst' | wc -l)
    wals=$(find "$dir/s" -maxdepth 1 -name '*.log' | wc -l)
    files[$bin]="$ssts .sst, $wals .log"
    rm -rf "$dir"
  done
done
for bin in "$@"; do
  median=$(printf '%s\n' ${times[$bin]} | sort -n |
    awk '{v[NR] = $1} END {printf "%.2f", v[int((NR + 1) / 2)] / 1000}')
  echo "$bin: $n writers: median ${median} s (ms per round: ${times[$bin]% }); files left: ${files[$bin]}"
done
