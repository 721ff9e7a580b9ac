//! libFuzzer target `manifests`: the body is `ninjabind::fuzzing::manifests`, which `tests/fuzz_smoke.rs` also runs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ninjabind::fuzzing::manifests(data));
