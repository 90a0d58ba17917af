//! `terraform.tfvars.json` of a module declaring variables of every type.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    plumbline::fuzzing::tfvars(data, true);
});
