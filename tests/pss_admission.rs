//! Pod Security admission per namespace, end to end: the level and version of each mode from
//! the `pod-security.kubernetes.io/*` labels of a Namespace in Git (`fixtures/pss-admission/`)
//! or of the live namespace (the test API server), the admission configuration's defaults and
//! exemptions (`--pss-admission-config`), the "would be rejected at admission" rule on a
//! Deployment, a CronJob and a bare Pod, `--pss-level`/`--pss-version`, and the drift of the
//! labels themselves.

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::apiserver::ApiServer;

const REJECTED: &str = "PL-K8S-0042";
const LABEL_DRIFT: &str = "PL-DRIFT-0004";

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/pss-admission/git")
}

/// `plumbline scan DIR --worktree -f json --fail-on never` plus `extra`, in `dir`.
fn scan_in(dir: &Path, extra: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_plumbline"))
        .args([
            "scan",
            ".",
            "--worktree",
            "-f",
            "json",
            "--fail-on",
            "never",
        ])
        .args(extra)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("KUBECONFIG")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: exit {:?}\n{}\n{stdout}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// The findings of `rule` on the object named `name`: (line, message).
fn of(report: &Value, rule: &str, name: &str) -> Vec<(u64, String)> {
    let mut v: Vec<(u64, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["ruleId"] == rule)
        .filter(|f| f["resource"]["name"] == name)
        .map(|f| {
            (
                f["startLine"].as_u64().unwrap(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

/// The Pod Security rules: the controls and the admission rule.
fn is_pss_rule(id: &str) -> bool {
    let n: u32 = id
        .strip_prefix("PL-K8S-")
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    (1..=17).contains(&n) || (40..=42).contains(&n)
}

/// Every Pod Security rule with a finding on the object named `name`.
fn rules_on(report: &Value, name: &str) -> Vec<String> {
    let mut v: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["resource"]["name"] == name)
        .filter(|f| is_pss_rule(f["ruleId"].as_str().unwrap()))
        .map(|f| f["ruleId"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v.dedup();
    v
}

fn severity_of(report: &Value, rule: &str) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["ruleId"] == rule)
        .map(|f| f["severity"].as_str().unwrap().to_string())
        .collect()
}

fn line_of(file: &str, needle: &str, after: &str) -> u64 {
    let text = std::fs::read_to_string(fixture().join(file)).unwrap();
    let start = text.find(after).unwrap();
    let before = text[..start].matches('\n').count();
    (before
        + text[start..]
            .lines()
            .position(|l| l.contains(needle))
            .unwrap()
        + 1) as u64
}

#[test]
fn labels_from_git_choose_level_version_and_mode_per_namespace() {
    let report = scan_in(&fixture(), &[]);
    // prod enforces baseline v1.28: the Deployment's ReplicaSet, the CronJob's Jobs and the
    // bare Pod would be refused, each at the violating field.
    let web = of(&report, REJECTED, "web");
    let privileged = line_of("workloads.yaml", "privileged: true", "name: web");
    let sysctl = line_of("workloads.yaml", "tcp_keepalive_time", "name: web");
    assert_eq!(
        web.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
        vec![sysctl, privileged],
        "{web:?}"
    );
    assert!(web.iter().all(|(_, m)| m
        .contains("Would be rejected at admission in namespace prod (enforce baseline v1.28")
        && m.contains("the Deployment's ReplicaSet would fail to create its pods")));
    let report_job = of(&report, REJECTED, "report");
    assert_eq!(report_job.len(), 1, "{report_job:?}");
    assert!(report_job[0]
        .1
        .contains("the pods of the CronJob's Jobs would fail to create"));
    assert!(report_job[0].1.contains("hostPID"));
    let debug = of(&report, REJECTED, "debug");
    assert_eq!(debug.len(), 1, "{debug:?}");
    assert!(debug[0].1.contains("the API server would reject this Pod"));
    assert!(severity_of(&report, REJECTED).iter().all(|s| s == "HIGH"));

    // The sysctl became safe in v1.29: it fails the enforced v1.28, not the warned latest.
    let sysctls = of(&report, "PL-K8S-0011", "web");
    assert_eq!(sysctls.len(), 1);
    assert!(
        sysctls[0]
            .1
            .ends_with("[namespace prod: enforce baseline v1.28]"),
        "{sysctls:?}"
    );
    // A field failing both modes says so; restricted-only fields are warnings only.
    let privileged_finding = of(&report, "PL-K8S-0003", "web");
    assert!(privileged_finding[0]
        .1
        .ends_with("[namespace prod: enforce baseline v1.28, warn restricted latest]"));
    let seccomp = of(&report, "PL-K8S-0016", "web");
    assert!(seccomp[0]
        .1
        .ends_with("[namespace prod: warn restricted latest]"));
    assert!(of(&report, REJECTED, "web")
        .iter()
        .all(|(_, m)| !m.contains("seccomp")));

    // legacy only audits baseline: the privileged container is reported (normal severity,
    // the mode noted), nothing is rejected and no restricted control applies.
    assert_eq!(rules_on(&report, "old"), vec!["PL-K8S-0003".to_string()]);
    assert!(of(&report, "PL-K8S-0003", "old")[0]
        .1
        .ends_with("[namespace legacy: audit baseline latest]"));
    // A namespace without labels keeps the scan's own level, without a mode.
    let plain = rules_on(&report, "plain");
    assert!(
        plain.contains(&"PL-K8S-0003".to_string()) && plain.contains(&"PL-K8S-0016".to_string())
    );
    assert!(of(&report, "PL-K8S-0003", "plain")[0]
        .1
        .ends_with("(securityContext.privileged is true)"));
    assert!(!plain.contains(&REJECTED.to_string()));
}

#[test]
fn the_flags_cap_the_level_and_set_the_servers_version() {
    // --pss-level baseline: no restricted control anywhere, even where a label warns at it.
    let report = scan_in(&fixture(), &["--pss-level", "baseline"]);
    for name in ["web", "report", "debug", "plain"] {
        for rule in ["PL-K8S-0013", "PL-K8S-0014", "PL-K8S-0016", "PL-K8S-0017"] {
            assert!(of(&report, rule, name).is_empty(), "{rule} on {name}");
        }
    }
    assert_eq!(of(&report, REJECTED, "web").len(), 2);
    // --pss-version v1.25 is the API server's version: the labels' `latest` means v1.25, and
    // prod's v1.28 is evaluated as v1.25 (a server does not know newer versions).
    let report = scan_in(&fixture(), &["--pss-version", "v1.25"]);
    let privileged = of(&report, "PL-K8S-0003", "web");
    assert!(privileged[0]
        .1
        .ends_with("[namespace prod: enforce baseline v1.28, warn restricted latest]"));
    let rejected = of(&report, REJECTED, "web");
    assert!(
        rejected
            .iter()
            .any(|(_, m)| m.contains("Standards v1.25 (it is safe from v1.29)")),
        "{rejected:?}"
    );
    // Bad values are usage errors naming the flag's accepted values.
    let out = Command::new(env!("CARGO_BIN_EXE_plumbline"))
        .args(["scan", ".", "--pss-version", "1.25"])
        .current_dir(fixture())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("use latest or v1.N"));
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const WORKLOADS: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: team}
spec:
  template:
    spec:
      containers:
        - name: api
          image: api:1
          securityContext: {privileged: true}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: team}
spec:
  schedule: '0 1 * * *'
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: job
              image: job:1
              securityContext: {privileged: true}
---
apiVersion: v1
kind: Pod
metadata: {name: sandboxed, namespace: team}
spec:
  runtimeClassName: kata
  containers:
    - name: s
      image: s:1
      securityContext: {privileged: true}
---
apiVersion: v1
kind: Pod
metadata: {name: system, namespace: kube-system}
spec:
  hostNetwork: true
  containers:
    - name: s
      image: s:1
";

#[test]
fn the_admission_configuration_gives_defaults_and_exemptions() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    write(&repo, "workloads.yaml", WORKLOADS);
    let config = write(
        dir.path(),
        "admission.yaml",
        "apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
  - name: PodSecurity
    configuration:
      apiVersion: pod-security.admission.config.k8s.io/v1
      kind: PodSecurityConfiguration
      defaults:
        enforce: baseline
        enforce-version: latest
      exemptions:
        usernames: [system:serviceaccount:kube-system:job-controller]
        runtimeClasses: [kata]
        namespaces: [kube-system]
",
    );
    let config = config.display().to_string();
    let report = scan_in(&repo, &["--pss-admission-config", &config]);
    // team has no labels: the configuration's default enforces baseline.
    let api = of(&report, REJECTED, "api");
    assert_eq!(api.len(), 1, "{api:?}");
    assert!(api[0]
        .1
        .contains("(enforce baseline latest, from the defaults of"));
    assert!(of(&report, "PL-K8S-0003", "api")[0]
        .1
        .ends_with("[namespace team: enforce baseline latest]"));
    // Only enforce is defaulted (audit and warn stay privileged): no restricted control.
    assert!(of(&report, "PL-K8S-0016", "api").is_empty());
    // The job controller is exempt: the CronJob's pods are not rejected (the violation is
    // still reported, with a note).
    assert!(of(&report, REJECTED, "nightly").is_empty());
    assert_eq!(of(&report, "PL-K8S-0003", "nightly").len(), 1);
    // An exempt runtime class and an exempt namespace: not checked at all, and noted.
    assert!(
        rules_on(&report, "sandboxed").is_empty(),
        "{:?}",
        rules_on(&report, "sandboxed")
    );
    assert!(rules_on(&report, "system").is_empty());
    let notes: Vec<&str> = report["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["code"] == "pss-exempt")
        .map(|n| n["message"].as_str().unwrap())
        .collect();
    assert!(
        notes
            .iter()
            .any(|m| m.contains("namespace kube-system is exempt")),
        "{notes:?}"
    );
    assert!(notes
        .iter()
        .any(|m| m.contains("runtime class kata is exempt")));
    assert!(notes.iter().any(|m| m.contains("job-controller is exempt")));

    // Without the configuration, the same files get the scan's own level and no rejection.
    let plain = scan_in(&repo, &[]);
    assert!(of(&plain, REJECTED, "api").is_empty());
    assert!(!of(&plain, "PL-K8S-0016", "api").is_empty());
    assert!(rules_on(&plain, "system").contains(&"PL-K8S-0002".to_string()));

    // A bad configuration is a usage error naming the file and line.
    let bad = write(
        dir.path(),
        "bad.yaml",
        "apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\ndefaults:\n  enforce: strict\n",
    );
    let out = Command::new(env!("CARGO_BIN_EXE_plumbline"))
        .args(["scan", ".", "--worktree", "--pss-admission-config"])
        .arg(&bad)
        .current_dir(&repo)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.yaml:4: defaults.enforce:"), "{err}");
}

#[test]
fn live_namespace_labels_apply_and_weaker_live_labels_are_drift() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    // team is not declared in Git: its live labels decide. demo is declared with stronger
    // labels than it has live.
    write(&repo, "workloads.yaml", WORKLOADS);
    write(
        &repo,
        "demo.yaml",
        "apiVersion: v1
kind: Namespace
metadata:
  name: demo
  labels:
    kubernetes.io/metadata.name: demo
    pod-security.kubernetes.io/enforce: restricted
    pod-security.kubernetes.io/warn: restricted
    pod-security.kubernetes.io/warn-version: v1.30
",
    );
    let server = ApiServer::start();
    server.set_object(serde_json::json!({
        "apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": "team", "labels": {
            "kubernetes.io/metadata.name": "team",
            "pod-security.kubernetes.io/enforce": "baseline",
            "pod-security.kubernetes.io/enforce-version": "v1.30",
        }},
    }));
    server.set_object(serde_json::json!({
        "apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": "demo", "labels": {
            "kubernetes.io/metadata.name": "demo",
            "pod-security.kubernetes.io/enforce": "baseline",
            "pod-security.kubernetes.io/warn": "restricted",
            "pod-security.kubernetes.io/warn-version": "v1.30",
        }},
    }));
    let kubeconfig = server.write_kubeconfig(dir.path(), "recorded", None);
    let kubeconfig = kubeconfig.display().to_string();
    let report = scan_in(
        &repo,
        &["--cluster", "recorded", "--kubeconfig", &kubeconfig],
    );
    let api = of(&report, REJECTED, "api");
    assert_eq!(api.len(), 1, "{api:?}");
    assert!(api[0].1.contains(
        "namespace team (enforce baseline v1.30, from the labels of the live namespace team)"
    ));
    assert_eq!(of(&report, REJECTED, "nightly").len(), 1);
    // The label drift: enforce weaker live (baseline < restricted), warn the same.
    let drift = of(&report, LABEL_DRIFT, "demo");
    assert_eq!(drift.len(), 1, "{drift:?}");
    let text = std::fs::read_to_string(repo.join("demo.yaml")).unwrap();
    let line = text
        .lines()
        .position(|l| l.contains("pod-security.kubernetes.io/enforce:"))
        .unwrap() as u64
        + 1;
    assert_eq!(drift[0].0, line);
    assert!(drift[0]
        .1
        .contains("labelled enforce baseline latest but Git declares enforce restricted latest"));
    assert_eq!(severity_of(&report, LABEL_DRIFT), vec!["HIGH".to_string()]);
    assert!(report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["id"] == LABEL_DRIFT));
    // The scan only read.
    // The scan only read (an access review asks what may be read, and changes nothing), and
    // it listed the namespaces.
    let requests = server.requests();
    for r in &requests {
        let review = r.method == "POST"
            && r.path == "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";
        assert!(r.method == "GET" || review, "not a read: {r:?}");
    }
    assert!(requests
        .iter()
        .any(|r| r.method == "GET" && r.path == "/api/v1/namespaces"));
}

