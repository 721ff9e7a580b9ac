//! libFuzzer target `tomls`: the body is `ninjabind::fuzzing::tomls`, which `tests/fuzz_smoke.rs` also runs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ninjabind::fuzzing::tomls(data));
