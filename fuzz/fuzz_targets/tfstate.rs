//! A Terraform state, as `--tfstate` reads it and as a scan loads the `show -json` form.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    plumbline::fuzzing::tfstate(data);
});
