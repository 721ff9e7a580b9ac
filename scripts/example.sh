#!/usr/bin/env bash
# Sets up what the examples need, then the main job on two bundled examples: gen, ninja, run the built program — a
# Vex C program on sqlite3, and a TypeScript program built by the real Perry compiler with a Rust binding.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh example
cargo build --release --quiet
bin="$PWD/target/release/ninjabind"
"$bin" gen -C examples/hello-c
ninja -C examples/hello-c
examples/hello-c/build/bin/hello-c
PERRY="$PWD/target/perry/node_modules/@perryts/perry-linux-x64/bin/perry" "$bin" gen -C examples/perry-app
ninja -C examples/perry-app
examples/perry-app/build/bin/perry-app
