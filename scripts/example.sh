#!/usr/bin/env bash
# Sets up what is missing, then the main job on the bundled example: gen, ninja, run the built program.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build --release --quiet
bin="$PWD/target/release/ninjabind"
"$bin" gen -C examples/hello-c
ninja -C examples/hello-c
examples/hello-c/build/bin/hello-c
