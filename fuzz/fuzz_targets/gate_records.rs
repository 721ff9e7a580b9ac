//! libFuzzer target `gate_records`: the body is `ninjabind::fuzzing::gate_records`, which `tests/fuzz_smoke.rs` also runs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ninjabind::fuzzing::gate_records(data));
