//! `--format json` is a stable schema: real scans validate against the JSON Schema shipped in
//! `src/report/json.schema.json` (documented in the README), which rejects unknown fields so
//! that writer and schema cannot drift apart unnoticed.

mod common;
use common::*;
use serde_json::{json, Value};
use std::path::Path;

fn schema() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/report/json.schema.json");
    serde_json::from_slice(&std::fs::read(&path).unwrap()).expect("the schema is JSON")
}

fn errors(instance: &Value) -> Vec<String> {
    let schema = schema();
    let validator = jsonschema::validator_for(&schema).expect("the schema is a valid schema");
    validator
        .iter_errors(instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

/// The demo (with its unparsable file, hence a notification) scanned from a Git revision, so
/// that `commitTime` and `commit` are filled in.
fn demo_revision_scan() -> Value {
    let dir = tempfile::tempdir().unwrap();
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
    for entry in std::fs::read_dir(&demo).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    write(dir.path(), "bad/broken.yaml", "a: [1, 2\n");
    git(dir.path(), &["init", "-q"]);
    commit_all_at(dir.path(), "demo", "2024-05-01T12:00:00Z");
    let run = plumbline(
        dir.path(),
        &["scan", "--format", "json", "--category", "k8s"],
    );
    assert_eq!(
        run.code, 3,
        "the broken file makes the scan incomplete: {}",
        run.stderr
    );
    run.json()
}

#[test]
fn a_real_scan_validates_against_the_schema() {
    let report = demo_revision_scan();
    assert_eq!(report["target"]["commitTime"], "2024-05-01T12:00:00Z");
    assert!(report["findings"].as_array().unwrap().len() > 10);
    assert!(!report["notifications"].as_array().unwrap().is_empty());
    assert_eq!(errors(&report), Vec::<String>::new());

    // A working-tree scan: no commit, no commitTime.
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
    let wt = plumbline(&demo, &["scan", "--worktree", ".", "--format", "json"]);
    assert_eq!(wt.code, 1, "{}", wt.stderr);
    assert_eq!(errors(&wt.json()), Vec::<String>::new());
}

#[test]
fn waived_and_baselined_findings_validate_and_wrong_ones_do_not() {
    let mut report = demo_revision_scan();
    let f = &mut report["findings"][0];
    f["suppressions"] = json!([{
        "kind": "external", "justification": "accepted risk", "owner": "team-a",
        "expires": "2024-12-31", "location": "waivers.yaml:4"
    }]);
    f["baselineState"] = json!("unchanged");
    assert_eq!(errors(&report), Vec::<String>::new());

    // The validator is live: each of these breaks the documented schema.
    let broken = [
        ("/findings/0/severity", json!("SEVERE")),
        ("/findings/0/baselineState", json!("gone")),
        ("/findings/0/suppressions/0/expires", json!("next year")),
        ("/target/commitTime", json!("2024-05-01 12:00")),
        ("/summary/bySeverity/HIGH", json!(-1)),
    ];
    for (pointer, value) in broken {
        let mut bad = report.clone();
        *bad.pointer_mut(pointer).unwrap() = value;
        assert!(!errors(&bad).is_empty(), "{pointer} should be rejected");
    }
    let mut extra = report.clone();
    extra["findings"][0]["undocumented"] = json!(1);
    assert!(
        !errors(&extra).is_empty(),
        "an undocumented field must be added to the schema and the README"
    );
}

#[test]
fn a_scan_compared_with_a_baseline_validates() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.json");
    let first = plumbline(
        &demo,
        &["scan", "--worktree", ".", "-o", base.to_str().unwrap()],
    );
    assert_eq!(first.code, 1, "{}", first.stderr);
    let run = plumbline(
        &demo,
        &[
            "scan",
            "--worktree",
            ".",
            "--format",
            "json",
            "--baseline",
            base.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "nothing is new: {}", run.stderr);
    let report = run.json();
    assert!(report["summary"]["baseline"]["unchanged"].as_u64().unwrap() > 10);
    assert_eq!(report["summary"]["baseline"]["new"], 0);
    assert_eq!(errors(&report), Vec::<String>::new());
}
