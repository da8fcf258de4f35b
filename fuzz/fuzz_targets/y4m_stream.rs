#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vigil_fuzz::y4m_stream(data));
