//! libFuzzer target `depfiles`: the body is `ninjabind::fuzzing::depfiles`, which `tests/fuzz_smoke.rs` also runs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ninjabind::fuzzing::depfiles(data));
