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
