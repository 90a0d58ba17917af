//! A Helm chart whose subchart is packaged as `charts/<name>-<version>.tgz`, scanned end to
//! end with `plumbline scan`, as a working tree and at a Git revision: the archived
//! subchart's objects are rendered and checked, and their findings point at the archive.

mod common;
use common::*;
use serde_json::Value;
use std::io::Write;
use std::path::Path;

/// A `.tgz` of `files` (paths inside the archive, the chart's directory first), as
/// `helm package` writes one.
fn tgz(files: &[(&str, &str)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (p, t) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(t.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, p, t.as_bytes()).unwrap();
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&b.into_inner().unwrap()).unwrap();
    gz.finish().unwrap()
}

/// The chart `app` with its subchart `web` packaged, and a bad archive beside it.
fn write_chart(dir: &Path) {
    write(
        dir,
        "app/Chart.yaml",
        "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - name: web\n    version: \
         0.2.x\n    condition: web.enabled\n",
    );
    write(
        dir,
        "app/values.yaml",
        "web:\n  enabled: true\n  replicas: 2\n",
    );
    write(
        dir,
        "app/templates/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-top\ndata:\n  \
         a: b\n",
    );
    let web = tgz(&[
        (
            "web/Chart.yaml",
            "apiVersion: v2\nname: web\nversion: 0.2.1\n",
        ),
        (
            "web/values.yaml",
            "replicas: 1\nsecurityContext:\n  privileged: true\n",
        ),
        (
            "web/templates/deploy.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}-web\n\
             spec:\n  replicas: {{ .Values.replicas }}\n  selector:\n    matchLabels: {app: \
             web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      \
             containers:\n        - name: web\n          image: nginx:1.27\n          \
             securityContext:\n            {{- toYaml .Values.securityContext | nindent 12 }}\n",
        ),
    ]);
    std::fs::create_dir_all(dir.join("app/charts")).unwrap();
    std::fs::write(dir.join("app/charts/web-0.2.1.tgz"), web).unwrap();
}

fn scan(dir: &Path, worktree: bool) -> Value {
    let mut args = vec!["scan", ".", "-f", "json"];
    if worktree {
        args.push("--worktree");
    }
    let run = plumbline(dir, &args);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert!(
        [0, 1, 3].contains(&run.code),
        "exit {}: {}",
        run.code,
        run.stderr
    );
    run.json()
}

fn check(r: &Value, what: &str) {
    let findings = r["findings"].as_array().unwrap();
    let notes = r["notifications"].as_array().unwrap();
    let parse: Vec<&Value> = findings
        .iter()
        .filter(|f| f["ruleId"].as_str().unwrap().starts_with("PL-PARSE"))
        .collect();
    assert!(parse.is_empty(), "{what}: {parse:#?}");
    let errors: Vec<&Value> = notes.iter().filter(|n| n["level"] == "error").collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}");
    assert_eq!(r["summary"]["incomplete"], false, "{what}");
    // The archived subchart's privileged container (its own values, rendered by its
    // template) is found, on the archive, line 1.
    let privileged: Vec<&Value> = findings
        .iter()
        .filter(|f| f["ruleId"] == "PL-K8S-0003")
        .collect();
    assert_eq!(privileged.len(), 1, "{what}: {findings:#?}");
    let f = privileged[0];
    assert_eq!(f["file"], "app/charts/web-0.2.1.tgz", "{what}");
    assert_eq!(f["startLine"], 1, "{what}");
    assert_eq!(f["resource"]["kind"], "Deployment", "{what}");
    assert_eq!(f["resource"]["name"], "release-name-web", "{what}");
    // The parent's own objects are still on their template lines.
    assert!(
        findings
            .iter()
            .all(|f| f["file"] == "app/charts/web-0.2.1.tgz"
                || f["file"].as_str().unwrap().starts_with("app/templates/")),
        "{what}: {findings:#?}"
    );
}

#[test]
fn an_archived_subchart_is_rendered_and_its_findings_point_at_the_archive() {
    let dir = tempfile::tempdir().unwrap();
    write_chart(dir.path());
    check(&scan(dir.path(), true), "working tree");
    git(dir.path(), &["init", "-q"]);
    commit_all(dir.path(), "chart with a packaged subchart");
    check(&scan(dir.path(), false), "revision");
}

#[test]
fn a_bad_archive_is_an_error_on_it_and_the_rest_of_the_chart_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    write_chart(dir.path());
    std::fs::write(dir.path().join("app/charts/web-0.2.1.tgz"), b"not gzip").unwrap();
    let r = scan(dir.path(), true);
    let notes = r["notifications"].as_array().unwrap();
    let on_archive: Vec<&Value> = notes
        .iter()
        .filter(|n| n["file"] == "app/charts/web-0.2.1.tgz")
        .collect();
    assert_eq!(on_archive.len(), 1, "{notes:#?}");
    assert_eq!(on_archive[0]["level"], "error");
    assert_eq!(on_archive[0]["code"], "helm-subchart-archive");
    let message = on_archive[0]["message"].as_str().unwrap();
    assert!(message.contains("chart app"), "{message}");
    assert!(
        message.contains("not a gzip-compressed chart archive"),
        "{message}"
    );
    assert_eq!(r["summary"]["incomplete"], true);
    // The parent's ConfigMap is still rendered and read.
    assert!(r["summary"]["documents"].as_u64().unwrap() >= 1, "{r:#}");
}
