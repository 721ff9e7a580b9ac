#!/usr/bin/env bash
# Installs what ninjabind's examples and tests need and is missing: ninja, pkg-config, the -dev libraries, cargo.
set -euo pipefail

# distcc, icecc, ccache, redis-server: the scale-out tests start real daemons on loopback (tests/distributed.rs)
packages=(ninja-build pkg-config gcc g++ clang llvm libsqlite3-dev zlib1g-dev libpq-dev
  distcc icecc ccache redis-server man-db groff-base graphviz)
command -v node >/dev/null && command -v npm >/dev/null || packages+=(nodejs npm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v cargo >/dev/null || { echo "setup: cargo not found; install Rust with rustup (https://rustup.rs)" >&2; exit 1; }
# sccache with Redis storage (Debian's 0.4 has none): once per machine, from crates.io, only the redis backend
sccache_version=0.19.0
if ! sccache --version 2>/dev/null | grep -qx "sccache $sccache_version"; then
  echo "setup: installing sccache $sccache_version (redis storage) from crates.io, once per machine" >&2
  cargo install --quiet --locked sccache --version "$sccache_version" --no-default-features --features redis
fi
# TypeScript itself, the oracle the import scanner is compared with (tests/imports_vs_typescript.rs)
oracle="$(dirname "$0")/../target/ts-oracle"
if [ ! -f "$oracle/node_modules/typescript/package.json" ]; then
  echo "setup: installing typescript (test oracle) into target/ts-oracle" >&2
  mkdir -p "$oracle"
  npm install --prefix "$oracle" --no-audit --no-fund --silent typescript@5 >/dev/null
fi
