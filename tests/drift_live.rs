//! Drift against a live cluster, end to end: `plumbline scan --cluster` and `plumbline
//! snapshot` against the test API server built from the recorded responses of a real
//! Kubernetes API server, with the recorded `declared/` manifests as the repository.

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::apiserver::{recorded_dir, ApiServer};

const CONTEXT: &str = "recorded";

/// A repository directory holding the recorded `declared/` manifests, a kubeconfig for the
/// server, and the server.
struct Case {
    dir: tempfile::TempDir,
    server: ApiServer,
    kubeconfig: PathBuf,
}

impl Case {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        std::fs::create_dir_all(&repo).unwrap();
        for e in std::fs::read_dir(recorded_dir().join("declared"))
            .unwrap()
            .flatten()
        {
            std::fs::copy(e.path(), repo.join(e.file_name())).unwrap();
        }
        let server = ApiServer::start();
        let kubeconfig = server.write_kubeconfig(dir.path(), CONTEXT, None);
        Self {
            dir,
            server,
            kubeconfig,
        }
    }

    fn repo(&self) -> PathBuf {
        self.dir.path().join("repo")
    }

    fn run(&self, args: &[&str]) -> Run {
        let out = Command::new(env!("CARGO_BIN_EXE_plumbline"))
            .args(args)
            .current_dir(self.repo())
            .env("NO_COLOR", "1")
            .env_remove("KUBECONFIG")
            .output()
            .unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// `scan . --no-builtin --cluster recorded --kubeconfig K` plus `extra`.
    fn scan(&self, extra: &[&str]) -> Run {
        let kubeconfig = self.kubeconfig.display().to_string();
        let mut args = vec![
            "scan",
            ".",
            "--no-builtin",
            "--cluster",
            CONTEXT,
            "--kubeconfig",
            &kubeconfig,
        ];
        args.extend_from_slice(extra);
        self.run(&args)
    }

    fn json(&self, extra: &[&str]) -> (i32, Value) {
        let mut args = vec!["-f", "json"];
        args.extend_from_slice(extra);
        let run = self.scan(&args);
        let json = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("{e}: exit {} {}", run.code, run.stderr));
        (run.code, json)
    }

    /// The live object as the server lists it (`list` is the list path), with apiVersion
    /// and kind.
    fn live(&self, list: &str, name: &str, api_version: &str, kind: &str) -> Value {
        let (code, body) = self.server.raw_get(list);
        assert_eq!(code, 200, "{list}: {body}");
        let listed: Value = serde_json::from_str(&body).unwrap();
        let mut v = listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("{name} in {list}"))
            .clone();
        v["apiVersion"] = api_version.into();
        v["kind"] = kind.into();
        v
    }
}

/// Standard base64 of short ASCII (a tiny encoder keeps dependencies out).
fn b64(s: &str) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in s.as_bytes().chunks(3) {
        let n = chunk.iter().fold(0u32, |n, &x| (n << 8) | u32::from(x)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    while !out.len().is_multiple_of(4) {
        out.push('=');
    }
    out
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn drift_findings(report: &Value) -> Vec<&Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["ruleId"].as_str().unwrap().starts_with("PL-DRIFT-"))
        .collect()
}

fn notifications<'a>(report: &'a Value, code: &str) -> Vec<&'a Value> {
    report["notifications"]
        .as_array()
        .map(|n| n.iter().filter(|n| n["code"] == code).collect())
        .unwrap_or_default()
}

/// 1-based line of `line` (trimmed) in the declared file, after `after`.
fn line_in(file: &Path, after: &str, line: &str) -> u64 {
    let text = std::fs::read_to_string(file).unwrap();
    let start = text.find(after).expect("anchor present");
    let before = text[..start].lines().count();
    let offset = text[start..]
        .lines()
        .position(|l| l.trim() == line)
        .expect("line present");
    (before + offset + 1) as u64
}

#[test]
fn the_recorded_cluster_has_no_drift_and_sees_only_reads() {
    let case = Case::new();
    let (code, report) = case.json(&[]);
    assert_eq!(drift_findings(&report), Vec::<&Value>::new());
    assert_eq!(code, 0, "{report:#}");
    let rules: Vec<&str> = report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"PL-DRIFT-0002"), "{rules:?}");
    let requests = case.server.requests();
    assert!(requests.iter().any(|r| r.method == "GET"
        && r.path.ends_with("/deployments")
        && r.query.contains("limit=")));
    for r in &requests {
        let review = r.method == "POST"
            && r.path == "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";
        assert!(r.method == "GET" || review, "not a read: {r:?}");
    }
    // No GET of a single object: lists only.
    assert!(
        !requests
            .iter()
            .any(|r| r.method == "GET" && r.path.ends_with("/deployments/web")),
        "{requests:?}"
    );
}

