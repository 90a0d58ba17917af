//! A JSON or SARIF report, as `report`, `merge` and `--baseline` read it.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    plumbline::fuzzing::report(data);
});
