//! libFuzzer target `imports`: the body is `ninjabind::fuzzing::imports`, which `tests/fuzz_smoke.rs` also runs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ninjabind::fuzzing::imports(data));
