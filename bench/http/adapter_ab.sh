#!/usr/bin/env bash
# Two builds of bench_http (e.g. before and after an adapter change) in one
# run: rounds alternate between them, each round one repetition of the
# benchmarks both have; prints the median real time per call of each.
#
#   bench/http/adapter_ab.sh <bench_http A> <bench_http B> [rounds]
set -euo pipefail
a=$1
b=$2
rounds=${3:-5}
filter='BM_Get_MemoryBaseline|BM_Get_Http/|BM_IfMatchSet_MemoryBaseline|BM_IfMatchSet_Http/'
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for r in $(seq "$rounds"); do
  for side in a b; do
    bin=$a
    [[ $side == b ]] && bin=$b
    "$bin" --benchmark_filter="$filter" --benchmark_min_time=1 \
      --benchmark_format=csv 2>/dev/null | grep '^"BM_' >>"$out/$side.csv"
  done
done
python3 - "$out/a.csv" "$out/b.csv" <<'PY'
import csv, statistics, sys
def medians(path):
    rows = {}
    for row in csv.reader(open(path)):
        name = row[0].split('/')[0]
        rows.setdefault(name, []).append(float(row[2]))  # real_time, ns
    return {k: statistics.median(v) for k, v in rows.items()}
a, b = medians(sys.argv[1]), medians(sys.argv[2])
print(f"{'benchmark':32} {'A ns':>12} {'B ns':>12} {'B/A':>6}")
for name in a:
    if name in b:
        print(f"{name:32} {a[name]:12.0f} {b[name]:12.0f} {b[name]/a[name]:6.2f}")
PY
