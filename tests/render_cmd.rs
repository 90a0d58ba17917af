//! `plumbline render`: what the policies see. A Helm chart prints as the objects it renders
//! (one YAML document each, `# Source:` naming the template), a Kustomize overlay as its
//! rendered objects, and `--input-json` gives each document's whole policy input.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn shared() -> PathBuf {
    std::env::var_os("PLUMBLINE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"))
}

fn render(path: &Path, extra: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_plumbline"))
        .arg("render")
        .arg(path)
        .arg("--worktree")
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn a_chart_renders_to_the_objects_helm_would_install() {
    let chart = shared().join("corpus/helm/charts/kubernetes-sigs/metrics-server");
    let golden = shared().join(
        "corpus/helm/goldens/kubernetes-sigs/metrics-server/charts/metrics-server/default.yaml",
    );
    if !golden.exists() {
        eprintln!("skipped: the shared Helm corpus is not here");
        return;
    }
    let (code, out) = render(&chart, &[]);
    assert_eq!(code, 0, "{out}");
    let ours = out.matches("---\n# Source: ").count();
    let helm = std::fs::read_to_string(&golden)
        .unwrap()
        .matches("---\n# Source: ")
        .count();
    assert_eq!(ours, helm, "one document per object helm template prints");
    assert!(out.contains("# Source: charts/metrics-server/templates/deployment.yaml\n"));
    assert!(out.contains("kind: Deployment\n"));
    assert!(!out.contains("{{"), "no template text is left");

    let (code, out) = render(&chart, &["--input-json"]);
    assert_eq!(code, 0);
    let kinds: Vec<String> = out
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("one JSON object per line"))
        .filter_map(|v| v["kind"].as_str().map(String::from))
        .collect();
    assert_eq!(kinds.len(), helm);
    assert!(kinds.iter().any(|k| k == "Deployment"));
}

#[test]
fn a_kustomize_overlay_renders_with_its_patches_applied() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base");
    let overlay = dir.path().join("overlay");
    std::fs::create_dir_all(&base).unwrap();
    std::fs::create_dir_all(&overlay).unwrap();
    std::fs::write(
        base.join("kustomization.yaml"),
        "resources:\n  - deploy.yaml\n",
    )
    .unwrap();
    std::fs::write(
        base.join("deploy.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n",
    )
    .unwrap();
    std::fs::write(
        overlay.join("kustomization.yaml"),
        "resources:\n  - ../base\nnamePrefix: prod-\nreplicas:\n  - name: web\n    count: 3\n",
    )
    .unwrap();
    let (code, out) = render(dir.path(), &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("name: prod-web"), "{out}");
    assert!(out.contains("replicas: 3"), "{out}");
    assert_eq!(out.matches("kind: Deployment").count(), 1, "{out}");
}
