//! `scan --tfstate` from the command line without AWS: against the AWS snapshot in
//! `fixtures/aws/drift/snapshot.json` (the fixture account, with SSH opened on the web
//! security group, versioning suspended on the logs bucket and the instance terminated), the
//! usage errors, a broken state beside a good one, and `plumbline aws-policy`.

mod common;

use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/aws/drift")
        .join(name)
}

/// Runs plumbline (nothing here reaches AWS): exit code, stdout, stderr.
fn plumbline(args: &[&str]) -> (i32, String, String) {
    let run = common::plumbline(Path::new(env!("CARGO_MANIFEST_DIR")), args);
    (run.code, run.stdout, run.stderr)
}

/// Scans `dir` (a copy of the fixture or the fixture itself) against the snapshot.
fn scan_snapshot(dir: &Path, state: &Path, extra: &[&str]) -> (i32, String, String) {
    let dir = dir.to_str().unwrap();
    let state = state.to_str().unwrap();
    let snapshot = fixture("snapshot.json");
    let mut args = vec![
        "scan",
        dir,
        "--worktree",
        "--no-config",
        "-q",
        "--tfstate",
        state,
        "--live-snapshot",
        snapshot.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    plumbline(&args)
}

fn drift(report: &Value) -> Vec<(String, String, u64, String)> {
    let mut out: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["ruleId"].as_str().unwrap().starts_with("PL-DRIFT-01"))
        .map(|f| {
            (
                f["ruleId"].as_str().unwrap().to_string(),
                f["subject"]["address"].as_str().unwrap_or("").to_string(),
                f["startLine"].as_u64().unwrap_or(0),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

fn line_of(needle: &str) -> u64 {
    let text = std::fs::read_to_string(fixture("main.tf")).unwrap();
    text.lines().position(|l| l.contains(needle)).unwrap() as u64 + 1
}

#[test]
fn snapshot_drift_points_at_the_hcl_lines_and_is_raised_by_the_live_policy() {
    let (code, out, err) = scan_snapshot(
        &fixture(""),
        &fixture("terraform.tfstate"),
        &["--format", "json", "--fail-on", "never"],
    );
    assert_eq!(code, 0, "{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        drift(&report),
        vec![
            (
                "PL-DRIFT-0101".to_string(),
                "aws_instance.web".to_string(),
                line_of("resource \"aws_instance\" \"web\""),
                "MEDIUM".to_string()
            ),
            (
                "PL-DRIFT-0102".to_string(),
                "aws_s3_bucket_versioning.logs".to_string(),
                line_of("status = \"Enabled\""),
                "MEDIUM".to_string()
            ),
            (
                "PL-DRIFT-0102".to_string(),
                "aws_security_group.web".to_string(),
                line_of("ingress {"),
                // SSH from anywhere: PL-AWS-0009's HIGH, above the drift rule's MEDIUM.
                "HIGH".to_string()
            ),
        ]
    );
    let sg = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["subject"]["address"] == "aws_security_group.web" && f["ruleId"] == "PL-DRIFT-0102"
        })
        .unwrap();
    let message = sg["message"].as_str().unwrap();
    assert!(message.contains("tcp 22-22 cidr 0.0.0.0/0"), "{message}");
    assert!(message.contains("now violates PL-AWS-0009"), "{message}");
    assert_eq!(
        sg["live"],
        "arn:aws:ec2:eu-west-1:123456789012:security-group/sg-0a1b2c3d4e5f60002"
    );
    // The state's type without a drift rule is said, not silently skipped.
    let notes = common::notification_codes(&report);
    assert!(
        notes.iter().any(|c| c == "aws-type-not-checked"),
        "{notes:?}"
    );
}

#[test]
fn sarif_gives_the_arn_as_a_logical_location_and_fingerprints_survive_moved_lines() {
    let sarif = |dir: &Path| -> Value {
        let (code, out, err) = scan_snapshot(
            dir,
            &fixture("terraform.tfstate"),
            &["--format", "sarif", "--fail-on", "never"],
        );
        assert_eq!(code, 0, "{err}");
        serde_json::from_str(&out).unwrap()
    };
    let drift_results = |s: &Value| -> Vec<(String, String, u64)> {
        let mut v: Vec<_> = s["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["ruleId"].as_str().unwrap().starts_with("PL-DRIFT-01"))
            .map(|r| {
                let fp = r["partialFingerprints"]
                    .as_object()
                    .unwrap()
                    .values()
                    .next()
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_string();
                let line = r["locations"][0]["physicalLocation"]["region"]["startLine"]
                    .as_u64()
                    .unwrap();
                (r["ruleId"].as_str().unwrap().to_string(), fp, line)
            })
            .collect();
        v.sort();
        v
    };
    let before = sarif(&fixture(""));
    let results = before["runs"][0]["results"].as_array().unwrap();
    let sg = results
        .iter()
        .find(|r| {
            r["ruleId"] == "PL-DRIFT-0102"
                && r.to_string()
                    .contains("security-group/sg-0a1b2c3d4e5f60002")
        })
        .expect("a SARIF result for the security group");
    let names: Vec<String> = sg["locations"][0]["logicalLocations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["fullyQualifiedName"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(
        names.iter().any(|n| n.contains("arn:aws:ec2:eu-west-1")),
        "{names:?}"
    );

    // The same configuration three lines lower: same fingerprints, lines + 3.
    let moved = tempfile::tempdir().unwrap();
    let tf = std::fs::read_to_string(fixture("main.tf")).unwrap();
    std::fs::write(moved.path().join("main.tf"), format!("# a\n# b\n# c\n{tf}")).unwrap();
    let after = sarif(moved.path());
    let (b, a) = (drift_results(&before), drift_results(&after));
    assert_eq!(b.len(), 3, "{b:?}");
    assert_eq!(b.len(), a.len());
    for ((rb, fb, lb), (ra, fa, la)) in b.iter().zip(&a) {
        assert_eq!((rb, fb), (ra, fa));
        assert_eq!(*la, lb + 3);
    }
}

#[test]
fn a_broken_state_is_an_error_notification_and_the_good_one_is_still_compared() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.tfstate");
    std::fs::write(&broken, "{\"version\": 4, \"resources\": [").unwrap();
    let good = fixture("terraform.tfstate");
    let (code, out, err) = scan_snapshot(
        &fixture(""),
        &good,
        &[
            "--tfstate",
            broken.to_str().unwrap(),
            "--format",
            "json",
            "--fail-on",
            "never",
        ],
    );
    assert_eq!(code, 3, "incomplete: {err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(drift(&report).len(), 3);
    let note = report["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["code"] == "tfstate-error")
        .expect("a tfstate-error notification");
    assert!(note["message"].as_str().unwrap().contains("broken.tfstate"));
    assert_eq!(note["level"], "error");
}

#[test]
fn usage_errors_name_what_to_do() {
    let tf = fixture("");
    let state = fixture("terraform.tfstate");
    let (t, s) = (tf.to_str().unwrap(), state.to_str().unwrap());
    for (args, says) in [
        (vec!["scan", t, "--tfstate", s, "--base", "HEAD"], "--base"),
        (
            vec!["scan", t, "--worktree", "--tfstate", s, "--shard", "1/2"],
            "--shard",
        ),
        (
            vec!["scan", t, "--worktree", "--aws-region", "eu-west-1"],
            "--tfstate",
        ),
        (
            vec![
                "scan",
                t,
                "--worktree",
                "--tfstate",
                "/nonexistent/x.tfstate",
            ],
            "x.tfstate",
        ),
    ] {
        let (code, _, err) = plumbline(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
}

#[test]
fn no_secret_of_the_state_reaches_any_format() {
    let state: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("terraform.tfstate")).unwrap())
            .unwrap();
    let mut secrets = Vec::new();
    for r in state["resources"].as_array().unwrap() {
        for i in r["instances"].as_array().unwrap() {
            let a = &i["attributes"];
            for k in ["secret", "ses_smtp_password_v4"] {
                if let Some(s) = a[k].as_str() {
                    secrets.push(s.to_string());
                }
            }
            if let Some(v) = a["environment"][0]["variables"]["DB_PASSWORD"].as_str() {
                secrets.push(v.to_string());
            }
        }
    }
    assert_eq!(secrets.len(), 3, "{secrets:?}");
    for format in ["json", "sarif", "text", "markdown", "gitlab-sast"] {
        let (_, out, err) = scan_snapshot(
            &fixture(""),
            &fixture("terraform.tfstate"),
            &["--format", format, "--fail-on", "never"],
        );
        for s in &secrets {
            assert!(!out.contains(s.as_str()), "{format} shows a secret");
            assert!(!err.contains(s.as_str()), "{format} stderr shows a secret");
        }
    }
}

fn actions(policy: &Value) -> Vec<String> {
    policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["Action"].as_array().unwrap().iter())
        .map(|a| a.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn aws_policy_is_read_only_and_follows_the_types_and_states() {
    let (code, out, err) = plumbline(&["aws-policy"]);
    assert_eq!(code, 0, "{err}");
    let all: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(all["Version"], "2012-10-17");
    let every = actions(&all);
    for a in &every {
        let verb = a.split(':').nth(1).unwrap();
        assert!(
            ["List", "Get", "Describe"]
                .iter()
                .any(|p| verb.starts_with(p)),
            "{a} is not a read action"
        );
    }
    for needed in [
        "iam:GetAccountAuthorizationDetails",
        "ec2:DescribeSecurityGroups",
        "s3:GetBucketVersioning",
        "sts:GetCallerIdentity",
    ] {
        assert!(
            every.iter().any(|a| a == needed),
            "{needed} missing: {every:?}"
        );
    }

    let (code, out, _) = plumbline(&["aws-policy", "--type", "aws_s3_bucket_versioning"]);
    assert_eq!(code, 0);
    let s3 = actions(&serde_json::from_str(&out).unwrap());
    assert!(s3.iter().any(|a| a == "s3:GetBucketVersioning"), "{s3:?}");
    assert!(
        s3.iter()
            .all(|a| a.starts_with("s3:") || a.starts_with("sts:")),
        "{s3:?}"
    );
    assert!(s3.len() < every.len());

    let (code, out, _) = plumbline(&["aws-policy", "--tfstate", "s3://acme-tf/envs/*.tfstate"]);
    assert_eq!(code, 0);
    let text = out.replace(char::is_whitespace, "");
    assert!(text.contains("\"s3:GetObject\""), "{out}");
    assert!(
        text.contains("arn:aws:s3:::acme-tf/envs/*.tfstate"),
        "{out}"
    );
    assert!(text.contains("\"s3:ListBucket\""), "{out}");

    let (code, _, err) = plumbline(&["aws-policy", "--type", "aws_nope"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("aws_nope") && err.contains("aws_s3_bucket"),
        "{err}"
    );
}

#[test]
fn a_setting_the_snapshot_did_not_read_is_not_compared_and_the_scan_says_so() {
    // A snapshot taken for states that did not compare versioning holds no `Versioning`
    // member for the bucket: a state that declares it cannot be judged against it.
    let mut snap: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("snapshot.json")).unwrap()).unwrap();
    let bucket = snap["aws"][0]["resources"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| r["id"] == "acme-prod-logs")
        .unwrap();
    bucket["body"].as_object_mut().unwrap().remove("Versioning");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("partial.snapshot.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&snap).unwrap()).unwrap();
    let state = fixture("terraform.tfstate");
    let tf = fixture("");
    let (code, out, err) = plumbline(&[
        "scan",
        tf.to_str().unwrap(),
        "--worktree",
        "--no-config",
        "-q",
        "--tfstate",
        state.to_str().unwrap(),
        "--live-snapshot",
        path.to_str().unwrap(),
        "--format",
        "json",
        "--fail-on",
        "never",
    ]);
    assert_eq!(code, 3, "incomplete: {err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let found = drift(&report);
    assert!(
        !found.iter().any(|f| f.1 == "aws_s3_bucket_versioning.logs"),
        "{found:?}"
    );
    assert_eq!(found.len(), 2, "{found:?}");
    let note = report["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["code"] == "aws-not-read")
        .expect("an aws-not-read notification");
    let message = note["message"].as_str().unwrap();
    assert!(
        message.contains("aws_s3_bucket_versioning.versioning_configuration[0].status"),
        "{message}"
    );
}
