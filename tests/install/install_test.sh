#!/usr/bin/env bash
# Installs a build into a temporary prefix, as a user or a distribution
# package would, then uses only what was installed:
#   - builds tests/install/example out of tree with find_package(cask) (the
#     C++ API and the C API) and with pkg-config (the C API), and runs them;
#   - runs the installed `cask` program: set, get, an adapter module
#     (sqlite) and `cask serve` answering an HTTP request.
# Any step that fails fails the test (set -e); nothing here is optional.
# Usage: install_test.sh BUILD_DIR EXAMPLE_SOURCE_DIR
set -euo pipefail
build_dir=$1 source_dir=$2
tmp=$(mktemp -d)
server_pid=
cleanup() {
  if [[ -n $server_pid ]]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
# What was installed must be enough: no paths into the build tree.
unset LD_LIBRARY_PATH CASK_STORE

step() { echo "--- $*"; }

step "install $build_dir"
cmake --install "$build_dir" --prefix "$tmp/prefix" >/dev/null
prefix=$tmp/prefix

step "find_package(cask) from an out-of-tree project"
cmake -S "$source_dir" -B "$tmp/build" -G Ninja \
  -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$tmp/build" >/dev/null
"$tmp/build/example" mem:
"$tmp/build/example_c" mem:

step "the C API through pkg-config"
pc_dir=$(dirname "$(find "$prefix" -name cask-c.pc)")
lib_dir=$(dirname "$(find "$prefix" -name libcask_c.so)")
# shellcheck disable=SC2046  # pkg-config's flags are separate words
cc "$source_dir/main.c" -o "$tmp/example_c_pc" \
  $(PKG_CONFIG_PATH=$pc_dir pkg-config --cflags --libs cask-c) \
  -Wl,-rpath,"$lib_dir"
"$tmp/example_c_pc" "cask://$tmp/c-store"

step "the installed cask program"
cask=$prefix/bin/cask
[[ -x $cask ]] || { echo "FAIL: $cask was not installed" >&2; exit 1; }
"$cask" --help >/dev/null
store="cask://$tmp/store"
etag=$("$cask" --store "$store" set greeting hello --if-none-match '*')
[[ -n $etag ]] || { echo "FAIL: set printed no etag" >&2; exit 1; }
value=$("$cask" --store "$store" get greeting)
[[ $value == hello ]] || { echo "FAIL: get printed '$value'" >&2; exit 1; }
echo "cask set/get ok (etag $etag)"

# Network adapters are modules that libcask opens beside itself.
if compgen -G "$prefix/lib*/libcask_sqlite.so*" >/dev/null; then
  step "an adapter module of the installed cask (sqlite)"
  "$cask" --store "sqlite://$tmp/db.sqlite" set greeting hello >/dev/null
  value=$("$cask" --store "sqlite://$tmp/db.sqlite" get greeting)
  [[ $value == hello ]] || { echo "FAIL: sqlite get printed '$value'" >&2; exit 1; }
  echo "sqlite module ok"
fi

if "$cask" --help | grep -q '^  serve'; then
  step "the installed cask serve"
  "$cask" --store "$store" serve --port 0 >"$tmp/url" 2>"$tmp/serve.err" &
  server_pid=$!
  for _ in $(seq 1 300); do  # a generous deadline, only to catch a hang
    [[ -s $tmp/url ]] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  url=$(head -n1 "$tmp/url")
  if [[ -z $url ]]; then
    echo "FAIL: cask serve did not start:" >&2
    cat "$tmp/serve.err" >&2
    exit 1
  fi
  got=$(curl -sS --max-time 30 "$url/greeting")
  [[ $got == hello ]] || { echo "FAIL: GET $url/greeting: '$got'" >&2; exit 1; }
  kill "$server_pid"
  wait "$server_pid" || true
  server_pid=
  echo "cask serve ok ($url)"
fi
echo "install test passed"
