//! Real third-party material from ../shared/corpus: the scan never crashes on it and reports
//! every file it could not load.

mod common;
use common::*;
#[path = "common/labeled.rs"]
mod labeled;
use labeled::shared;
use std::path::{Path, PathBuf};

/// Every file of a format plumbline reads: YAML, JSON, Terraform, variable files,
/// Dockerfiles.
fn scannable_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        let ft = e.file_type().unwrap();
        if ft.is_dir() {
            scannable_files(&p, out);
        } else if ft.is_file() && plumbline::source::Format::of_path(&p.to_string_lossy()).is_some()
        {
            out.push(p);
        }
    }
}

#[test]
fn bench_corpus_scans_without_crash_and_reports_every_unloadable_file() {
    let bench = shared().join("corpus/bench");
    assert!(
        bench.is_dir(),
        "{} is missing: the corpus is needed",
        bench.display()
    );
    let run = plumbline(&bench, &["scan", ".", "--worktree", "-f", "json"]);
    assert_eq!(
        run.code, 3,
        "the corpus holds unparseable files: {}",
        run.stderr
    );
    let r = run.json();
    let mut files = Vec::new();
    scannable_files(&bench, &mut files);
    assert_eq!(
        r["summary"]["files"].as_u64().unwrap() as usize,
        files.len(),
        "every YAML, JSON, Terraform and Dockerfile file is in scope"
    );
    let notes = r["notifications"].as_array().unwrap();
    assert!(!notes.is_empty());
    // Notes and warnings (e.g. a Kustomize Component no kustomization uses) say what was
    // deliberately not applied; errors name the file that could not be loaded.
    for n in notes.iter().filter(|n| n["level"] == "error") {
        let f = n["file"].as_str().unwrap();
        assert!(
            bench.join(f).is_file(),
            "notification names a real file: {f}"
        );
        assert!(
            n["position"]["line"].as_u64().is_some(),
            "with its line: {n}"
        );
    }
    // The Helm chart of microservices-demo is rendered, not parsed as YAML: no problem is
    // reported for its templates, and what it renders is checked at the template lines.
    let helm_notes: Vec<_> = notes
        .iter()
        .filter(|n| {
            n["file"]
                .as_str()
                .unwrap_or_default()
                .contains("helm-chart/")
        })
        .collect();
    assert!(helm_notes.is_empty(), "{helm_notes:?}");
    let helm_findings = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["file"]
                .as_str()
                .unwrap()
                .contains("helm-chart/templates/")
        })
        .count();
    assert!(helm_findings >= 10, "{helm_findings}");
    // Real manifests give real findings from the built-in library.
    assert!(r["summary"]["resources"].as_u64().unwrap() > 500);
    assert!(r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["ruleId"] == "PL-K8S-0003"));
}
