//! List keys from the cluster's OpenAPI v3: the reader against the test API server (the
//! recorded `/openapi/v3` index, and the real apps/v1 document trimmed in
//! `fixtures/openapi/`), and drift end to end with keys that only the server knows.

mod support;

use plumbline::live::kubernetes::{read_clusters, ClusterTarget, ReadOptions};
use plumbline::live::{KindRequest, LiveCluster};
use plumbline::model::NoteLevel;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;
use support::apiserver::{recorded_dir, ApiServer, Recorded};

const CONTEXT: &str = "recorded";
const SSAR: &str = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";

fn req(api_version: &str, kind: &str) -> KindRequest {
    KindRequest {
        api_version: api_version.into(),
        kind: kind.into(),
        namespaces: ["demo".to_string()].into_iter().collect(),
    }
}

struct Env {
    server: ApiServer,
    dir: tempfile::TempDir,
    kubeconfig: PathBuf,
}

impl Env {
    fn new() -> Env {
        let server = ApiServer::start();
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = server.write_kubeconfig(dir.path(), CONTEXT, None);
        Env {
            server,
            dir,
            kubeconfig,
        }
    }

    fn read(&self, requests: &[KindRequest]) -> LiveCluster {
        let target = ClusterTarget {
            context: Some(CONTEXT.into()),
            kubeconfig: Some(self.kubeconfig.clone()),
        };
        let opts = ReadOptions {
            request_timeout: Duration::from_secs(10),
            ..ReadOptions::default()
        };
        read_clusters(&[target], requests, &opts)
            .pop()
            .unwrap()
            .expect("cluster readable")
    }

    /// A repository with the recorded `declared/` manifests, `extra` files added.
    fn repo(&self, extra: &[(&str, &str)]) -> PathBuf {
        let repo = self.dir.path().join("repo");
        std::fs::create_dir_all(&repo).unwrap();
        for e in std::fs::read_dir(recorded_dir().join("declared"))
            .unwrap()
            .flatten()
        {
            std::fs::copy(e.path(), repo.join(e.file_name())).unwrap();
        }
        for (name, text) in extra {
            std::fs::write(repo.join(name), text).unwrap();
        }
        repo
    }

    /// `plumbline ARGS -f json` in `repo`: exit code and report.
    fn run_json(&self, repo: &PathBuf, args: &[&str]) -> (i32, Value) {
        let out = Command::new(env!("CARGO_BIN_EXE_plumbline"))
            .args(args)
            .args(["-f", "json"])
            .current_dir(repo)
            .env("NO_COLOR", "1")
            .env_remove("KUBECONFIG")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let report = serde_json::from_str(&stdout).unwrap_or_else(|e| {
            panic!("{e}: {}", String::from_utf8_lossy(&out.stderr));
        });
        (out.status.code().unwrap_or(-1), report)
    }

    fn scan(&self, repo: &PathBuf) -> (i32, Value) {
        let kubeconfig = self.kubeconfig.display().to_string();
        self.run_json(
            repo,
            &[
                "scan",
                ".",
                "--no-builtin",
                "--cluster",
                CONTEXT,
                "--kubeconfig",
                &kubeconfig,
            ],
        )
    }
}

fn keys_of<'a>(c: &'a LiveCluster, kind: &str, path: &str) -> Option<&'a Vec<String>> {
    c.list_keys
        .iter()
        .find(|k| k.kind == kind)
        .and_then(|k| k.lists.get(path))
}

fn openapi_gets(reqs: &[Recorded]) -> Vec<&Recorded> {
    reqs.iter()
        .filter(|r| r.path.starts_with("/openapi/"))
        .collect()
}

fn assert_only_reads(reqs: &[Recorded]) {
    for r in reqs {
        assert!(
            r.method == "GET" || (r.method == "POST" && r.path == SSAR),
            "not a read: {r:?}"
        );
    }
}

fn drift_findings(report: &Value) -> Vec<&Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["ruleId"].as_str().unwrap().starts_with("PL-DRIFT-"))
        .collect()
}

fn openapi_notes(report: &Value) -> Vec<&Value> {
    report["notifications"]
        .as_array()
        .map(|n| n.iter().filter(|n| n["code"] == "live-openapi").collect())
        .unwrap_or_default()
}

