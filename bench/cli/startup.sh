#!/usr/bin/env bash
# `cask get KEY` as a process against `sqlite3 DB 'select v from kv where
# k=…'` on an equivalent database, in one hyperfine run: medians and the
# ratio cask / sqlite3 (docs/benchmarks/cli.md).
#
# Usage: bench/cli/startup.sh [LABEL=]CASK_PROGRAM[::URI_QUERY] ...
#   URI_QUERY is added to the store URI (e.g. one_shot=0). Each program is measured on a fresh copy of the same stores (restored
#   before every run, so no run inherits another's files): a 1-key and a
#   10,000-key engine store, read with nobody owning the store (the
#   program's own open) and, for the last program, with its `cask serve`
#   owning it (the get is forwarded). RUNS (default 30) runs per command.
#   Extra hyperfine flags: HYPERFINE_FLAGS.
set -euo pipefail
runs=${RUNS:-30}
tmp=$(mktemp -d)
server_pid=
cleanup() {
  if [[ -n $server_pid ]]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

labels=() programs=() queries=()
for arg in "$@"; do
  label=${arg%%=*} program=${arg#*=} query=
  [[ $arg == *=* ]] || label=$arg
  if [[ $program == *::* ]]; then query="?${program#*::}" program=${program%%::*}; fi
  labels+=("$label") programs+=("$program") queries+=("$query")
done
[[ ${#programs[@]} -gt 0 ]] || { echo "usage: $0 [LABEL=]CASK ..." >&2; exit 2; }
first=${programs[-1]}  # makes the stores: the design under test, last

value=value-0123456789abcdefghijklmnopqrstuvwxyz
mkdir -p "$tmp/pristine"
"$first" --store "cask://$tmp/pristine/e1" set key0 "$value" >/dev/null
for i in $(seq 0 9999); do echo "create key$i $value"; done |
  "$first" --store "cask://$tmp/pristine/e10k" commit >/dev/null
sqlite3 "$tmp/pristine/q1.db" \
  "create table kv(k text primary key, v blob); insert into kv values('key0','$value');"
{ echo "create table kv(k text primary key, v blob); begin;"
  for i in $(seq 0 9999); do echo "insert into kv values('key$i','$value');"; done
  echo "commit;"; } | sqlite3 "$tmp/pristine/q10k.db"
printf '#!/bin/sh\nrm -rf %s/w && cp -a %s/pristine %s/w\n' "$tmp" "$tmp" "$tmp" \
  >"$tmp/reset.sh"
chmod +x "$tmp/reset.sh"
"$tmp/reset.sh"

echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
for size in 1 10k; do
  key=key0
  [[ $size == 10k ]] && key=key5000
  cmds=()
  for i in "${!programs[@]}"; do
    p=${programs[$i]} uri="cask://$tmp/w/e$size${queries[$i]}"
    [[ $("$p" --store "$uri" get $key) == "$value" ]] ||
      { echo "FAIL: $p get" >&2; exit 1; }
    cmds+=("$p --store $uri get $key")
  done
  # The last program again, forwarded to `cask serve` owning a copy.
  cp -a "$tmp/pristine/e$size" "$tmp/served$size"
  "${programs[-1]}" --store "cask://$tmp/served$size" serve --port 0 >"$tmp/url" 2>/dev/null &
  server_pid=$!
  for _ in $(seq 1 300); do [[ -s $tmp/url ]] && break; sleep 0.1; done
  cmds+=("${programs[-1]} --store cask://$tmp/served$size${queries[-1]} get $key")
  [[ $(sqlite3 "$tmp/pristine/q$size.db" "select v from kv where k='$key'") == "$value" ]] ||
    { echo "FAIL: sqlite3 select" >&2; exit 1; }
  cmds+=("sqlite3 $tmp/pristine/q$size.db \"select v from kv where k='$key'\"")
  # shellcheck disable=SC2086
  hyperfine -N -w 3 -r "$runs" --prepare "$tmp/reset.sh" ${HYPERFINE_FLAGS:-} \
    --export-json "$tmp/$size.json" "${cmds[@]}" >/dev/null
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=
  python3 - "$tmp/$size.json" "$size" "${labels[@]}" "${labels[-1]}, owner: cask serve" <<'PY'
import json, statistics, sys
path, size, names = sys.argv[1], sys.argv[2], sys.argv[3:] + ["sqlite3"]
results = json.load(open(path))["results"]
base = statistics.median(results[-1]["times"])
print(f"\n{size}-key store: median wall ms (mean user+sys ms), median ratio to sqlite3")
for name, r in zip(names, results):
    med = statistics.median(r["times"])
    cpu = r["user"] + r["system"]  # hyperfine reports their means
    print(f"  {name:40s} {med*1e3:8.2f} ({cpu*1e3:6.2f})  {med/base:6.2f}")
PY
done
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
