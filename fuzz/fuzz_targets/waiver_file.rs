//! The waiver file `.plumbline/waivers.yaml`, applied to findings given after `==> findings <==`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    plumbline::fuzzing::waiver_file(data);
});
