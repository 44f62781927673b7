#!/usr/bin/env bash
# wrk on loopback against `cask serve` (memory store behind it) on each of
# its transports (Boost.Beast, libevent's evhttp) and against unstorage's
# own node server (createStorageServer + memory driver), in the same run:
# GET and conditional PUT, requests/s and p99 latency, each measured ROUNDS
# times, rounds interleaved; prints the medians and the ratios to unstorage.
#
#   bench/http/run.sh <serve binary> [seconds per run] [rounds]
# <serve binary>: build-*/tests/http/serve_for_tests (Release build), which
# serves a store URI like `cask serve --store mem:`.
# Environment: WRK_THREADS (2), WRK_CONNECTIONS (32), CASK_THREADS (64),
# CASK_IO_THREADS (0: one per core), TRANSPORTS ("beast evhttp").
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
serve=$1
secs=${2:-10}
rounds=${3:-3}
threads=${WRK_THREADS:-2}
conns=${WRK_CONNECTIONS:-32}
modules=$(bash "$here/../../tests/http/npm_setup.sh")
npmdir=$(dirname "$modules")
cp "$here/../../tests/http/unstorage_server.mjs" "$npmdir/"
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill $p 2>/dev/null || true; done; rm -rf "$work"' EXIT

wait_port() {
  for _ in $(seq 100); do
    p=$(awk '/^PORT/{print $2}' "$1")
    [[ -n "$p" ]] && { echo "$p"; return; }
    sleep 0.1
  done
  echo "server did not start" >&2; exit 1
}

targets=()
for transport in ${TRANSPORTS:-beast evhttp}; do
  "$serve" mem: --threads "${CASK_THREADS:-64}" \
    --io-threads "${CASK_IO_THREADS:-0}" --transport "$transport" \
    >"$work/$transport.out" 2>&1 &
  pids+=($!)
  pid=$!
  targets+=("$transport:$(wait_port "$work/$transport.out"):$pid")
done
node "$npmdir/unstorage_server.mjs" >"$work/node.out" 2>&1 &
node_pid=$!
pids+=($node_pid)
targets+=("unstorage:$(wait_port "$work/node.out"):$node_pid")
names=()
for t in "${targets[@]}"; do names+=("${t%%:*}"); done

# CPU time (user + system, all threads) of process $1, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
tick_hz=$(getconf CLK_TCK)

# One run: prints "<req/s> <p99 in ms> <requests per server CPU-second>".
run() {
  local port=$1 script=$2 pid=$3
  curl -s -X PUT --data seed "http://127.0.0.1:$port/bench/k" >/dev/null
  local t0
  t0=$(cpu_ticks "$pid")
  wrk -t"$threads" -c"$conns" -d"${secs}s" --latency -s "$here/$script" \
      "http://127.0.0.1:$port" >"$work/wrk.txt"
  local rps p99
  rps=$(awk '/^Requests\/sec:/{print $2}' "$work/wrk.txt")
  p99=$(awk '$1=="99%"{v=$2; if (v ~ /us$/) {sub("us","",v); v=v/1000}
        else if (v ~ /ms$/) {sub("ms","",v)} else if (v ~ /s$/) {sub("s","",v); v=v*1000}
        print v}' "$work/wrk.txt")
  local errors
  errors=$(awk '/Non-2xx|Socket errors/' "$work/wrk.txt")
  [[ -z "$errors" ]] || echo "  note ($script on $port): $errors" | tr '\n' ' ' >&2
  local t1 requests per_cpu
  t1=$(cpu_ticks "$pid")
  requests=$(awk '/requests in/{print $1}' "$work/wrk.txt")
  per_cpu=$(awk -v r="$requests" -v t=$((t1 - t0)) -v hz="$tick_hz" \
    'BEGIN{ if (t > 0) printf "%.0f", r / (t / hz); else print "inf" }')
  echo "$rps $p99 $per_cpu"
}

median() { sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }

echo "wrk -t$threads -c$conns -d${secs}s, $rounds rounds, medians; $(uptime)"
printf '%-10s %-10s %12s %10s %16s\n' workload server "req/s" "p99 ms" "req/CPU-second"
declare -A result cpu
for script in get.lua put_cond.lua; do
  # Interleaved rounds, so every server sees the same machine load.
  for _ in $(seq "$rounds"); do
    for target in "${targets[@]}"; do
      IFS=: read -r name port pid <<<"$target"
      read -r rps p99 per_cpu < <(run "$port" "$script" "$pid")
      echo "$rps" >>"$work/$name.rps"; echo "$p99" >>"$work/$name.p99"
      echo "$per_cpu" >>"$work/$name.cpu"
    done
  done
  for name in "${names[@]}"; do
    r=$(median <"$work/$name.rps"); l=$(median <"$work/$name.p99")
    c=$(median <"$work/$name.cpu")
    result[$script.$name]=$r; cpu[$script.$name]=$c
    printf '%-10s %-10s %12s %10s %16s\n' "${script%.lua}" "$name" "$r" "$l" "$c"
    rm -f "$work/$name.rps" "$work/$name.p99" "$work/$name.cpu"
  done
  for name in "${names[@]}"; do
    [[ $name == unstorage ]] && continue
    awk -v a="${result[$script.$name]}" -v b="${result[$script.unstorage]}" \
        -v c="${cpu[$script.$name]}" -v d="${cpu[$script.unstorage]}" \
        -v s="${script%.lua}" -v n="$name" \
        'BEGIN{printf "%-10s %s/unstorage: req/s %.1fx, req per CPU-second %.1fx\n", s, n, a/b, c/d}'
  done
done
