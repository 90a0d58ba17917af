//! Kubernetes drift end to end: `plumbline scan --cluster` over 10,000 live objects served
//! by the test API server (tests/support/apiserver.rs, built from the recordings in
//! ../shared/k8s-recorded), against 10,000 declared objects in 10 files. Runs the release
//! binary several times and prints the median wall time, the HTTP requests the server saw,
//! and the drift findings (0 unchanged; one per changed object). Not a timed test.
//!
//!     cargo bench --bench drift_live

#[path = "../tests/support/mod.rs"]
mod support;

use std::process::Command;
use std::time::{Duration, Instant};
use support::apiserver::ApiServer;

const NAMESPACES: usize = 10;
const PER_NAMESPACE: usize = 1000;
const RUNS: usize = 5;

fn main() {
    let server = ApiServer::start();
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    for n in 0..NAMESPACES {
        let ns = format!("bench-{n}");
        server.add_synthetic("v1", "ConfigMap", Some(&ns), "obj", PER_NAMESPACE);
        // The same objects as the server holds, as a repository declares them.
        let mut text = String::new();
        for i in 0..PER_NAMESPACE {
            text.push_str(&format!(
                "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: obj-{i:05}\n  \
                 namespace: {ns}\ndata:\n  index: \"{i}\"\n"
            ));
        }
        std::fs::write(repo.join(format!("{ns}.yaml")), text).unwrap();
    }
    let kubeconfig = server.write_kubeconfig(dir.path(), "bench", None);
    let out = dir.path().join("report.json");
    let run = |label: &str, expect_findings: usize| {
        let mut times = Vec::new();
        let mut requests = 0;
        for _ in 0..RUNS {
            server.clear_requests();
            let started = Instant::now();
            let status = Command::new(env!("CARGO_BIN_EXE_plumbline"))
                .args(["scan", ".", "--no-builtin", "--quiet", "--cluster", "bench"])
                .arg("--kubeconfig")
                .arg(&kubeconfig)
                .args(["-f", "json", "--fail-on", "never", "-o"])
                .arg(&out)
                .current_dir(&repo)
                .status()
                .unwrap();
            times.push(started.elapsed());
            assert_eq!(status.code(), Some(0), "{label}: scan failed");
            requests = server.requests().len();
        }
        let report: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        let drift = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["ruleId"].as_str().unwrap().starts_with("PL-DRIFT-"))
            .count();
        assert_eq!(drift, expect_findings, "{label}");
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "{label}: median {:.0} ms (min {:.0}, max {:.0}) over {RUNS} runs; {requests} HTTP \
             requests; {drift} drift findings",
            ms(times[RUNS / 2]),
            ms(times[0]),
            ms(times[RUNS - 1]),
        );
    };
    println!(
        "drift over {} declared and live ConfigMaps in {NAMESPACES} namespaces \
         (release binary, whole scan: list, parse, read the cluster, compare, report)",
        NAMESPACES * PER_NAMESPACE
    );
    run("unchanged", 0);
    // Change 100 objects behind Git's back.
    for n in 0..NAMESPACES {
        for i in (0..PER_NAMESPACE).step_by(PER_NAMESPACE / 10) {
            server.set_object(serde_json::json!({
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": format!("obj-{i:05}"), "namespace": format!("bench-{n}")},
                "data": {"index": "changed"},
            }));
        }
    }
    run("100 objects changed", 100);
}
