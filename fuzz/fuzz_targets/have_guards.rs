//! libFuzzer target `have_guards`: the body is `ninjabind::fuzzing::have_guards`, which `tests/fuzz_smoke.rs` also runs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ninjabind::fuzzing::have_guards(data));
