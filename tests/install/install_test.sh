#!/usr/bin/env bash
# Installs this build into a temporary prefix and builds and runs
# tests/install/example against it with find_package(cask).
set -euo pipefail
build_dir=$1 source_dir=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build_dir" --prefix "$tmp/prefix" >/dev/null
cmake -S "$source_dir" -B "$tmp/build" -G Ninja \
  -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/build" >/dev/null
"$tmp/build/example" mem:
if [[ -x "$tmp/prefix/bin/cask" ]]; then
  "$tmp/prefix/bin/cask" --store mem: keys
fi
