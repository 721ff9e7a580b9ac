#!/usr/bin/env bash
# Sets up what is missing, then runs the whole test suite (unit tests and end-to-end runs with real ninja, cc, cargo).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo test --locked --all-targets "$@"
