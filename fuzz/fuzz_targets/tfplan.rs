//! A Terraform plan (`terraform show -json`), with the `.tf` files of a tree input it is mapped back to.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    plumbline::fuzzing::tree(data, "tfplan.json");
});
