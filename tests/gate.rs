//! The merge-request gate end to end: `--base` in a real repository (only what a branch
//! introduces is new; moved findings are not), `--baseline` with JSON and SARIF reports,
//! `--format markdown`, and the errors.

mod common;
use common::*;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};

/// Runs plumbline without CI variables, so markdown links come only from `--link-base`.
fn run(dir: &Path, args: &[&str]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_plumbline"));
    cmd.args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    for var in [
        "GITHUB_SERVER_URL",
        "GITHUB_REPOSITORY",
        "GITHUB_SHA",
        "CI_PROJECT_URL",
        "CI_COMMIT_SHA",
    ] {
        cmd.env_remove(var);
    }
    let out = cmd.output().expect("run plumbline");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

const POLICY_ARGS: [&str; 4] = ["--no-builtin", "--policy", "pol", "--category"];

fn scan(dir: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["scan", "."];
    args.extend_from_slice(&POLICY_ARGS);
    // Reports written into the directory are not manifests to scan.
    args.extend_from_slice(&["k8s", "--exclude", "*.json"]);
    args.extend_from_slice(extra);
    run(dir, &args)
}

fn clean(deployment: &str) -> String {
    deployment.replace("privileged: true", "privileged: false")
}

/// The privileged deployment with its name changed, and `extra` lines added to metadata
/// (which moves the finding down without changing it).
fn deployment(name: &str, privileged: bool, extra_labels: usize) -> String {
    let mut text = PRIV_DEPLOYMENT.replace("name: web", &format!("name: {name}"));
    if !privileged {
        text = clean(&text);
    }
    if extra_labels > 0 {
        let labels: String = (0..extra_labels)
            .map(|i| format!("    l{i}: v{i}\n"))
            .collect();
        text = text.replace(
            "  namespace: shop\n",
            &format!("  namespace: shop\n  labels:\n{labels}"),
        );
    }
    text
}

/// `main`: a clean `k8s/web.yaml` and `k8s/legacy.yaml` that already has a finding.
fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    write(d, "pol/priv.rego", PRIV_POLICY);
    write(d, "k8s/web.yaml", &deployment("web", false, 0));
    write(d, "k8s/legacy.yaml", &deployment("legacy", true, 0));
    write(d, "k8s/untouched.yaml", &deployment("untouched", true, 0));
    commit_all(d, "main");
    dir
}

fn findings(report: &Value) -> Vec<&Value> {
    report["findings"].as_array().unwrap().iter().collect()
}

fn state_of<'a>(report: &'a Value, file: &str) -> Vec<&'a str> {
    findings(report)
        .into_iter()
        .filter(|f| f["file"] == file)
        .map(|f| f["baselineState"].as_str().unwrap_or("none"))
        .collect()
}

