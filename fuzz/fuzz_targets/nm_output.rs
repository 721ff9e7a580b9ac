//! libFuzzer target `nm_output`: the body is `ninjabind::fuzzing::nm_output`, which `tests/fuzz_smoke.rs` also runs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ninjabind::fuzzing::nm_output(data));
