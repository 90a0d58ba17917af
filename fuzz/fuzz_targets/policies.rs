//! A tree of files loaded and evaluated against the built-in policies (namespace rules included).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    plumbline::fuzzing::policies(data, "deploy.yaml");
});
