//! Inline waiver comments and annotations in YAML, Terraform, Dockerfiles and CloudFormation.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    plumbline::fuzzing::inline_waivers(data);
});
