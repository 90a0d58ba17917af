//! A tree with a kustomization (the text before the first `==> path <==` header is `kustomization.yaml`) and its bases, components, patches and generator sources.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    plumbline::fuzzing::tree(data, "kustomization.yaml");
});
