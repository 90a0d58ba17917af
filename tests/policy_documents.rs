//! Policies built the ways modules build them — `aws_iam_policy_document` data sources (with
//! `dynamic` statements, source documents and conditions), heredocs and `jsonencode` with
//! values known only after apply — scanned end to end with the built-in library: each public
//! grant is found at the line of the attribute that takes the policy, and what is known only
//! after apply never makes a finding (fixtures/policy_documents); and the same in a
//! CloudFormation template (`Fn::Sub` inside a `PolicyDocument`, and JSON text made by
//! `Fn::Sub` and `Fn::Join`).

mod common;
use common::*;
use std::path::Path;

/// The policy findings of a scan of the fixture: (file, rule, line, address).
fn policy_findings(report: &serde_json::Value) -> Vec<(String, String, u64, String)> {
    const POLICY_RULES: &[&str] = &[
        "PL-AWS-0007",
        "PL-AWS-0008",
        "PL-AWS-0019",
        "PL-AWS-0020",
        "PL-AWS-0021",
        "PL-AWS-0029",
        "PL-AWS-0063",
        "PL-AWS-0077",
        "PL-AWS-0078",
    ];
    let mut out: Vec<(String, String, u64, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| POLICY_RULES.contains(&f["ruleId"].as_str().unwrap()))
        .map(|f| {
            (
                f["file"].as_str().unwrap().to_string(),
                f["ruleId"].as_str().unwrap().to_string(),
                f["startLine"].as_u64().unwrap(),
                f["subject"]["address"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

fn scan_fixture(extra: &[&str]) -> (Run, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/policy_documents");
    for name in ["main.tf", "template.yaml"] {
        let text = std::fs::read_to_string(src.join(name)).unwrap();
        write(dir.path(), name, &text);
    }
    let mut args = vec!["scan", "--worktree", "-f", "json", "."];
    args.extend_from_slice(extra);
    (plumbline(dir.path(), &args), dir)
}

#[test]
fn public_grants_in_built_policies_are_found_at_the_attribute_that_takes_them() {
    let (run, _dir) = scan_fixture(&[]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let report = run.json();
    let s = |file: &str, rule: &str, line: u64, address: &str| {
        (
            file.to_string(),
            rule.to_string(),
            line,
            address.to_string(),
        )
    };
    assert_eq!(
        policy_findings(&report),
        vec![
            // data.aws_iam_policy_document.site (its own PublicRead statement, the TLS
            // statement merged from a source document) through `.json`.
            s("main.tf", "PL-AWS-0008", 53, "aws_s3_bucket_policy.site"),
            // s3:* on a bucket known only after apply (not on every resource: no 0020).
            s("main.tf", "PL-AWS-0019", 176, "aws_iam_policy.deploy"),
            // data.aws_iam_policy_document.assume through `.json`.
            s("main.tf", "PL-AWS-0029", 135, "aws_iam_role.open"),
            // A heredoc whose Resource is known only after apply.
            s("main.tf", "PL-AWS-0063", 62, "aws_sqs_queue_policy.jobs"),
            // jsonencode: the Everyone statement, beside one whose principal is unknown.
            s("main.tf", "PL-AWS-0077", 79, "aws_kms_key.data"),
            // A dynamic statement of data.aws_iam_policy_document.pull (WorldPull).
            s(
                "main.tf",
                "PL-AWS-0078",
                120,
                "aws_ecr_repository_policy.app"
            ),
            // The bucket policy's only statement allows, with a Resource known only after
            // deployment: nothing denies plain HTTP.
            s("template.yaml", "PL-AWS-0007", 6, "Site"),
            // Fn::Sub inside the PolicyDocument object.
            s("template.yaml", "PL-AWS-0008", 12, "SitePolicy"),
            // PolicyDocument: !Sub of JSON text.
            s("template.yaml", "PL-AWS-0063", 25, "JobsPolicy"),
            // KeyPolicy: Fn::Join of JSON text around the account id.
            s("template.yaml", "PL-AWS-0077", 41, "DataKey"),
        ],
        "{}",
        run.stdout
    );
    // The bucket's policy denies plain HTTP (the statement from the source document): no
    // TLS finding; and the restricted role (an unknown organization condition, principals
    // known only after apply) has none either.
    assert!(!report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["subject"]["address"] == "aws_iam_role.restricted"));
}

#[test]
fn a_known_value_where_the_fixture_has_an_unknown_one_changes_only_that_part() {
    // With var.env known, the restricted role's condition is the organization "o-1": still
    // restricted; the findings are the same.
    let (run, _dir) = scan_fixture(&["--var", "env=o-1"]);
    let with_var = policy_findings(&run.json());
    let (run, _dir) = scan_fixture(&[]);
    assert_eq!(with_var, policy_findings(&run.json()));
    assert_eq!(with_var.len(), 10, "{with_var:?}");
}
