#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 600) each, two at a time; new inputs go to fuzz/work/<target>,
# crashes to fuzz/artifacts/<target>, libFuzzer's log to fuzz/work/<target>.log. Stable Rust runs cargo-fuzz with
# RUSTC_BOOTSTRAP=1 (`cargo install cargo-fuzz` first).
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-600}"
targets=(manifests tomls imports have_guards depfiles gate_records nm_output)
export RUSTC_BOOTSTRAP=1
cargo fuzz build -O
run() {
  mkdir -p "work/$1"
  cargo fuzz run -O "$1" "work/$1" "corpus/$1" -- -max_total_time="$seconds" -rss_limit_mb=4096 \
    -print_final_stats=1 > "work/$1.log" 2>&1 || echo "$1: FAILED (see work/$1.log)"
}
for ((i = 0; i < ${#targets[@]}; i += 2)); do
  run "${targets[i]}" &
  if ((i + 1 < ${#targets[@]})); then run "${targets[i + 1]}" & fi
  wait
done
for t in "${targets[@]}"; do
  echo "$t: $(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "work/$t.log" | grep -o '[0-9]*$') executions"
done
