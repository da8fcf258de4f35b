#![no_main]

// Structure-aware: the bytes are read as the target's input type with `arbitrary` (in the library,
// so that the regression test replays a crash file the same way).
libfuzzer_sys::fuzz_target!(|data: &[u8]| vigil_fuzz::frame_hash(data));