#[test]
fn keys_of_a_declared_kind_come_from_the_served_document() {
    let e = Env::new();
    let c = e.read(&[req("apps/v1", "Deployment")]);
    assert!(c.notifications.is_empty(), "{:?}", c.notifications);
    let pod = "/spec/template/spec";
    let key = |p: &str| keys_of(&c, "Deployment", &format!("{pod}{p}")).cloned();
    assert_eq!(key("/containers"), Some(vec!["name".to_string()]));
    assert_eq!(
        key("/containers/*/ports"),
        Some(vec!["containerPort".to_string(), "protocol".to_string()])
    );
    assert_eq!(key("/initContainers/*/env"), Some(vec!["name".to_string()]));
    assert_eq!(
        key("/containers/*/volumeMounts"),
        Some(vec!["mountPath".to_string()])
    );
    assert_eq!(
        key("/topologySpreadConstraints"),
        Some(vec![
            "topologyKey".to_string(),
            "whenUnsatisfiable".to_string()
        ])
    );
    // `merge,retainKeys` is a merge strategy too.
    assert_eq!(key("/volumes"), Some(vec!["name".to_string()]));
    // Atomic lists have no keys (the built-in table still applies to them).
    assert_eq!(key("/tolerations"), None);
    assert_eq!(key("/containers/*/resizePolicy"), None);
    assert_eq!(c.list_keys.len(), 1, "{:?}", c.list_keys);

    let reqs = e.server.requests();
    assert_only_reads(&reqs);
    let index: Value = serde_json::from_slice(
        &std::fs::read(recorded_dir().join("discovery/openapi_v3_index.json")).unwrap(),
    )
    .unwrap();
    let url = index["paths"]["apis/apps/v1"]["serverRelativeURL"]
        .as_str()
        .unwrap();
    let got: Vec<String> = openapi_gets(&reqs)
        .iter()
        .map(|r| format!("{} {}?{}", r.method, r.path, r.query))
        .collect();
    assert_eq!(got, ["GET /openapi/v3?".to_string(), format!("GET {url}")]);
    assert_eq!(c.requests, reqs.len());
}

#[test]
fn only_declared_group_versions_are_fetched_and_unserved_ones_are_a_note() {
    let e = Env::new();
    let requests = [
        req("apps/v1", "Deployment"),
        req("v1", "ConfigMap"),
        req("v1", "Service"),
        req("rbac.authorization.k8s.io/v1", "Role"),
    ];
    let c = e.read(&requests);
    let reqs = e.server.requests();
    assert_only_reads(&reqs);
    let paths: Vec<&str> = openapi_gets(&reqs)
        .iter()
        .map(|r| r.path.as_str())
        .collect();
    let unique: BTreeSet<&str> = paths.iter().copied().collect();
    assert_eq!(paths.len(), unique.len(), "each document once: {paths:?}");
    assert_eq!(
        unique,
        BTreeSet::from([
            "/openapi/v3",
            "/openapi/v3/api/v1",
            "/openapi/v3/apis/apps/v1",
            "/openapi/v3/apis/rbac.authorization.k8s.io/v1",
        ])
    );
    // The test server has no core or RBAC document: those kinds keep the built-in keys.
    assert_eq!(c.notifications.len(), 1, "{:?}", c.notifications);
    let n = &c.notifications[0];
    assert_eq!(
        (n.level, n.code.as_str()),
        (NoteLevel::Note, "live-openapi")
    );
    assert!(
        n.message.contains("v1: GET /openapi/v3/api/v1"),
        "{}",
        n.message
    );
    assert!(
        n.message.contains("rbac.authorization.k8s.io/v1"),
        "{}",
        n.message
    );
    assert!(n.message.contains("built-in list keys"), "{}", n.message);
    assert!(keys_of(&c, "Deployment", "/spec/template/spec/containers").is_some());
    // Everything was still listed.
    assert_eq!(c.complete.len(), 4, "{:?}", c.complete);
}

#[test]
fn a_stale_hash_is_redirected_and_followed() {
    let e = Env::new();
    let doc: Value = serde_json::from_slice(
        &std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures/openapi/apis__apps__v1_openapi.json"),
        )
        .unwrap(),
    )
    .unwrap();
    e.server
        .set_openapi_doc_with_hash("apis/apps/v1", &doc, "NEWER");
    let c = e.read(&[req("apps/v1", "Deployment")]);
    assert!(c.notifications.is_empty(), "{:?}", c.notifications);
    assert!(keys_of(&c, "Deployment", "/spec/template/spec/containers").is_some());
    let reqs = e.server.requests();
    let docs: Vec<&str> = openapi_gets(&reqs)
        .iter()
        .filter(|r| r.path == "/openapi/v3/apis/apps/v1")
        .map(|r| r.query.as_str())
        .collect();
    assert_eq!(docs.len(), 2, "{docs:?}");
    assert_eq!(docs[1], "hash=NEWER");
}

