//! A Terraform root module in JSON syntax (`main.tf.json`), with any other files of a tree input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    plumbline::fuzzing::tree(data, "main.tf.json");
});
