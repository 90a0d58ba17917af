//! Conftest compatibility, `# METADATA`, `policy test` and `policy list`.

mod common;
use common::*;

const DEPLOY_ROOT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: can-run-as-root
spec:
  template:
    spec:
      containers:
        - name: app
          image: nginx:latest
";

#[test]
fn conftest_v0_library_runs_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // The classic conftest example policies, in Rego v0 syntax.
    write(
        d,
        "policy/deny.rego",
        r#"package main

deny[msg] {
  input.kind == "Deployment"
  not input.spec.template.spec.securityContext.runAsNonRoot
  msg := "Containers must not run as root"
}

deny_run_as_root[msg] {
  input.kind == "Deployment"
  msg := "run as root (suffixed rule)"
}

warn[msg] {
  input.kind == "Deployment"
  endswith(input.spec.template.spec.containers[_].image, ":latest")
  msg := "image uses latest"
}

violation[{"msg": msg, "details": {}}] {
  input.kind == "Deployment"
  msg := "a violation object"
}

exception[rules] {
  input.kind == "Deployment"
  input.metadata.name == "can-run-as-root"
  rules := ["run_as_root"]
}
"#,
    );
    write(d, "d.yaml", DEPLOY_ROOT);
    let run = plumbline(
        d,
        &[
            "scan",
            ".",
            "--no-builtin",
            "--policy",
            "policy",
            "--rego-v0",
            "-f",
            "json",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let r = run.json();
    let mut msgs: Vec<(String, String, String)> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["message"].as_str().unwrap().to_string(),
                f["level"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    msgs.sort();
    assert_eq!(
        msgs,
        [
            (
                "Containers must not run as root".into(),
                "error".into(),
                "HIGH".into()
            ),
            ("a violation object".into(), "error".into(), "HIGH".into()),
            ("image uses latest".into(), "warning".into(), "LOW".into()),
        ],
        "deny_run_as_root is excepted"
    );
    assert!(r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["ruleId"] == "main"));

    // Without --rego-v0 the same library is a load error naming the file.
    let run = plumbline(d, &["scan", ".", "--no-builtin", "--policy", "policy"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("policy/deny.rego:"), "{}", run.stderr);
}

#[test]
fn metadata_becomes_rule_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "p/r.rego", "# METADATA\n# title: Images must be pinned\n# description: Mutable tags change under you.\n# related_resources:\n#   - https://example.invalid/pinning\n# custom:\n#   id: ORG-001\n#   severity: critical\n#   remediation: Use a digest.\n#   frameworks: [org-baseline]\npackage org.pinning\n\nwarn contains {\"msg\": \"not pinned\", \"path\": \"spec.template.spec.containers[0].image\"} if {\n  input.kind == \"Deployment\"\n}\n");
    write(d, "d.yaml", DEPLOY_ROOT);
    let run = plumbline(
        d,
        &["scan", ".", "--no-builtin", "--policy", "p", "-f", "sarif"],
    );
    assert_eq!(run.code, 1);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let rule = &v["runs"][0]["tool"]["driver"]["rules"][0];
    assert_eq!(rule["id"], "ORG-001");
    assert_eq!(rule["name"], "ImagesMustBePinned");
    assert_eq!(rule["shortDescription"]["text"], "Images must be pinned");
    assert_eq!(
        rule["fullDescription"]["text"],
        "Mutable tags change under you."
    );
    assert_eq!(rule["helpUri"], "https://example.invalid/pinning");
    assert!(rule["help"]["markdown"]
        .as_str()
        .unwrap()
        .contains("Use a digest."));
    assert_eq!(rule["properties"]["security-severity"], "9.5");
    assert_eq!(
        rule["properties"]["tags"],
        serde_json::json!(["security", "org-baseline"])
    );
    let res = &v["runs"][0]["results"][0];
    // A warn rule is at most a SARIF warning even when its severity is critical.
    assert_eq!(res["level"], "warning");
    assert_eq!(
        res["locations"][0]["physicalLocation"]["region"]["startLine"],
        10
    );

    let list = plumbline(d, &["policy", "list", "--no-builtin", "--policy", "p"]);
    assert!(
        list.stdout.contains("ORG-001") && list.stdout.contains("CRITICAL"),
        "{}",
        list.stdout
    );
}

#[test]
fn bad_metadata_is_a_load_error_with_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "p/r.rego", "# METADATA\n# custom:\n#   severity: catastrophic\npackage x\n\ndeny contains \"x\" if { false }\n");
    write(d, "d.yaml", DEPLOY_ROOT);
    let run = plumbline(d, &["scan", ".", "--no-builtin", "--policy", "p"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("p/r.rego:2") && run.stderr.contains("catastrophic"),
        "{}",
        run.stderr
    );
}

#[test]
fn policy_test_runs_tests_like_opa() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "p/r.rego",
        "package r\n\ndeny contains \"root\" if { input.user == \"root\" }\n",
    );
    write(d, "p/r_test.rego", "package r_test\n\nimport data.r\n\ntest_root_denied if {\n  count(r.deny) == 1 with input as {\"user\": \"root\"}\n}\n\ntest_alice_allowed if {\n  count(r.deny) == 0 with input as {\"user\": \"alice\"}\n}\n");
    let run = plumbline(d, &["policy", "test", "p", "-v"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("data.r_test.test_root_denied: PASS"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("2 passed, 0 failed"), "{}", run.stdout);

    write(d, "p/r_bad_test.rego", "package r_bad_test\n\nimport data.r\n\ntest_wrong if {\n  print(\"checking alice\")\n  count(r.deny) == 1 with input as {\"user\": \"alice\"}\n}\n");
    let run = plumbline(d, &["policy", "test", "p"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains("data.r_bad_test.test_wrong: FAIL"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("checking alice"),
        "failure output is shown: {}",
        run.stdout
    );
    assert!(run.stdout.contains("2 passed, 1 failed"), "{}", run.stdout);
    let only = plumbline(d, &["policy", "test", "p", "--run", "alice"]);
    assert!(
        only.stdout.contains("1 passed, 0 failed"),
        "{}",
        only.stdout
    );
}

#[test]
fn extensions_are_available_to_policies() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "p/net.rego", "package netcheck\n\ndeny contains msg if {\n  some cidr in input.spec.cidrs\n  net.cidr_intersects(cidr, \"10.0.0.0/8\")\n  msg := sprintf(\"%s overlaps 10/8, merged %v\", [cidr, net.cidr_merge(input.spec.cidrs)])\n}\n");
    write(d, "n.yaml", "apiVersion: example.com/v1\nkind: Net\nmetadata: {name: n}\nspec:\n  cidrs: [\"10.1.0.0/16\", \"10.0.0.0/16\", \"192.168.0.0/24\"]\n");
    let run = plumbline(
        d,
        &["scan", ".", "--no-builtin", "--policy", "p", "-f", "json"],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let r = run.json();
    assert_eq!(r["findings"].as_array().unwrap().len(), 2);
    assert!(
        r["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("10.0.0.0/15"),
        "{}",
        r["findings"][0]
    );
}
