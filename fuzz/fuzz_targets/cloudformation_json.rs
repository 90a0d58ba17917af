//! A CloudFormation template in JSON.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    plumbline::fuzzing::single_file("template.json", data);
});
