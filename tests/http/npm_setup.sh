#!/usr/bin/env bash
# Installs unstorage (1.17.x, with its h3 and ofetch) into a cache directory
# once and prints that directory's node_modules path. Exit 77 (ctest:
# skipped) when node or npm is missing or the install fails.
set -uo pipefail
dir=${CASK_NPM_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cask/npm-http}
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "*** SKIPPED: node/npm not installed ***" >&2
  exit 77
fi
mkdir -p "$dir"
# One install at a time (ctest -j runs several npm tests at once).
exec 9>"$dir/.install.lock"
flock 9
if [[ ! -f "$dir/node_modules/unstorage/package.json" ]]; then
  if ! (cd "$dir" && timeout 300 npm install --no-audit --no-fund \
        unstorage@~1.17 >"$dir/install.log" 2>&1); then
    echo "*** SKIPPED: npm install unstorage@~1.17 failed (see $dir/install.log) ***" >&2
    tail -5 "$dir/install.log" >&2
    exit 77
  fi
fi
flock -u 9
echo "$dir/node_modules"
