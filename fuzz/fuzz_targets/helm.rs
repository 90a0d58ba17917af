//! A tree with a Helm chart (the text before the first `==> path <==` header is `Chart.yaml`): its values, templates, helpers and subcharts (a `charts/*.tgz` file's text is the archive in base64), rendered as a scan renders a chart.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    plumbline::fuzzing::tree(data, "Chart.yaml");
});
