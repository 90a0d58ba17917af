//! A Terraform root module in HCL (the text before the first `==> path <==` header is `main.tf`) with its local modules.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    plumbline::fuzzing::tree(data, "main.tf");
});
