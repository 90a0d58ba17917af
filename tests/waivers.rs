//! Waivers (inline comments, annotations, the waiver file) and the configuration file, end
//! to end.

mod common;
use common::*;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};

/// Runs `plumbline` with `PLUMBLINE_TODAY` set, so expiry does not depend on the clock.
fn plumbline_on(dir: &Path, args: &[&str], today: &str) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_plumbline"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("PLUMBLINE_TODAY", today)
        .stdin(Stdio::null())
        .output()
        .expect("run plumbline");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

const TODAY: &str = "2025-03-01";

/// Scans `d` with the test policy only, as JSON.
fn scan(d: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["scan", ".", "--no-builtin", "--policy", "pol", "-f", "json"];
    args.extend_from_slice(extra);
    plumbline_on(d, &args, TODAY)
}

fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "pol/priv.rego", PRIV_POLICY);
    for (path, text) in files {
        write(dir.path(), path, text);
    }
    dir
}

/// A pod with two privileged containers: findings on lines 9 and 13.
const TWO_CONTAINERS: &str = "apiVersion: v1
kind: Pod
metadata:
  name: two
spec:
  containers:
    - name: a
      securityContext:
        privileged: true
    - name: b
      securityContext:
        # plumbline:ignore TEST-PRIV reason=\"needs raw sockets\" until=2025-06-30
        privileged: true
";

/// (file, line, justifications) of every finding.
fn waived(report: &Value) -> Vec<(String, u64, Vec<String>)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let why = f["suppressions"]
                .as_array()
                .map(|s| {
                    s.iter()
                        .map(|s| s["justification"].as_str().unwrap().to_string())
                        .collect()
                })
                .unwrap_or_default();
            (
                f["file"].as_str().unwrap().to_string(),
                f["startLine"].as_u64().unwrap(),
                why,
            )
        })
        .collect()
}