#[test]
fn base_reports_only_what_the_branch_introduces() {
    let dir = repo();
    let d = dir.path();
    git(d, &["checkout", "-q", "-b", "feature"]);
    write(d, "k8s/web.yaml", &deployment("web", true, 0));
    // The existing finding moves 3 lines down: not new.
    write(d, "k8s/legacy.yaml", &deployment("legacy", true, 3));
    commit_all(d, "privileged web, labels on legacy");

    let r = scan(d, &["--base", "main", "-f", "json"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let report = r.json();
    assert_eq!(
        locations(&report),
        [("k8s/web.yaml".to_string(), 13, 13, "TEST-PRIV".to_string())],
        "exactly the one new finding"
    );
    assert_eq!(findings(&report)[0]["baselineState"], "new");
    let summary = &report["summary"]["baseline"];
    assert_eq!(summary["changedFiles"], 2, "untouched.yaml is not scanned");
    assert_eq!(summary["new"], 1);
    assert_eq!(summary["unchanged"], 1, "the moved legacy finding");
    assert_eq!(summary["notShown"], 1);
    // The merge-request summary goes to the log.
    assert!(
        r.stderr.contains("new findings:  1 (1 high)"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("k8s/web.yaml:13  TEST-PRIV"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("pre-existing:  1"), "{}", r.stderr);

    // Listed on request, with its new line, as unchanged.
    let all = scan(d, &["--base", "main", "--show-preexisting", "-f", "json"]);
    assert_eq!(all.code, 1, "{}", all.stderr);
    let all = all.json();
    assert_eq!(state_of(&all, "k8s/legacy.yaml"), ["unchanged"]);
    let legacy = findings(&all)
        .into_iter()
        .find(|f| f["file"] == "k8s/legacy.yaml")
        .unwrap();
    assert_eq!(legacy["startLine"], 17);

    // Text: the summary says how many pre-existing findings were left out.
    let text = scan(d, &["--base", "main"]);
    assert_eq!(text.code, 1);
    assert!(
        text.stdout.contains("1 new finding (1 high)"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("1 pre-existing or fixed not shown"),
        "{}",
        text.stdout
    );
    assert!(!text.stdout.contains("legacy.yaml:"), "{}", text.stdout);

    // Deterministic; the same result when the branch is named with --rev.
    assert_eq!(scan(d, &["--base", "main", "-f", "json"]).stdout, r.stdout);
    let named = scan(d, &["--base", "main", "-f", "json", "--rev", "feature"]);
    assert_eq!(named.json()["findings"], report["findings"]);
}

#[test]
fn base_passes_a_branch_without_new_problems() {
    let dir = repo();
    let d = dir.path();
    git(d, &["checkout", "-q", "-b", "harmless"]);
    // Touches the file with the known finding, and fixes nothing: still passes.
    write(d, "k8s/legacy.yaml", &deployment("legacy", true, 2));
    write(d, "k8s/new.yaml", &deployment("fresh", false, 0));
    commit_all(d, "labels");
    let r = scan(d, &["--base", "main", "-f", "json"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(findings(&r.json()).is_empty());
    assert!(r.stderr.contains("Result: PASS"), "{}", r.stderr);

    // Fixing the legacy finding counts as fixed.
    write(d, "k8s/legacy.yaml", &deployment("legacy", false, 2));
    commit_all(d, "fix legacy");
    let fixed = scan(d, &["--base", "main", "-f", "json"]);
    assert_eq!(fixed.code, 0, "{}", fixed.stderr);
    assert_eq!(fixed.json()["summary"]["baseline"]["absent"], 1);
}

#[test]
fn base_with_the_working_tree() {
    let dir = repo();
    let d = dir.path();
    git(d, &["checkout", "-q", "-b", "wip"]);
    write(d, "k8s/web.yaml", &deployment("web", true, 0));
    let r = scan(d, &["--worktree", "--base", "main", "-f", "json"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(
        locations(&r.json()),
        [("k8s/web.yaml".to_string(), 13, 13, "TEST-PRIV".to_string())]
    );
    // Committed, the revision scan agrees; the working tree then has nothing new vs HEAD.
    commit_all(d, "wip");
    assert_eq!(scan(d, &["--base", "main"]).code, 1);
    assert_eq!(scan(d, &["--worktree", "--base", "HEAD"]).code, 0);
}

#[test]
fn base_errors_say_what_to_do() {
    let dir = repo();
    let d = dir.path();
    let r = scan(d, &["--base", "no-such-branch"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--base no-such-branch"), "{}", r.stderr);
    assert!(r.stderr.contains("unknown revision"), "{}", r.stderr);
    assert!(r.stderr.contains("fetch-depth: 0"), "{}", r.stderr);

    // An unrelated history: no merge base.
    git(d, &["checkout", "-q", "--orphan", "unrelated"]);
    commit_all(d, "unrelated root");
    let r = scan(d, &["--base", "main"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("no common ancestor"), "{}", r.stderr);

    // Not a repository.
    let plain = tempfile::tempdir().unwrap();
    write(plain.path(), "a.yaml", PRIV_DEPLOYMENT);
    let r = run(plain.path(), &["scan", ".", "--base", "main"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("needs a Git repository"), "{}", r.stderr);
}

/// A working directory at state A (legacy and soon-fixed findings), reported as JSON and
/// SARIF, then moved to state B: legacy moved, one fixed, one new.
fn baseline_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "pol/priv.rego", PRIV_POLICY);
    write(d, "k8s/legacy.yaml", &deployment("legacy", true, 0));
    write(d, "k8s/fixed.yaml", &deployment("fixed", true, 0));
    write(d, "k8s/web.yaml", &deployment("web", false, 0));
    for out in ["base.json", "base.sarif"] {
        let r = scan(d, &["-o", out]);
        assert_eq!(r.code, 1, "{}", r.stderr);
    }
    write(d, "k8s/legacy.yaml", &deployment("legacy", true, 4));
    write(d, "k8s/fixed.yaml", &deployment("fixed", false, 0));
    dir
}

fn check_states(report: &Value) {
    assert_eq!(state_of(report, "k8s/web.yaml"), ["new"]);
    assert_eq!(state_of(report, "k8s/legacy.yaml"), ["unchanged"]);
    assert_eq!(state_of(report, "k8s/fixed.yaml"), ["absent"]);
    let b = &report["summary"]["baseline"];
    assert_eq!(
        (&b["new"], &b["unchanged"], &b["absent"]),
        (&1.into(), &1.into(), &1.into())
    );
    assert_eq!(
        report["summary"]["bySeverity"]["HIGH"], 1,
        "only the new one counts"
    );
}

#[test]
fn baseline_from_json_and_sarif() {
    let dir = baseline_dir();
    let d = dir.path();
    for file in ["base.json", "base.sarif"] {
        // A new finding fails the run.
        write(d, "k8s/web.yaml", &deployment("web", true, 0));
        let r = scan(d, &["--baseline", file, "-f", "json"]);
        assert_eq!(r.code, 1, "{file}: {}", r.stderr);
        check_states(&r.json());
        // Text counts new / known / fixed.
        let text = scan(d, &["--baseline", file]);
        assert!(
            text.stdout
                .contains("1 new finding (1 high) and 1 already in the baseline, 1 fixed"),
            "{}",
            text.stdout
        );
        assert!(text.stdout.contains("(fixed)"), "{}", text.stdout);

        // Without it, the absent finding does not fail the run.
        write(d, "k8s/web.yaml", &deployment("web", false, 0));
        let r = scan(d, &["--baseline", file, "-f", "json"]);
        assert_eq!(r.code, 0, "{file}: {}", r.stdout);
        assert_eq!(state_of(&r.json(), "k8s/fixed.yaml"), ["absent"]);
    }

    write(d, "k8s/web.yaml", &deployment("web", true, 0));
    let r = scan(d, &["--baseline", "base.sarif", "-f", "sarif"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let sarif: Value = serde_json::from_str(&r.stdout).unwrap();
    let mut states: Vec<(String, String)> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|res| {
            (
                res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                res["baselineState"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    states.sort();
    assert_eq!(
        states,
        [
            ("k8s/fixed.yaml".into(), "absent".into()),
            ("k8s/legacy.yaml".into(), "unchanged".into()),
            ("k8s/web.yaml".into(), "new".into()),
        ]
    );
    // Summary to the log when the report goes to a file.
    let r = scan(d, &["--baseline", "base.json", "-o", "out.sarif"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("compared with baseline base.json"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("fixed:         1"), "{}", r.stderr);
}

#[test]
fn unreadable_baseline_is_a_usage_error() {
    let dir = baseline_dir();
    let d = dir.path();
    let r = scan(d, &["--baseline", "missing.json"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("missing.json"), "{}", r.stderr);
    write(d, "bad.json", "{\"not\": \"a report\"}");
    let r = scan(d, &["--baseline", "bad.json"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("bad.json"), "{}", r.stderr);
    assert!(r.stderr.contains("neither a SARIF log"), "{}", r.stderr);
}

const PIPE_POLICY: &str = r#"# METADATA
# title: Config values
# description: Values must not hold <html> or | pipes.
# custom:
#   id: TEST-PIPE
#   severity: MEDIUM
#   remediation: Remove the `value`.
package test.pipe

deny contains res if {
  input.kind == "ConfigMap"
  res := {"msg": sprintf("value %s is not allowed", [input.data.v]), "path": ["data", "v"]}
}
"#;

const CONFIG_MAP: &str = "apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
data:
  v: 'a|b <img src=x> `c`'
";

#[test]
fn markdown_comment_with_links_and_escaping() {
    let dir = repo();
    let d = dir.path();
    write(d, "pol/pipe.rego", PIPE_POLICY);
    write(d, "k8s/cfg.yaml", CONFIG_MAP);
    commit_all(d, "config");
    let sha = git(d, &["rev-parse", "HEAD"]);

    let r = scan(
        d,
        &[
            "-f",
            "markdown",
            "--link-base",
            "https://example.com/o/r/blob/{commit}",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let md = &r.stdout;
    assert!(
        md.starts_with("### Plumbline: 3 findings (2 high, 1 medium)"),
        "{md}"
    );
    assert!(
        md.contains(&format!(
            "(https://example.com/o/r/blob/{sha}/k8s/cfg.yaml#L6)"
        )),
        "{md}"
    );
    assert!(
        md.contains(&format!(
            "(https://example.com/o/r/blob/{sha}/k8s/legacy.yaml#L13)"
        )),
        "{md}"
    );
    assert!(
        md.contains(r"value a\|b &lt;img src=x&gt; \`c\` is not allowed"),
        "{md}"
    );
    assert!(!md.contains("<img"), "{md}");
    assert!(
        md.contains("<details><summary>TEST-PIPE — Config values (MEDIUM)</summary>"),
        "{md}"
    );
    assert!(
        md.contains(r"**Remediation:** Remove the \`value\`."),
        "{md}"
    );
    // Every table row has exactly the five cell borders: the pipe did not split a cell.
    for row in md.lines().filter(|l| l.starts_with("| ")) {
        assert_eq!(row.replace(r"\|", "").matches('|').count(), 5, "{row}");
    }

    // Without a link base: plain path:line; byte-identical on a second run; `.md` output.
    let plain = scan(d, &["-f", "markdown"]);
    assert!(
        plain.stdout.contains("| k8s/cfg.yaml:6 |"),
        "{}",
        plain.stdout
    );
    assert!(!plain.stdout.contains("]("), "{}", plain.stdout);
    assert_eq!(scan(d, &["-f", "markdown"]).stdout, plain.stdout);
    let out = scan(d, &["-o", "comment.md"]);
    assert_eq!(out.code, 1);
    assert_eq!(
        std::fs::read_to_string(d.join("comment.md")).unwrap(),
        plain.stdout
    );

    // With --base: only new findings, and the headline says so.
    git(d, &["checkout", "-q", "-b", "feature"]);
    write(d, "k8s/web.yaml", &deployment("web", true, 0));
    commit_all(d, "privileged");
    let gate = scan(d, &["--base", "main", "-f", "markdown"]);
    assert_eq!(gate.code, 1, "{}", gate.stderr);
    assert!(
        gate.stdout
            .starts_with("### Plumbline: 1 new finding (1 high)"),
        "{}",
        gate.stdout
    );
    assert!(
        gate.stdout.contains("| k8s/web.yaml:13 |"),
        "{}",
        gate.stdout
    );
    assert!(!gate.stdout.contains("legacy.yaml"), "{}", gate.stdout);
}

/// The whole merge-request story: a branch introduces a problem, the gate reports exactly
/// that finding and fails; a waiver without a reason changes nothing; a waiver with a reason,
/// committed on the branch, lets it pass while the finding stays visible as suppressed.
#[test]
fn gate_fails_on_the_new_finding_and_passes_once_it_is_waived_with_a_reason() {
    let dir = repo();
    let d = dir.path();
    git(d, &["checkout", "-q", "-b", "feature"]);
    write(d, "k8s/web.yaml", &deployment("web", true, 0));
    commit_all(d, "privileged web");

    let r = scan(d, &["--base", "main", "-f", "json"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let report = r.json();
    assert_eq!(
        locations(&report),
        [("k8s/web.yaml".to_string(), 13, 13, "TEST-PRIV".to_string())],
        "exactly the new finding; legacy.yaml's is pre-existing and untouched.yaml unscanned"
    );
    assert_eq!(report["summary"]["active"], 1);

    // No reason: the waiver is invalid, reported where it is, and does not apply.
    let no_reason = deployment("web", true, 0).replace(
        "            privileged: true\n",
        "            privileged: true  # plumbline:ignore TEST-PRIV\n",
    );
    write(d, "k8s/web.yaml", &no_reason);
    commit_all(d, "waiver without a reason");
    let r = scan(d, &["--base", "main", "-f", "json"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let report = r.json();
    assert_eq!(report["summary"]["active"], 1);
    let invalid: Vec<&Value> = report["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["code"] == "waiver-invalid")
        .collect();
    assert_eq!(invalid.len(), 1, "{}", r.stdout);
    assert_eq!(invalid[0]["file"], "k8s/web.yaml");
    assert_eq!(invalid[0]["position"]["line"], 13);

    // With a reason, on the line above: the gate passes, and the finding is still there,
    // new, with its justification.
    let waived = deployment("web", true, 0).replace(
        "            privileged: true\n",
        "            # plumbline:ignore TEST-PRIV reason=\"the CNI agent programs the host network\"\n            privileged: true\n",
    );
    write(d, "k8s/web.yaml", &waived);
    commit_all(d, "waive with a reason");
    let r = scan(d, &["--base", "main", "-f", "json"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let report = r.json();
    assert_eq!(report["summary"]["active"], 0);
    assert_eq!(report["summary"]["suppressed"], 1);
    let f = findings(&report);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["baselineState"], "new");
    assert_eq!(
        f[0]["startLine"], 14,
        "the waiver comment moved it one line down"
    );
    assert_eq!(
        f[0]["suppressions"][0]["justification"],
        "the CNI agent programs the host network"
    );
    assert_eq!(f[0]["suppressions"][0]["kind"], "inSource");
    // SARIF keeps it for the security team, as an accepted suppression.
    let sarif = scan(d, &["--base", "main", "-f", "sarif"]);
    assert_eq!(sarif.code, 0, "{}", sarif.stderr);
    let sarif = sarif.json();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["suppressions"][0]["status"], "accepted");
    assert_eq!(results[0]["baselineState"], "new");
}
