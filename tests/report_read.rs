//! Reports read back (the start of baselines, `merge` and the HTML report): a scan written as
//! JSON and as SARIF reads back to the same findings.

mod common;
use common::*;
use plumbline::report::read;
use std::path::Path;

#[test]
fn json_and_sarif_reports_read_back_to_the_same_findings() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
    let out = tempfile::tempdir().unwrap();
    let json_path = out.path().join("r.json");
    let sarif_path = out.path().join("r.sarif");
    for p in [&json_path, &sarif_path] {
        let run = plumbline(
            &demo,
            &[
                "scan",
                "--worktree",
                ".",
                "--category",
                "k8s",
                "-o",
                p.to_str().unwrap(),
            ],
        );
        assert_eq!(run.code, 1, "{}", run.stderr);
    }
    let from_json = read::read(&json_path).unwrap();
    let from_sarif = read::read(&sarif_path).unwrap();
    assert_eq!(from_json.len(), 1);
    assert_eq!(from_sarif.len(), 1);
    let (j, s) = (&from_json[0], &from_sarif[0]);
    assert_eq!((j.format, s.format), ("json", "sarif"));
    assert_eq!(j.category, "k8s");
    assert_eq!(s.category, "k8s");
    assert!(j.findings.len() > 10, "the demo has findings");
    assert_eq!(j.findings.len(), s.findings.len());
    let key = |f: &plumbline::model::Finding| {
        (
            f.fingerprint.clone(),
            f.rule_id.clone(),
            f.file.clone(),
            f.region,
            f.severity,
            f.message.clone(),
            f.resource.clone(),
            f.field_path.clone(),
        )
    };
    let mut a: Vec<_> = j.findings.iter().map(key).collect();
    let mut b: Vec<_> = s.findings.iter().map(key).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
    let ids = |r: &read::LoadedReport| r.rules.iter().map(|r| r.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(j), ids(s));
    assert_eq!(
        j.rules.iter().map(|r| r.severity).collect::<Vec<_>>(),
        s.rules.iter().map(|r| r.severity).collect::<Vec<_>>()
    );
}

#[test]
fn a_scanned_revision_carries_its_commit_time_in_json_and_sarif() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q"]);
    write(root, "deploy/web.yaml", PRIV_DEPLOYMENT);
    commit_all_at(root, "first", "2024-02-29T23:30:00+02:00");
    let json = plumbline(root, &["scan", "--format", "json", "--fail-on", "never"]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    assert_eq!(json.json()["target"]["commitTime"], "2024-02-29T21:30:00Z");
    let sarif = plumbline(root, &["scan", "--format", "sarif", "--fail-on", "never"]);
    assert_eq!(
        sarif.json()["runs"][0]["properties"]["commitTime"],
        "2024-02-29T21:30:00Z"
    );
    for (text, name) in [(&json.stdout, "r.json"), (&sarif.stdout, "r.sarif")] {
        let back = read::parse(text.as_bytes(), name).unwrap();
        assert_eq!(back[0].commit_time.as_deref(), Some("2024-02-29T21:30:00Z"));
    }
    // A working-tree scan has no commit, hence no commit time.
    let wt = plumbline(root, &["scan", "--worktree", "--format", "json"]);
    assert!(wt.json()["target"].get("commitTime").is_none());
}