#[test]
fn an_invalid_label_fails_closed_with_a_warning_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "ns.yaml",
        "apiVersion: v1
kind: Namespace
metadata:
  name: team
  labels:
    pod-security.kubernetes.io/enforce: strict
---
apiVersion: v1
kind: Pod
metadata: {name: app, namespace: team}
spec:
  containers:
    - name: app
      image: app:1
",
    );
    let report = scan_in(dir.path(), &[]);
    // As admission does, the enforce mode is restricted at the latest version.
    let rejected = of(&report, REJECTED, "app");
    assert!(!rejected.is_empty());
    assert!(rejected
        .iter()
        .all(|(_, m)| m.contains("(enforce restricted latest,")));
    let notes: Vec<&Value> = report["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["code"] == "pss-label-invalid")
        .collect();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0]["level"], "warning");
    assert_eq!(
        notes[0]["line"]
            .as_u64()
            .or(notes[0]["position"]["line"].as_u64()),
        Some(6),
        "{:?}",
        notes[0]
    );
    assert!(notes[0]["message"]
        .as_str()
        .unwrap()
        .contains("\"strict\" is not a Pod Security level"));
}

/// `plumbline scan` of `dir` against `server`; the exit code and the report.
fn scan_cluster(dir: &Path, server: &ApiServer) -> (Option<i32>, Value) {
    let kubeconfig = server.write_kubeconfig(dir, "recorded", None);
    let out = Command::new(env!("CARGO_BIN_EXE_plumbline"))
        .args([
            "scan",
            ".",
            "--worktree",
            "-f",
            "json",
            "--fail-on",
            "never",
        ])
        .args(["--cluster", "recorded", "--kubeconfig"])
        .arg(&kubeconfig)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("KUBECONFIG")
        .output()
        .unwrap();
    let report = serde_json::from_str(&String::from_utf8_lossy(&out.stdout)).unwrap();
    (out.status.code(), report)
}

#[test]
fn namespaces_that_may_not_be_listed_are_a_warning_not_an_incomplete_scan() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "workloads.yaml", WORKLOADS);
    let server = ApiServer::start();
    server.set_object(serde_json::json!({
        "apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": "team", "labels": {"pod-security.kubernetes.io/enforce": "baseline"}},
    }));
    let (code, report) = scan_cluster(dir.path(), &server);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(of(&report, REJECTED, "api").len(), 1);
    server.forbid("namespaces");
    let (code, report) = scan_cluster(dir.path(), &server);
    assert_eq!(code, Some(0), "{report:#}");
    // Without the labels, team keeps the scan's own level: nothing is rejected, and a
    // warning says why.
    assert!(of(&report, REJECTED, "api").is_empty());
    let warned = report["notifications"].as_array().unwrap().iter().any(|n| {
        n["level"] == "warning"
            && n["message"]
                .as_str()
                .unwrap()
                .contains("Pod Security labels of the live namespaces of cluster recorded")
    });
    assert!(warned, "{:#}", report["notifications"]);
}
