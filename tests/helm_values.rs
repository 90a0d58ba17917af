//! Values from outside a chart: `--helm-values`, `--helm-set` and their configuration keys
//! change what a chart renders, as `helm template -f`/`--set` do. The chart is the real
//! aws-load-balancer-controller of the shared corpus, which needs a `clusterName`: with its
//! defaults Helm refuses to render it (`required`), with one it renders.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn chart() -> Option<PathBuf> {
    let shared = std::env::var_os("PLUMBLINE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    let dir = shared.join("corpus/helm/charts/aws/eks-charts/stable/aws-load-balancer-controller");
    dir.join("Chart.yaml").exists().then_some(dir)
}

fn scan(dir: &Path, extra: &[&str]) -> (i32, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_plumbline"))
        .arg("scan")
        .arg(dir)
        .args(["--worktree", "--no-config", "-q", "-f", "json"])
        .args(extra)
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap_or(-1), report)
}

fn codes(report: &Value) -> Vec<String> {
    report["notifications"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|n| n["code"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn a_required_value_given_on_the_command_line_lets_the_chart_render() {
    let Some(dir) = chart() else {
        eprintln!("skipped: the shared Helm corpus is not here");
        return;
    };
    let (code, report) = scan(&dir, &["--fail-on", "never"]);
    assert_eq!(code, 3, "the chart cannot render with its defaults");
    let render = report["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["code"] == "helm-render")
        .expect("a helm-render notification");
    assert!(
        render["message"]
            .as_str()
            .unwrap()
            .contains("Chart cannot be installed without a valid clusterName"),
        "{render}"
    );
    assert!(
        render["file"]
            .as_str()
            .unwrap()
            .ends_with("templates/deployment.yaml"),
        "{render}"
    );
    assert_eq!(
        render["position"]["line"], 67,
        "the line of the `required` call: {render}"
    );

    let (code, report) = scan(
        &dir,
        &["--fail-on", "never", "--helm-set", "clusterName=prod"],
    );
    assert_eq!(code, 0, "{:?}", codes(&report));
    assert!(!codes(&report).contains(&"helm-render".to_string()));
    let documents = report["summary"]["documents"].as_u64().unwrap();
    assert!(
        documents >= 10,
        "the rendered objects are scanned: {documents}"
    );
    let deployment = report["findings"].as_array().unwrap().iter().any(|f| {
        f["file"]
            .as_str()
            .unwrap()
            .ends_with("templates/deployment.yaml")
    });
    assert!(deployment, "findings point at the template");
}

#[test]
fn values_files_and_the_configuration_file_give_values_too() {
    let Some(dir) = chart() else {
        eprintln!("skipped: the shared Helm corpus is not here");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let values = tmp.path().join("prod.yaml");
    std::fs::write(&values, "clusterName: prod\nreplicaCount: 3\n").unwrap();
    let (code, report) = scan(
        &dir,
        &[
            "--fail-on",
            "never",
            "--helm-values",
            values.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{:?}", codes(&report));

    // An operator's configuration file (`--config`) may give them as well.
    let config = tmp.path().join("plumbline.yaml");
    std::fs::write(&config, "helm_set:\n  - clusterName=prod\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_plumbline"))
        .arg("scan")
        .arg(&dir)
        .args([
            "--worktree",
            "-q",
            "-f",
            "json",
            "--fail-on",
            "never",
            "--config",
        ])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A values file that is not YAML is an error naming it; the scan is incomplete.
    std::fs::write(&values, "clusterName: [\n").unwrap();
    let (code, report) = scan(
        &dir,
        &[
            "--fail-on",
            "never",
            "--helm-values",
            values.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 3);
    assert!(
        codes(&report).contains(&"helm-values".to_string()),
        "{report}"
    );
}