#[test]
fn a_changed_image_is_one_finding_at_its_line_and_a_deleted_object_one_missing() {
    let case = Case::new();
    let mut web = case.live(
        "/apis/apps/v1/namespaces/demo/deployments",
        "web",
        "apps/v1",
        "Deployment",
    );
    web["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.28".into();
    case.server.set_object(web);
    case.server
        .remove_object("v1", "ConfigMap", Some("demo"), "app-config");
    let (code, report) = case.json(&["--fail-on", "medium"]);
    let found = drift_findings(&report);
    assert_eq!(found.len(), 2, "{found:#?}");
    let declared = case.repo().join("10-workload.yaml");
    let changed = found
        .iter()
        .find(|f| f["ruleId"] == "PL-DRIFT-0002")
        .expect("changed");
    assert_eq!(changed["file"], "10-workload.yaml");
    assert_eq!(
        changed["startLine"].as_u64().unwrap(),
        line_in(&declared, "kind: Deployment", "image: nginx:1.27")
    );
    let message = changed["message"].as_str().unwrap();
    assert!(
        message.contains("nginx:1.28") && message.contains("nginx:1.27"),
        "{message}"
    );
    let missing = found
        .iter()
        .find(|f| f["ruleId"] == "PL-DRIFT-0001")
        .expect("missing");
    assert_eq!(
        missing["startLine"].as_u64().unwrap(),
        line_in(&declared, "kind: ConfigMap", "name: app-config")
    );
    assert_eq!(code, 1);
}

#[test]
fn a_forbidden_kind_makes_the_scan_incomplete_and_the_others_are_still_compared() {
    let case = Case::new();
    case.server.forbid("configmaps");
    let mut web = case.live(
        "/apis/apps/v1/namespaces/demo/deployments",
        "web",
        "apps/v1",
        "Deployment",
    );
    web["spec"]["replicas"] = 5.into();
    case.server.set_object(web);
    let (code, report) = case.json(&[]);
    assert_eq!(code, 3, "{report:#}");
    let forbidden = notifications(&report, "live-forbidden");
    assert!(!forbidden.is_empty(), "{report:#}");
    assert!(forbidden
        .iter()
        .all(|n| n["message"].as_str().unwrap().contains("configmaps")));
    let not_read = notifications(&report, "live-not-read");
    assert!(
        not_read
            .iter()
            .any(|n| n["message"].as_str().unwrap().contains("ConfigMap")),
        "{report:#}"
    );
    let found = drift_findings(&report);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["ruleId"], "PL-DRIFT-0002");
    assert!(found[0]["message"]
        .as_str()
        .unwrap()
        .contains("spec.replicas"));
    // A missing ConfigMap is not claimed: it was not read.
    assert!(!found.iter().any(|f| f["ruleId"] == "PL-DRIFT-0001"));
}

#[test]
fn a_changed_secret_value_is_reported_without_any_value_and_the_snapshot_agrees() {
    let case = Case::new();
    let mut secret = case.live(
        "/api/v1/namespaces/demo/secrets",
        "app-secret",
        "v1",
        "Secret",
    );
    let old = "not-a-real-password";
    let new = "rotated-by-hand-42";
    assert_eq!(
        secret["data"]["password"],
        b64(old),
        "the recording's value"
    );
    secret["data"]["password"] = b64(new).into();
    case.server.set_object(secret);

    let mut outputs = Vec::new();
    for format in [
        "json",
        "sarif",
        "text",
        "markdown",
        "gitlab-sast",
        "codeclimate",
    ] {
        let run = case.scan(&["-f", format, "--color", "never"]);
        assert_eq!(run.code, 1, "{format}: {}", run.stderr);
        outputs.push((format, run.stdout + &run.stderr));
    }
    let (_, json) = case.json(&[]);
    let found = drift_findings(&json);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0]["message"]
        .as_str()
        .unwrap()
        .contains("value differs"));

    // The snapshot of the same cluster gives the same findings offline.
    let kubeconfig = case.kubeconfig.display().to_string();
    let snap = case.dir.path().join("cluster.snapshot.json");
    let snap_arg = snap.display().to_string();
    let run = case.run(&[
        "snapshot",
        ".",
        "--cluster",
        CONTEXT,
        "--kubeconfig",
        &kubeconfig,
        "-o",
        &snap_arg,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("written to"), "{}", run.stderr);
    let offline = case.run(&[
        "scan",
        ".",
        "--no-builtin",
        "--live-snapshot",
        &snap_arg,
        "-f",
        "json",
    ]);
    let offline: Value = serde_json::from_str(&offline.stdout).unwrap();
    let fingerprints = |r: &Value| -> Vec<String> {
        drift_findings(r)
            .iter()
            .map(|f| format!("{} {}", f["fingerprint"], f["message"]))
            .collect()
    };
    assert_eq!(fingerprints(&offline), fingerprints(&json));
    outputs.push(("snapshot", std::fs::read_to_string(&snap).unwrap()));

    for (what, text) in outputs {
        for value in [old.to_string(), new.to_string(), b64(old), b64(new)] {
            assert!(!value.is_empty());
            assert!(!text.contains(&value), "{what} holds a secret value");
        }
    }
}

#[test]
fn an_unknown_context_is_a_usage_error_naming_it() {
    let case = Case::new();
    let kubeconfig = case.kubeconfig.display().to_string();
    let run = case.run(&[
        "scan",
        ".",
        "--cluster",
        "no-such-context",
        "--kubeconfig",
        &kubeconfig,
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("no-such-context"), "{}", run.stderr);
    assert!(case.server.requests().is_empty());
}
