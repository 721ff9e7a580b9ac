#!/usr/bin/env bash
# Installs what is missing. `setup.sh example`: what the bundled examples need (ninja, a C compiler, sqlite3, the Perry
# compiler from npm). `setup.sh` (or `setup.sh tests`): that and everything the test suite needs.
set -euo pipefail
mode="${1:-tests}"
repo="$(cd "$(dirname "$0")/.." && pwd)"

# libssl-dev: Perry links every program with -lssl -lcrypto; clang: Perry 0.5.1520 assembles its statepoint
# compact-map rewrite with it ("no clang was found" otherwise), so the Perry example needs it too
# g++: gen's compiler probe asks `c++` too (`strace -e execve scripts/example.sh` shows 36 runs of it)
packages=(ninja-build pkg-config gcc g++ clang libsqlite3-dev libssl-dev)
if [ "$mode" = tests ]; then
  # distcc, icecc, ccache, redis-server: the scale-out tests start real daemons on loopback (tests/distributed.rs)
  packages+=(llvm zlib1g-dev libpq-dev distcc icecc ccache redis-server man-db groff-base graphviz)
  # glslc: a Vulkan backend's shaderSources are compiled by an edge (tests/manifest_v1.rs); generate-ninja: GN, the
  # bench's yardstick for gen (bench/bench.py)
  packages+=(glslc generate-ninja)
  # iproute2: the icecream test joins two network namespaces with a veth pair (tests/distributed.rs)
  packages+=(iproute2)
  # strace: a test checks that gen opens no C source (tests/incremental_gen.rs)
  packages+=(strace)
  # LLVM 19 and what it links with: the real Vex compiler is built against it (third_party/vex/build.sh), and its
  # llc turns the compiler's IR into objects (tests/vex_compiler.rs, examples/vex-app)
  packages+=(llvm-19-dev libpolly-19-dev zlib1g-dev libzstd-dev)
  # mold and lld: the link's --linker (auto takes mold, then lld; tests/linker.rs links with each)
  packages+=(mold lld)
  # nginx-light: its WebDAV module is the HTTP store of the shared cache's test (tests/shared_cache.rs)
  packages+=(nginx-light)
fi
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

# The real Perry compiler (a prebuilt binary and its runtime archives, from npm), pinned, into target/perry: the
# Perry example and the tests that build TypeScript use it
perry_version=0.5.1520
perry_dir="$repo/target/perry"
perry_pkg="$perry_dir/node_modules/@perryts/perry-linux-x64/package.json"
if ! grep -q "\"version\": \"$perry_version\"" "$perry_pkg" 2>/dev/null; then
  echo "setup: installing the Perry compiler $perry_version (@perryts/perry-linux-x64) into target/perry" >&2
  mkdir -p "$perry_dir"
  npm install --prefix "$perry_dir" --no-audit --no-fund --silent "@perryts/perry-linux-x64@$perry_version" >/dev/null
fi

[ "$mode" = tests ] || exit 0
# sccache with Redis storage (Debian's 0.4 has none): once per machine, from crates.io, only the redis backend
sccache_version=0.19.0
if ! sccache --version 2>/dev/null | grep -qx "sccache $sccache_version"; then
  echo "setup: installing sccache $sccache_version (redis storage) from crates.io, once per machine" >&2
  cargo install --quiet --locked sccache --version "$sccache_version" --no-default-features --features redis
fi
# The real Vex compiler, from the source pinned in third_party/vex, built once per machine into target/vex (~4 minutes
# on 2 cores): the Vex tests and examples/vex-app build with it
vex_dir="$repo/target/vex"
vex_stamp="$vex_dir/.built-$(sha256sum "$repo/third_party/vex/vex-src-98a733d.tar.gz" | cut -c1-16)"
if [ ! -x "$vex_dir/bin/vex" ] || [ ! -f "$vex_stamp" ]; then
  echo "setup: building the Vex compiler (third_party/vex, against LLVM 19) into target/vex, once per machine" >&2
  "$repo/third_party/vex/build.sh" "$vex_dir" >"$repo/target/vex-build.log" 2>&1 ||
    { tail -30 "$repo/target/vex-build.log" >&2; exit 1; }
  touch "$vex_stamp"
fi
# TypeScript itself, the oracle the import scanner is compared with (tests/imports_vs_typescript.rs)
oracle="$repo/target/ts-oracle"
if [ ! -f "$oracle/node_modules/typescript/package.json" ]; then
  echo "setup: installing typescript (test oracle) into target/ts-oracle" >&2
  mkdir -p "$oracle"
  npm install --prefix "$oracle" --no-audit --no-fund --silent typescript@5 >/dev/null
fi
# Real npm packages the Perry fidelity tests compile through perry.compilePackages, pinned by the fixture's lockfile
# (tests/fixtures/compile-packages), installed once into target/npm/compile-packages
npm_fixture="$repo/tests/fixtures/compile-packages"
npm_dir="$repo/target/npm/compile-packages"
if ! cmp -s "$npm_fixture/package-lock.json" "$npm_dir/package-lock.json" || [ ! -d "$npm_dir/node_modules" ]; then
  echo "setup: installing the npm packages of tests/fixtures/compile-packages into target/npm" >&2
  rm -rf "$npm_dir" && mkdir -p "$npm_dir"
  cp "$npm_fixture/package.json" "$npm_fixture/package-lock.json" "$npm_dir/"
  (cd "$npm_dir" && npm ci --no-audit --no-fund --silent >/dev/null)
fi
