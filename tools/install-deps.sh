#!/usr/bin/env bash
# Installs every Debian package cask needs to build, test and benchmark.
# Idempotent: packages already present are left alone. Run as root (or sudo).
set -euo pipefail

BUILD_PKGS=(
  build-essential cmake pkg-config ninja-build
  librocksdb-dev libabsl-dev libxxhash-dev libzstd-dev liblz4-dev libsnappy-dev
  libbz2-dev zlib1g-dev
  catch2 libbenchmark-dev nlohmann-json3-dev libcli11-dev
  libcurl4-openssl-dev libssl-dev libxml2-dev libpq-dev libmariadb-dev
  libhiredis-dev
  libsqlite3-dev liblmdb-dev libboost-dev libevent-dev
)
# Real servers the adapter tests talk to, and tools the tests drive.
TEST_PKGS=(
  redis-server postgresql mariadb-server etcd-server etcd-client
  curl python3 clang libclang-rt-14-dev wrk
  gnuplot-nox  # bench/plots/plot.py: the charts in docs/
  hyperfine sqlite3  # docs/benchmarks/cli.md: `cask get` against `sqlite3`
)

want=("${BUILD_PKGS[@]}")
if [[ "${1:-}" != "--build-only" ]]; then
  want+=("${TEST_PKGS[@]}")
  # Node.js may come from elsewhere (e.g. NodeSource); Debian's npm conflicts
  # with that build, so only ask Debian for it when there is no node at all.
  command -v node >/dev/null && command -v npm >/dev/null || want+=(nodejs npm)
fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
