//! A YAML stream as a scan loads it: Kubernetes objects (and CloudFormation or plans, by content).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    plumbline::fuzzing::single_file("deploy.yaml", data);
});