#[test]
fn an_unusable_index_falls_back_with_a_note_or_warning_never_an_error() {
    for (status, level) in [
        (404, NoteLevel::Note),
        (403, NoteLevel::Warning),
        (500, NoteLevel::Warning),
        (200, NoteLevel::Warning), // unreadable JSON
    ] {
        let e = Env::new();
        e.server.fail_openapi_index(status);
        let c = e.read(&[req("apps/v1", "Deployment"), req("v1", "Service")]);
        assert!(c.list_keys.is_empty(), "{status}: {:?}", c.list_keys);
        assert_eq!(c.notifications.len(), 1, "{status}: {:?}", c.notifications);
        let n = &c.notifications[0];
        assert_eq!((n.level, n.code.as_str()), (level, "live-openapi"), "{n:?}");
        assert!(n.message.contains("built-in list keys"), "{}", n.message);
        // The objects are read all the same, and no group document was asked for.
        assert_eq!(c.complete.len(), 2, "{status}: {:?}", c.complete);
        let reqs = e.server.requests();
        assert_only_reads(&reqs);
        let gets = openapi_gets(&reqs);
        // 500 is retried like any request; the others are asked once.
        assert!(gets.iter().all(|r| r.path == "/openapi/v3"), "{gets:?}");
        if status != 500 {
            assert_eq!(gets.len(), 1, "{status}: {gets:?}");
        }
    }
}

#[test]
fn without_openapi_the_recorded_declarations_still_have_no_drift() {
    let e = Env::new();
    e.server.fail_openapi_index(404);
    let repo = e.repo(&[]);
    let (code, report) = e.scan(&repo);
    assert_eq!(drift_findings(&report), Vec::<&Value>::new());
    assert_eq!(code, 0, "{report:#}");
    let notes = openapi_notes(&report);
    assert_eq!(notes.len(), 1, "{report:#}");
    assert_eq!(notes[0]["level"], "note", "{notes:?}");
    assert_only_reads(&e.server.requests());
}

/// A Widget schema as an API server publishes a CRD's: `spec.gadgets` is a list keyed by
/// `id`, which no built-in rule knows. (Synthetic: the recordings hold no such CRD.)
fn widget_document() -> Value {
    json!({"components": {"schemas": {"com.example.v1.Widget": {
        "type": "object",
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"allOf": [{"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}]},
            "spec": {"type": "object", "properties": {
                "gadgets": {
                    "type": "array",
                    "x-kubernetes-list-type": "map",
                    "x-kubernetes-list-map-keys": ["id"],
                    "items": {"type": "object", "properties": {
                        "id": {"type": "string"},
                        "size": {"type": "integer"}
                    }}
                },
                "owner": {"type": "string"}
            }}
        },
        "x-kubernetes-group-version-kind": [{"group": "example.com", "kind": "Widget", "version": "v1"}]
    }}}})
}

#[test]
fn keys_only_the_server_knows_decide_how_a_custom_list_is_compared() {
    const WIDGET: &str = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: sample\n  namespace: demo\nspec:\n  owner: team-a\n  gadgets:\n  - id: a\n    size: 1\n  - id: b\n    size: 2\n";
    let gadgets_changed = |report: &Value| -> usize {
        drift_findings(report)
            .iter()
            .filter(|f| f["message"].as_str().unwrap_or("").contains("gadgets"))
            .count()
    };
    for served in [false, true] {
        let e = Env::new();
        let repo = e.repo(&[("30-widget.yaml", WIDGET)]);
        // The live Widget holds the same gadgets in another order (as a controller that
        // merges by key may leave them).
        let (status, body) = e
            .server
            .raw_get("/apis/example.com/v1/namespaces/demo/widgets?limit=500");
        assert_eq!(status, 200);
        let listed: Value = serde_json::from_str(&body).unwrap();
        let mut live = listed["items"][0].clone();
        live["apiVersion"] = "example.com/v1".into();
        live["kind"] = "Widget".into();
        live["spec"]["gadgets"] = json!([{"id": "b", "size": 2}, {"id": "a", "size": 1}]);
        e.server.set_object(live);
        if served {
            e.server
                .set_openapi_doc("apis/example.com/v1", &widget_document());
        }
        let (code, report) = e.scan(&repo);
        assert_only_reads(&e.server.requests());
        if served {
            // Matched by `id`: the same gadgets, no drift.
            assert_eq!(drift_findings(&report), Vec::<&Value>::new(), "{report:#}");
            assert_eq!(code, 0, "{report:#}");
            // The snapshot keeps the keys: the offline comparison agrees.
            let kubeconfig = e.kubeconfig.display().to_string();
            let snap = e.dir.path().join("cluster.snapshot.json");
            let snap_arg = snap.display().to_string();
            let out = Command::new(env!("CARGO_BIN_EXE_plumbline"))
                .args(["snapshot", ".", "--cluster", CONTEXT, "--kubeconfig"])
                .args([&kubeconfig, "-o", &snap_arg])
                .current_dir(&repo)
                .env_remove("KUBECONFIG")
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let (_, offline) = e.run_json(
                &repo,
                &["scan", ".", "--no-builtin", "--live-snapshot", &snap_arg],
            );
            assert_eq!(
                drift_findings(&offline),
                Vec::<&Value>::new(),
                "{offline:#}"
            );
        } else {
            // Without the server's keys the list is compared by position: both items differ.
            assert!(gadgets_changed(&report) >= 2, "{report:#}");
        }
    }
}