fn notes_with(report: &Value, code: &str) -> Vec<Value> {
    report["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["code"] == code)
        .cloned()
        .collect()
}

#[test]
fn comment_above_the_line_waives_exactly_that_finding() {
    let dir = project(&[("pod.yaml", TWO_CONTAINERS)]);
    let run = scan(dir.path(), &[]);
    assert_eq!(
        run.code, 1,
        "the other container still fails: {}",
        run.stderr
    );
    let r = run.json();
    assert_eq!(
        waived(&r),
        [
            ("pod.yaml".to_string(), 9, vec![]),
            (
                "pod.yaml".to_string(),
                13,
                vec!["needs raw sockets".to_string()]
            ),
        ]
    );
    assert_eq!(r["summary"]["suppressed"], 1);
    let s = &r["findings"][1]["suppressions"][0];
    assert_eq!(s["kind"], "inSource");
    assert_eq!(s["expires"], "2025-06-30");
    assert_eq!(s["location"], "pod.yaml:12");

    // The waived finding is in the SARIF report, accepted, with its justification.
    let sarif = plumbline_on(
        dir.path(),
        &[
            "scan",
            ".",
            "--no-builtin",
            "--policy",
            "pol",
            "-f",
            "sarif",
        ],
        TODAY,
    );
    let v: Value = serde_json::from_str(&sarif.stdout).unwrap();
    let results = v["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    let sup: Vec<&Value> = results
        .iter()
        .filter_map(|r| r.get("suppressions"))
        .collect();
    assert_eq!(sup.len(), 1);
    assert_eq!(sup[0][0]["status"], "accepted");
    assert_eq!(sup[0][0]["justification"], "needs raw sockets");

    // The text report shows it as waived, and counts it apart.
    let text = plumbline_on(
        dir.path(),
        &["scan", ".", "--no-builtin", "--policy", "pol"],
        TODAY,
    );
    assert!(
        text.stdout
            .contains("waived: needs raw sockets (pod.yaml:12"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("1 finding (1 high) and 1 waived"),
        "{}",
        text.stdout
    );
}

#[test]
fn comment_on_the_line_waives_and_the_run_passes() {
    let pod = TWO_CONTAINERS.replace(
        "        privileged: true\n    - name: b",
        "        privileged: true # plumbline:ignore TEST-PRIV reason=\"sidecar\"\n    - name: b",
    );
    let dir = project(&[("pod.yaml", &pod)]);
    let run = scan(dir.path(), &[]);
    assert_eq!(run.code, 0, "both findings are waived: {}", run.stdout);
    let r = run.json();
    assert_eq!(
        waived(&r),
        [
            ("pod.yaml".to_string(), 9, vec!["sidecar".to_string()]),
            (
                "pod.yaml".to_string(),
                13,
                vec!["needs raw sockets".to_string()]
            ),
        ]
    );
    assert!(notes_with(&r, "waiver-stale").is_empty());
}

#[test]
fn header_comment_covers_its_document_only() {
    let stream = format!(
        "# plumbline:ignore * reason=\"legacy, replaced in Q3\"\n{PRIV_DEPLOYMENT}---\n{}",
        PRIV_DEPLOYMENT.replace("name: web", "name: api")
    );
    // The same document in another file is not covered either.
    let dir = project(&[("a.yaml", &stream), ("b.yaml", PRIV_DEPLOYMENT)]);
    let run = scan(dir.path(), &[]);
    assert_eq!(run.code, 1);
    let r = run.json();
    assert_eq!(
        waived(&r),
        [
            (
                "a.yaml".to_string(),
                14,
                vec!["legacy, replaced in Q3".to_string()]
            ),
            ("a.yaml".to_string(), 28, vec![]),
            ("b.yaml".to_string(), 13, vec![]),
        ]
    );

    // Right after the first key works the same way.
    let after = PRIV_DEPLOYMENT.replacen(
        "kind: Deployment",
        "# plumbline:ignore TEST-PRIV reason=\"legacy\"\nkind: Deployment",
        1,
    );
    let dir = project(&[("a.yaml", &after)]);
    let run = scan(dir.path(), &[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
}

#[test]
fn annotation_waives_its_object() {
    let annotated = PRIV_DEPLOYMENT.replace(
        "  namespace: shop\n",
        "  namespace: shop\n  annotations:\n    plumbline.dev/ignore: 'TEST-PRIV reason=\"CNI plugin\"'\n",
    );
    // On the pod template: covers the Deployment too.
    let template = PRIV_DEPLOYMENT.replace(
        "  template:\n",
        "  template:\n    metadata:\n      annotations:\n        plumbline.dev/ignore: TEST-PRIV reason=agent\n",
    );
    let dir = project(&[
        ("a.yaml", &annotated),
        ("t.yaml", &template),
        ("c.yaml", PRIV_DEPLOYMENT),
    ]);
    let run = scan(dir.path(), &[]);
    let r = run.json();
    assert_eq!(
        waived(&r),
        [
            ("a.yaml".to_string(), 15, vec!["CNI plugin".to_string()]),
            ("c.yaml".to_string(), 13, vec![]),
            ("t.yaml".to_string(), 16, vec!["agent".to_string()]),
        ]
    );
    assert_eq!(run.code, 1, "c.yaml is not waived");
}

#[test]
fn invalid_inline_waiver_is_reported_and_does_not_apply() {
    let pod = TWO_CONTAINERS.replace(" reason=\"needs raw sockets\" until=2025-06-30", "");
    let dir = project(&[("pod.yaml", &pod)]);
    let run = scan(dir.path(), &[]);
    assert_eq!(run.code, 1);
    let r = run.json();
    assert_eq!(r["summary"]["suppressed"], 0);
    let bad = notes_with(&r, "waiver-invalid");
    assert_eq!(bad.len(), 1, "{r}");
    assert_eq!(bad[0]["file"], "pod.yaml");
    assert_eq!(bad[0]["position"]["line"], 12);
    assert!(bad[0]["message"]
        .as_str()
        .unwrap()
        .contains("reason is required"));
}

const WAIVER_FILE: &str = "waivers:
  - rule: TEST-PRIV
    path: legacy/**
    reason: Old stack, decommissioned in June
    owner: team-legacy
    expires: 2025-06-30
  - rule: TEST-*
    resource: Deployment/shop/we*
    reason: The web tier runs a privileged sidecar
";

#[test]
fn waiver_file_by_path_and_by_resource() {
    let api = PRIV_DEPLOYMENT.replace("name: web", "name: api");
    let dir = project(&[
        (".plumbline/waivers.yaml", WAIVER_FILE),
        ("legacy/api.yaml", &api),
        ("k8s/web.yaml", PRIV_DEPLOYMENT),
        ("k8s/api.yaml", &api),
    ]);
    let run = scan(dir.path(), &[]);
    let r = run.json();
    assert_eq!(
        waived(&r),
        [
            ("k8s/api.yaml".to_string(), 13, vec![]),
            (
                "k8s/web.yaml".to_string(),
                13,
                vec!["The web tier runs a privileged sidecar".to_string()]
            ),
            (
                "legacy/api.yaml".to_string(),
                13,
                vec!["Old stack, decommissioned in June".to_string()]
            ),
        ]
    );
    let s = &r["findings"][2]["suppressions"][0];
    assert_eq!(s["kind"], "external");
    assert_eq!(s["owner"], "team-legacy");
    assert_eq!(s["location"], ".plumbline/waivers.yaml:2");
    assert_eq!(run.code, 1, "k8s/api.yaml is not waived");
    assert!(notes_with(&r, "waiver-stale").is_empty(), "{r}");

    // --waivers FILE replaces the default file.
    write(dir.path(), "other.yaml", "waivers: []\n");
    let r = scan(dir.path(), &["--waivers", "other.yaml"]).json();
    assert_eq!(r["summary"]["suppressed"], 0);
}

#[test]
fn waiver_file_without_reason_is_a_configuration_error() {
    let bad = "waivers:\n  - rule: TEST-PRIV\n    path: k8s/**\n  - rule: X\n";
    let dir = project(&[
        (".plumbline/waivers.yaml", bad),
        ("k8s/web.yaml", PRIV_DEPLOYMENT),
    ]);
    let run = scan(dir.path(), &[]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stderr.contains(".plumbline/waivers.yaml:2:") && run.stderr.contains("reason"),
        "{}",
        run.stderr
    );
    // An unknown key is named with its line.
    write(
        dir.path(),
        ".plumbline/waivers.yaml",
        "waivers:\n  - rule: TEST-PRIV\n    paths: k8s\n    reason: x\n",
    );
    let run = scan(dir.path(), &[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains(".plumbline/waivers.yaml:3:") && run.stderr.contains("paths"),
        "{}",
        run.stderr
    );
}

#[test]
fn expired_waivers_stop_applying_and_are_reported() {
    let dir = project(&[
        (".plumbline/waivers.yaml", WAIVER_FILE),
        (
            "legacy/api.yaml",
            PRIV_DEPLOYMENT.replace("shop", "old").as_str(),
        ),
        ("pod.yaml", TWO_CONTAINERS),
    ]);
    // The last day a waiver applies is its date.
    let on_the_day = plumbline_on(
        dir.path(),
        &[
            "scan",
            ".",
            "--no-builtin",
            "--policy",
            "pol",
            "-f",
            "json",
            "--include",
            "legacy",
        ],
        "2025-06-30",
    );
    assert_eq!(on_the_day.code, 0, "{}", on_the_day.stdout);

    let after = plumbline_on(
        dir.path(),
        &["scan", ".", "--no-builtin", "--policy", "pol", "-f", "json"],
        "2025-07-01",
    );
    assert_eq!(after.code, 1);
    let r = after.json();
    assert_eq!(r["summary"]["suppressed"], 0, "{r}");
    let expired = notes_with(&r, "waiver-expired");
    let places: Vec<(&str, u64)> = expired
        .iter()
        .map(|n| {
            (
                n["file"].as_str().unwrap(),
                n["position"]["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(places, [(".plumbline/waivers.yaml", 2), ("pod.yaml", 12)]);
    for n in &expired {
        assert_eq!(n["level"], "warning");
        let m = n["message"].as_str().unwrap();
        assert!(m.contains("TEST-PRIV") && m.contains("2025-06-30"), "{m}");
    }
    assert_eq!(r["summary"]["incomplete"], false);

    assert!(plumbline_on(dir.path(), &["scan", "."], "2025-13-01")
        .stderr
        .contains("PLUMBLINE_TODAY"));
}

#[test]
fn unused_waivers_are_stale_only_where_the_scan_looked() {
    let dir = project(&[
        (".plumbline/waivers.yaml", WAIVER_FILE),
        ("legacy/api.yaml", &PRIV_DEPLOYMENT.replace("true", "false")),
        ("k8s/web.yaml", PRIV_DEPLOYMENT),
        (
            "k8s/ok.yaml",
            "# plumbline:ignore TEST-PRIV reason=\"was privileged\"\napiVersion: v1\nkind: Pod\nmetadata:\n  name: ok\nspec:\n  containers: []\n",
        ),
    ]);
    let r = scan(dir.path(), &[]).json();
    let stale: Vec<(String, u64)> = notes_with(&r, "waiver-stale")
        .iter()
        .map(|n| {
            (
                n["file"].as_str().unwrap().to_string(),
                n["position"]["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        stale,
        [
            (".plumbline/waivers.yaml".to_string(), 2),
            ("k8s/ok.yaml".to_string(), 1)
        ]
    );
    // legacy/ is not scanned: its waiver is not stale.
    let r = scan(dir.path(), &["--exclude", "legacy"]).json();
    let stale = notes_with(&r, "waiver-stale");
    assert_eq!(stale.len(), 1, "{stale:?}");
    assert_eq!(stale[0]["file"], "k8s/ok.yaml");
}

#[test]
fn revision_scans_read_the_waiver_file_from_the_revision() {
    let dir = project(&[
        (
            ".plumbline/waivers.yaml",
            "waivers:\n  - rule: TEST-PRIV\n    path: k8s/web.yaml\n    reason: committed\n",
        ),
        ("k8s/web.yaml", PRIV_DEPLOYMENT),
    ]);
    let d = dir.path();
    git(d, &["init", "-q"]);
    commit_all(d, "waived");
    std::fs::remove_file(d.join(".plumbline/waivers.yaml")).unwrap();

    let head = scan(d, &[]);
    assert_eq!(head.code, 0, "{}", head.stdout);
    assert_eq!(
        waived(&head.json()),
        [(
            "k8s/web.yaml".to_string(),
            13,
            vec!["committed".to_string()]
        )]
    );
    // The working tree no longer has it.
    let wt = scan(d, &["--worktree"]);
    assert_eq!(wt.code, 1, "{}", wt.stdout);
}

#[test]
fn configuration_file_sets_defaults_and_the_command_line_wins() {
    let config = "# team defaults
policy: [pol]
builtin: false
fail_on: critical
format: json
exclude: [vendor]
severity:
  TEST-PRIV: CRITICAL
";
    let dir = project(&[
        (".plumbline.yaml", config),
        ("k8s/web.yaml", PRIV_DEPLOYMENT),
        ("vendor/web.yaml", PRIV_DEPLOYMENT),
    ]);
    let d = dir.path();
    let run = plumbline_on(d, &["scan", "."], TODAY);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let r = run.json();
    assert_eq!(r["summary"]["files"], 1, "vendor/ is excluded");
    assert_eq!(r["findings"][0]["severity"], "CRITICAL");
    let rule = r["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == "TEST-PRIV")
        .unwrap();
    assert_eq!(
        rule["severity"], "CRITICAL",
        "the catalog is overridden too"
    );

    // Flags on the command line win over the file.
    let run = plumbline_on(d, &["scan", ".", "--fail-on", "never", "-f", "text"], TODAY);
    assert_eq!(run.code, 0);
    assert!(
        run.stdout.contains("1 finding (1 critical)"),
        "{}",
        run.stdout
    );

    // --no-config ignores it; --config reads another file.
    let run = plumbline_on(d, &["scan", ".", "--no-config", "--no-builtin"], TODAY);
    assert!(run.stdout.contains("no findings"), "{}", run.stdout);
    write(
        d,
        "ci.yaml",
        "policy: [pol]\nbuiltin: false\nfail_on: never\n",
    );
    let run = plumbline_on(d, &["scan", ".", "--config", "ci.yaml"], TODAY);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run.stdout.contains("2 findings"), "{}", run.stdout);
}

#[test]
fn configuration_rules_only_and_disable() {
    let dir = project(&[("k8s/web.yaml", PRIV_DEPLOYMENT)]);
    let d = dir.path();
    write(d, ".plumbline.yaml", "rules:\n  disable: [TEST-*]\n");
    let r = scan(d, &[]).json();
    assert_eq!(r["summary"]["findings"], 0, "{r}");
    write(d, ".plumbline.yaml", "rules:\n  only: [PL-K8S-0003]\n");
    let run = plumbline_on(d, &["scan", ".", "--policy", "pol", "-f", "json"], TODAY);
    let r = run.json();
    let ids: Vec<&str> = r["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["PL-K8S-0003"]);
    assert_eq!(r["summary"]["findings"], 1, "{r}");
}

#[test]
fn unknown_configuration_key_is_exit_2_with_its_line() {
    let dir = project(&[
        (".plumbline.yaml", "fail_on: high\nfail-on: low\n"),
        ("k8s/web.yaml", PRIV_DEPLOYMENT),
    ]);
    let run = plumbline_on(dir.path(), &["scan", "."], TODAY);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains(".plumbline.yaml:2"), "{}", run.stderr);
    assert!(
        run.stderr.contains("fail-on") && run.stderr.contains("fail_on"),
        "names the key and the valid ones: {}",
        run.stderr
    );
}
