//! A CloudFormation (or SAM) template in YAML, short-form intrinsic tags included.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    plumbline::fuzzing::single_file("template.yaml", data);
});
