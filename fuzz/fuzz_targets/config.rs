//! The configuration file `.plumbline.yaml`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    plumbline::fuzzing::config(data);
});
