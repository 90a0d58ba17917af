//! A JSON file as a scan loads it: Kubernetes objects, CloudFormation templates, Terraform plans.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    plumbline::fuzzing::single_file("objects.json", data);
});
