//! A tree with a Helm chart (the text before the first `==> path <==` header is `Chart.yaml`): its values, templates, helpers and subcharts, rendered as a scan renders a chart.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    plumbline::fuzzing::tree(data, "Chart.yaml");
});
