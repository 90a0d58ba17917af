//! Drift against snapshots built from the recorded responses of a real API server
//! (../shared/k8s-recorded): missing, changed and unmanaged objects, secrets, incomplete
//! reads, stable fingerprints and the snapshot file itself.

mod common;
use common::*;
use plumbline::drift::secret::HashKey;
use plumbline::drift::snapshot;
use plumbline::live::{KindScope, LiveCluster, LiveObject};
use plumbline::model::ResourceId;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

const CLUSTER: &str = "recorded";
const SECRET_VALUE: &str = "not-a-real-password";
const NEW_SECRET_VALUE: &str = "rotated-by-hand-9f3";

fn shared() -> PathBuf {
    std::env::var_os("PLUMBLINE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"))
}

fn recorded() -> PathBuf {
    let dir = shared().join("k8s-recorded");
    assert!(
        dir.join("lists").is_dir(),
        "{} is missing: the recorded API responses are needed (set PLUMBLINE_SHARED)",
        dir.display()
    );
    dir
}

/// The cluster as the recorded cluster-wide lists show it: every item with its
/// `apiVersion` and `kind` filled in (list items lack them), each list a complete scope.
fn recorded_cluster() -> LiveCluster {
    let lists = recorded().join("lists");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&lists)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy().to_string();
            n.ends_with(".json")
                && !n.starts_with("ns-")
                && !n.contains(".readonly.")
                && !n.contains(".table.")
        })
        .collect();
    names.sort();
    let mut cluster = LiveCluster {
        name: CLUSTER.into(),
        server: "https://127.0.0.1:6443".into(),
        ..LiveCluster::default()
    };
    for path in names {
        let list: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let api_version = list["apiVersion"].as_str().unwrap().to_string();
        let kind = list["kind"]
            .as_str()
            .unwrap()
            .trim_end_matches("List")
            .to_string();
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        let resource = stem.rsplit('_').next().unwrap().to_string();
        let (group, version) = match api_version.split_once('/') {
            Some((g, v)) => (g.to_string(), v.to_string()),
            None => (String::new(), api_version.clone()),
        };
        let items = list["items"].as_array().unwrap();
        let namespaced = !matches!(
            kind.as_str(),
            "Namespace" | "CustomResourceDefinition" | "ClusterRole" | "ClusterRoleBinding"
        );
        cluster.complete.push(KindScope {
            group,
            version,
            kind: kind.clone(),
            resource,
            namespaced,
            namespace: None,
        });
        for item in items {
            let mut body = item.clone();
            body["apiVersion"] = json!(api_version);
            body["kind"] = json!(kind);
            cluster.objects.push(object(body));
        }
    }
    cluster.objects.sort_by(|a, b| a.id.cmp(&b.id));
    cluster
}

fn object(body: Value) -> LiveObject {
    let meta = &body["metadata"];
    LiveObject {
        id: ResourceId {
            api_version: body["apiVersion"].as_str().unwrap().into(),
            kind: body["kind"].as_str().unwrap().into(),
            namespace: meta["namespace"].as_str().map(str::to_string),
            name: meta["name"].as_str().unwrap().into(),
        },
        body,
    }
}

fn live_mut<'a>(c: &'a mut LiveCluster, kind: &str, ns: &str, name: &str) -> &'a mut Value {
    &mut c
        .objects
        .iter_mut()
        .find(|o| o.id.kind == kind && o.id.namespace.as_deref() == Some(ns) && o.id.name == name)
        .unwrap_or_else(|| panic!("{kind} {ns}/{name} is in the recording"))
        .body
}

/// The documents of declared/10-workload.yaml whose kind is in `kinds`, in file order.
fn declared_docs(kinds: &[&str]) -> String {
    let text = std::fs::read_to_string(recorded().join("declared/10-workload.yaml")).unwrap();
    text.split("\n---\n")
        .filter(|d| {
            d.lines()
                .any(|l| kinds.iter().any(|k| l.trim() == format!("kind: {k}")))
        })
        .map(|d| d.trim_end().to_string())
        .collect::<Vec<_>>()
        .join("\n---\n")
        + "\n"
}

/// A directory holding `manifest` as deploy/app.yaml, and a snapshot of `cluster`.
struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    fn new(manifest: &str, cluster: LiveCluster) -> Self {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "repo/deploy/app.yaml", manifest);
        snapshot::write(
            &dir.path().join("snap.json"),
            vec![cluster],
            &HashKey::random(),
        )
        .unwrap();
        Self { dir }
    }

    fn repo(&self) -> PathBuf {
        self.dir.path().join("repo")
    }

    fn snapshot_path(&self) -> String {
        self.dir.path().join("snap.json").display().to_string()
    }

    fn scan(&self, extra: &[&str]) -> Run {
        let snap = self.snapshot_path();
        let mut args = vec!["scan", ".", "--live-snapshot", &snap];
        if !extra.contains(&"--fail-on") {
            args.extend(["--fail-on", "never"]);
        }
        args.extend_from_slice(extra);
        plumbline(&self.repo(), &args)
    }

    fn json(&self, extra: &[&str]) -> Value {
        let mut args = vec!["-f", "json"];
        args.extend_from_slice(extra);
        let run = self.scan(&args);
        assert!(
            run.code == 0 || run.code == 3,
            "exit {}: {}",
            run.code,
            run.stderr
        );
        run.json()
    }
}

fn drift_findings(report: &Value) -> Vec<Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["ruleId"].as_str().unwrap().starts_with("PL-DRIFT-"))
        .cloned()
        .collect()
}

/// 1-based line of the first line of `text` equal to `line` once trimmed, after `after`.
fn line_of(text: &str, after: &str, line: &str) -> u64 {
    let start = text.find(after).expect("anchor present");
    let before = text[..start].lines().count();
    let offset = text[start..]
        .lines()
        .position(|l| l.trim() == line)
        .expect("line present");
    (before + offset + 1) as u64
}

fn simple_manifest() -> String {
    declared_docs(&["Deployment", "ConfigMap"])
}

#[test]
fn an_unchanged_snapshot_of_a_simple_case_has_no_drift() {
    let case = Case::new(&simple_manifest(), recorded_cluster());
    let run = case.scan(&["-f", "json", "--no-builtin", "--fail-on", "low"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let r = run.json();
    assert_eq!(drift_findings(&r), Vec::<Value>::new());
    assert_eq!(r["notifications"], json!([]));
    let rules: Vec<&str> = r["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    assert!(
        rules.contains(&"PL-DRIFT-0001") && rules.contains(&"PL-DRIFT-0002"),
        "{rules:?}"
    );
    assert!(!rules.contains(&"PL-DRIFT-0003"), "only with --unmanaged");
}

fn cluster_with_new_image() -> LiveCluster {
    let mut c = recorded_cluster();
    let web = live_mut(&mut c, "Deployment", "demo", "web");
    web["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:1.28-hotfix");
    web["metadata"]["managedFields"]
        .as_array_mut()
        .unwrap()
        .push(json!({
            "manager": "kubectl-edit", "operation": "Update", "apiVersion": "apps/v1",
            "time": "2026-11-23T03:14:00Z", "fieldsType": "FieldsV1",
            "fieldsV1": {"f:spec": {"f:template": {"f:spec": {"f:containers": {
                "k:{\"name\":\"nginx\"}": {"f:image": {}}}}}}}
        }));
    c
}

#[test]
fn a_changed_image_is_one_finding_at_the_declared_line() {
    let manifest = simple_manifest();
    let case = Case::new(&manifest, cluster_with_new_image());
    let r = case.json(&[]);
    let found = drift_findings(&r);
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = &found[0];
    assert_eq!(f["ruleId"], "PL-DRIFT-0002");
    assert_eq!(f["file"], "deploy/app.yaml");
    assert_eq!(
        f["startLine"].as_u64().unwrap(),
        line_of(&manifest, "kind: Deployment", "image: nginx:1.27")
    );
    assert_eq!(f["startColumn"], 9, "the `image` key's column");
    assert_eq!(f["fieldPath"], "spec.template.spec.containers[0].image");
    assert_eq!(f["live"], "recorded/demo/Deployment/web");
    let m = f["message"].as_str().unwrap();
    for part in [
        "\"nginx:1.28-hotfix\"",
        "\"nginx:1.27\"",
        "kubectl-edit",
        "2026-11-23T03:14:00Z",
    ] {
        assert!(m.contains(part), "{part} in {m}");
    }
}

#[test]
fn an_inline_waiver_accepts_drift_like_any_finding() {
    let manifest = simple_manifest().replace(
        "image: nginx:1.27",
        "image: nginx:1.27 # plumbline:ignore PL-DRIFT-0002 reason=\"hot fix, INC-42\"",
    );
    let case = Case::new(&manifest, cluster_with_new_image());
    let run = case.scan(&["-f", "json", "--fail-on", "low", "--no-builtin"]);
    assert_eq!(
        run.code, 0,
        "waived drift does not fail the run: {}",
        run.stderr
    );
    let found = drift_findings(&run.json());
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0]["suppressions"][0]["justification"],
        "hot fix, INC-42"
    );
}

#[test]
fn a_deleted_object_is_one_missing_finding_at_its_name() {
    let manifest = simple_manifest();
    let mut c = recorded_cluster();
    c.objects
        .retain(|o| !(o.id.kind == "ConfigMap" && o.id.name == "app-config"));
    let case = Case::new(&manifest, c);
    let found = drift_findings(&case.json(&[]));
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = &found[0];
    assert_eq!(f["ruleId"], "PL-DRIFT-0001");
    assert_eq!(
        f["startLine"].as_u64().unwrap(),
        line_of(&manifest, "kind: ConfigMap", "name: app-config")
    );
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("ConfigMap demo/app-config"),
        "{f}"
    );
}

fn configmap(ns: &str, name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": name, "namespace": ns, "uid": "u-1"}, "data": {"k": "v"}})
}

#[test]
fn an_undeclared_object_is_unmanaged_only_when_asked_and_never_when_owned() {
    let mut c = recorded_cluster();
    c.objects.push(object(configmap("demo", "hand-made")));
    let mut owned = configmap("demo", "owned-by-web");
    owned["metadata"]["ownerReferences"] = json!([{
        "apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": "x"}]);
    c.objects.push(object(owned));
    // Outside the declared namespaces: not looked at by default.
    c.objects
        .push(object(configmap("paging-extra", "elsewhere")));
    let case = Case::new(&simple_manifest(), c);

    assert_eq!(drift_findings(&case.json(&[])), Vec::<Value>::new());

    let r = case.json(&["--unmanaged"]);
    let found = drift_findings(&r);
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = &found[0];
    assert_eq!(f["ruleId"], "PL-DRIFT-0003");
    assert_eq!(f["file"], "");
    assert_eq!(f["live"], "recorded/demo/ConfigMap/hand-made");
    assert_eq!(f["resource"]["name"], "hand-made");
    assert!(r["rules"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["id"] == "PL-DRIFT-0003"));

    // A namespace given explicitly replaces the default scope.
    let r = case.json(&["--unmanaged", "--unmanaged-namespace", "paging"]);
    let live: Vec<&str> = drift_findings(&r)
        .iter()
        .map(|f| f["live"].as_str().unwrap().to_string())
        .map(|s| Box::leak(s.into_boxed_str()) as &str)
        .collect();
    assert!(
        live.iter().all(|l| l.starts_with("recorded/paging/")),
        "{live:?}"
    );
    assert_eq!(
        live.len(),
        30,
        "the 30 recorded ConfigMaps of namespace paging"
    );

    // SARIF: a logical location; the artifact (GitHub shows no result without one) is the
    // live object under the %LIVE% base, never an empty or repository path; valid.
    let run = case.scan(&["-f", "sarif", "--unmanaged"]);
    let log: Value = serde_json::from_str(&run.stdout).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    let r = results
        .iter()
        .find(|r| r["ruleId"] == "PL-DRIFT-0003")
        .expect("an unmanaged result");
    let loc = &r["locations"][0];
    let artifact = &loc["physicalLocation"]["artifactLocation"];
    assert_eq!(artifact["uriBaseId"], "%LIVE%", "{loc}");
    assert_eq!(artifact["uri"], "recorded/demo/ConfigMap/hand-made");
    assert!(log["runs"][0]["originalUriBaseIds"]["%LIVE%"].is_object());
    assert_eq!(loc["logicalLocations"][0]["kind"], "resource");
    assert_eq!(
        loc["logicalLocations"][0]["fullyQualifiedName"],
        "recorded/demo/ConfigMap/hand-made"
    );
    assert!(
        !run.stdout.contains("\"uri\": \"\""),
        "no empty artifact path"
    );
    assert_eq!(sarif_schema_errors(&log), Vec::<String>::new());

    // Read back (merge, baselines, HTML): the live location and the identity survive.
    let dir = case.dir.path();
    std::fs::write(dir.join("u.sarif"), &run.stdout).unwrap();
    let back = plumbline::report::read::read(&dir.join("u.sarif")).unwrap();
    let f = back[0]
        .findings
        .iter()
        .find(|f| f.rule_id == "PL-DRIFT-0003")
        .unwrap();
    assert_eq!(f.file, "");
    assert_eq!(f.live.as_deref(), Some("recorded/demo/ConfigMap/hand-made"));
    assert_eq!(f.resource.as_ref().unwrap().api_version, "v1");
    assert_eq!(f.resource.as_ref().unwrap().name, "hand-made");

    // The JSON report validates with a finding that has no file.
    let json_run = case.scan(&["-f", "json", "--unmanaged"]);
    assert_eq!(json_schema_errors(&json_run.json()), Vec::<String>::new());
    // Text names where it lives.
    let text = case.scan(&["--unmanaged"]).stdout;
    assert!(text.contains("recorded/demo/ConfigMap/hand-made"), "{text}");
    // GitLab's reports stay valid: no file in SAST, the live location as code quality path.
    let sast: Value =
        serde_json::from_str(&case.scan(&["-f", "gitlab-sast", "--unmanaged"]).stdout).unwrap();
    assert_eq!(
        schema_errors("gitlab-sast-report-format-15.2.1.json", &sast),
        Vec::<String>::new()
    );
    let v = sast["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["identifiers"][0]["value"] == "PL-DRIFT-0003")
        .unwrap();
    assert_eq!(v["location"], json!({}));
    let cq: Value =
        serde_json::from_str(&case.scan(&["-f", "codeclimate", "--unmanaged"]).stdout).unwrap();
    assert_eq!(
        schema_errors("codeclimate-issues.json", &cq),
        Vec::<String>::new()
    );
    let issue = cq
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["check_name"] == "PL-DRIFT-0003")
        .unwrap();
    assert_eq!(
        issue["location"]["path"],
        "recorded/demo/ConfigMap/hand-made"
    );
    // The security-team page, from the JSON report.
    std::fs::write(dir.join("u.json"), json_run.stdout.as_bytes()).unwrap();
    let html = plumbline(dir, &["report", "u.json"]);
    assert_eq!(html.code, 0, "{}", html.stderr);
    assert!(html.stdout.contains("recorded/demo/ConfigMap/hand-made"));
}

fn schema_errors(name: &str, instance: &Value) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/schemas")
        .join(name);
    let schema: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    validator
        .iter_errors(instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

#[test]
fn a_label_selector_scopes_unmanaged_objects_anywhere() {
    let mut c = recorded_cluster();
    let mut labelled = configmap("team-b", "labelled");
    labelled["metadata"]["labels"] = json!({"app": "web", "tier": "front"});
    c.objects.push(object(labelled));
    let mut other = configmap("team-b", "other-app");
    other["metadata"]["labels"] = json!({"app": "db"});
    c.objects.push(object(other));
    let case = Case::new(&simple_manifest(), c);
    let r = case.json(&["--unmanaged", "--unmanaged-selector", "app=web,tier=front"]);
    let live: Vec<Value> = drift_findings(&r)
        .iter()
        .map(|f| f["live"].clone())
        .collect();
    assert_eq!(live, [json!("recorded/team-b/ConfigMap/labelled")]);
    // Both: the namespace and the labels must match.
    let r = case.json(&[
        "--unmanaged",
        "--unmanaged-selector",
        "app=web",
        "--unmanaged-namespace",
        "demo",
    ]);
    assert_eq!(drift_findings(&r), Vec::<Value>::new());
    // Options that make no sense alone are usage errors.
    let run = plumbline(&case.repo(), &["scan", ".", "--unmanaged"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--live-snapshot"), "{}", run.stderr);
    let run = case.scan(&["--unmanaged", "--unmanaged-selector", "app"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("key=value"), "{}", run.stderr);
    let run = case.scan(&["--shard", "1/2", "--unmanaged"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    // A base from the configuration file is refused too (the command line's is, by clap).
    write(&case.repo(), ".plumbline.yaml", "base: main\n");
    let run = case.scan(&[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--base"), "{}", run.stderr);
}

#[test]
fn every_cluster_of_a_snapshot_is_compared_and_its_read_problems_reported() {
    let manifest = simple_manifest();
    let mut prod = cluster_with_new_image();
    prod.name = "prod".into();
    let mut stage = recorded_cluster();
    stage.name = "stage".into();
    stage
        .notifications
        .push(plumbline::model::Notification::new(
            plumbline::model::NoteLevel::Error,
            "live-forbidden",
            "cluster stage: listing networkpolicies was forbidden (403)",
        ));
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "repo/app.yaml", &manifest);
    let snap = dir.path().join("s.json");
    snapshot::write(&snap, vec![prod, stage], &HashKey::random()).unwrap();
    let run = plumbline(
        &dir.path().join("repo"),
        &[
            "scan",
            ".",
            "-f",
            "json",
            "--live-snapshot",
            snap.to_str().unwrap(),
        ],
    );
    assert_eq!(
        run.code, 3,
        "the reader's error makes the scan incomplete: {}",
        run.stderr
    );
    let r = run.json();
    let found = drift_findings(&r);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["live"], "prod/demo/Deployment/web");
    assert!(found[0]["message"]
        .as_str()
        .unwrap()
        .contains("in cluster prod"));
    let notes = r["notifications"].as_array().unwrap();
    assert!(
        notes.iter().any(|n| n["code"] == "live-forbidden"),
        "{notes:#?}"
    );
}

#[test]
fn a_changed_secret_says_only_that_it_differs_in_every_format_and_the_snapshot() {
    let manifest = declared_docs(&["Secret"]);
    assert!(
        manifest.contains(SECRET_VALUE),
        "the recording declares the test value"
    );
    let mut c = recorded_cluster();
    let secret = live_mut(&mut c, "Secret", "demo", "app-secret");
    let b64 = |s: &str| {
        // The test needs base64 of short ASCII; a tiny encoder keeps dependencies out.
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let b = s.as_bytes();
        let mut out = String::new();
        for chunk in b.chunks(3) {
            let n =
                chunk.iter().fold(0u32, |n, &x| (n << 8) | u32::from(x)) << (8 * (3 - chunk.len()));
            for i in 0..=chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        while !out.len().is_multiple_of(4) {
            out.push('=');
        }
        out
    };
    assert_eq!(
        b64(SECRET_VALUE),
        "bm90LWEtcmVhbC1wYXNzd29yZA==",
        "the encoder is right"
    );
    secret["data"]["password"] = json!(b64(NEW_SECRET_VALUE));
    let annotation = "kubectl.kubernetes.io/last-applied-configuration";
    let applied = secret["metadata"]["annotations"][annotation]
        .as_str()
        .unwrap()
        .replace(SECRET_VALUE, NEW_SECRET_VALUE);
    secret["metadata"]["annotations"][annotation] = json!(applied);
    let case = Case::new(&manifest, c);

    let snap = std::fs::read_to_string(case.snapshot_path()).unwrap();
    let forbidden = [
        SECRET_VALUE.to_string(),
        NEW_SECRET_VALUE.to_string(),
        b64(SECRET_VALUE),
        b64(NEW_SECRET_VALUE),
    ];
    for f in &forbidden {
        assert!(!snap.contains(f.as_str()), "the snapshot holds {f}");
    }

    let r = case.json(&[]);
    let found = drift_findings(&r);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["ruleId"], "PL-DRIFT-0002");
    assert!(
        found[0]["message"]
            .as_str()
            .unwrap()
            .contains("value differs"),
        "{}",
        found[0]
    );
    assert_eq!(
        found[0]["startLine"].as_u64().unwrap(),
        line_of(
            &manifest,
            "stringData:",
            &format!("password: {SECRET_VALUE}")
        )
    );

    for format in [
        "sarif",
        "json",
        "text",
        "markdown",
        "gitlab-sast",
        "codeclimate",
    ] {
        let run = case.scan(&["-f", format]);
        assert_eq!(run.code, 0, "{format}: {}", run.stderr);
        assert!(
            run.stdout.contains("PL-DRIFT-0002"),
            "{format} reports the drift"
        );
        for f in &forbidden {
            assert!(
                !run.stdout.contains(f.as_str()),
                "{format} output holds {f}"
            );
            assert!(!run.stderr.contains(f.as_str()), "{format} log holds {f}");
        }
    }
    // HTML is built from reports.
    let dir = case.dir.path();
    let report = dir.join("r.json");
    let run = case.scan(&["-o", report.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let html = plumbline(dir, &["report", "r.json"]);
    assert_eq!(html.code, 0, "{}", html.stderr);
    assert!(html.stdout.contains("PL-DRIFT-0002"));
    for f in &forbidden {
        assert!(!html.stdout.contains(f.as_str()), "HTML holds {f}");
    }
}

#[test]
fn a_kind_the_snapshot_did_not_list_makes_the_scan_incomplete() {
    let mut c = recorded_cluster();
    c.complete.retain(|s| s.kind != "ConfigMap");
    c.objects.retain(|o| o.id.kind != "ConfigMap");
    let case = Case::new(&simple_manifest(), c);
    let run = case.scan(&["-f", "json"]);
    assert_eq!(run.code, 3, "incomplete: {}", run.stderr);
    let r = run.json();
    assert_eq!(
        drift_findings(&r),
        Vec::<Value>::new(),
        "not read is not missing"
    );
    let notes = r["notifications"].as_array().unwrap();
    assert_eq!(notes.len(), 1, "{notes:#?}");
    assert_eq!(notes[0]["code"], "live-not-read");
    assert_eq!(notes[0]["level"], "error");
    let m = notes[0]["message"].as_str().unwrap();
    assert!(
        m.contains("ConfigMap") && m.contains("namespace demo"),
        "{m}"
    );
    assert_eq!(r["summary"]["incomplete"], true);

    // A scope listed in another namespace only does not cover demo either.
    let mut c = recorded_cluster();
    for s in &mut c.complete {
        if s.kind == "ConfigMap" {
            s.namespace = Some("paging".into());
        }
    }
    let case = Case::new(&simple_manifest(), c);
    assert_eq!(case.scan(&[]).code, 3);
}

#[test]
fn fingerprints_survive_lines_added_above() {
    let manifest = simple_manifest();
    let case = Case::new(&manifest, cluster_with_new_image());
    let before = drift_findings(&case.json(&[]));
    let moved = format!("# owned by the web team\n# see the runbook\n\n{manifest}");
    write(&case.repo(), "deploy/app.yaml", &moved);
    let after = drift_findings(&case.json(&[]));
    assert_eq!(before.len(), 1);
    assert_eq!(after.len(), 1);
    assert_eq!(
        after[0]["startLine"].as_u64().unwrap(),
        before[0]["startLine"].as_u64().unwrap() + 3
    );
    assert_eq!(after[0]["fingerprint"], before[0]["fingerprint"]);
    // Moving the object to another file keeps it too: the fingerprint has no file.
    std::fs::remove_file(case.repo().join("deploy/app.yaml")).unwrap();
    write(&case.repo(), "apps/web.yaml", &manifest);
    let renamed = drift_findings(&case.json(&[]));
    assert_eq!(renamed[0]["file"], "apps/web.yaml");
    assert_eq!(renamed[0]["fingerprint"], before[0]["fingerprint"]);
}

#[test]
fn the_live_object_violating_a_policy_raises_its_drift() {
    let manifest = declared_docs(&["Deployment"]).replace(
        "        image: nginx:1.27\n",
        "        image: nginx:1.27\n        securityContext:\n          privileged: false\n",
    );
    let mut c = recorded_cluster();
    let web = live_mut(&mut c, "Deployment", "demo", "web");
    web["spec"]["template"]["spec"]["containers"][0]["securityContext"] =
        json!({"privileged": true});
    let case = Case::new(&manifest, c);
    let found = drift_findings(&case.json(&[]));
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = &found[0];
    assert_eq!(
        f["fieldPath"],
        "spec.template.spec.containers[0].securityContext.privileged"
    );
    assert_eq!(f["severity"], "HIGH", "raised from MEDIUM by PL-K8S-0003");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("now violates PL-K8S-0003"),
        "{f}"
    );
    // Without the policy library, the drift keeps the rule's own severity.
    let found = drift_findings(&case.json(&["--no-builtin"]));
    assert_eq!(found[0]["severity"], "MEDIUM");
}

#[test]
fn defaulting_hpa_and_ignore_rules() {
    // Declared without a namespace: the default namespace given decides.
    let manifest = simple_manifest().replace("  namespace: demo\n", "");
    let mut c = recorded_cluster();
    live_mut(&mut c, "Deployment", "demo", "web")["spec"]["replicas"] = json!(7);
    let case = Case::new(&manifest, c.clone());
    let missing = drift_findings(&case.json(&[]));
    assert_eq!(missing.len(), 2, "not in namespace default: {missing:#?}");
    assert!(missing.iter().all(|f| f["ruleId"] == "PL-DRIFT-0001"));
    let found = drift_findings(&case.json(&["--default-namespace", "demo"]));
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["fieldPath"], "spec.replicas");

    // An autoscaler that targets the Deployment owns its replicas.
    let hpa = "---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  \
               name: web\nspec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: \
               Deployment\n    name: web\n  minReplicas: 2\n  maxReplicas: 9\n";
    let mut c2 = c.clone();
    c2.complete.push(KindScope {
        group: "autoscaling".into(),
        version: "v2".into(),
        kind: "HorizontalPodAutoscaler".into(),
        resource: "horizontalpodautoscalers".into(),
        namespaced: true,
        namespace: None,
    });
    c2.objects
        .push(object(json!({"apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler", "metadata": {"name": "web", "namespace": "demo"},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                 "minReplicas": 2, "maxReplicas": 9}})));
    let case = Case::new(&format!("{manifest}{hpa}"), c2);
    let found = drift_findings(&case.json(&["--default-namespace", "demo"]));
    assert_eq!(found, Vec::<Value>::new());

    // `drift: {ignore: …}` in the configuration file.
    let case = Case::new(&manifest, c);
    write(
        &case.repo(),
        ".plumbline.yaml",
        "default_namespace: demo\ndrift:\n  ignore:\n  - kind: Deployment\n    path: /spec/replicas\n    reason: scaled by hand\n",
    );
    let found = drift_findings(&case.json(&[]));
    assert_eq!(found, Vec::<Value>::new());
}

#[test]
fn snapshots_round_trip_and_reject_what_they_cannot_trust() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.json");
    let key = HashKey::random();
    let cluster = cluster_with_new_image();
    snapshot::write(&path, vec![cluster.clone()], &key).unwrap();
    let (clusters, key_back) = snapshot::read(&path).unwrap();
    assert_eq!(key_back.to_hex(), key.to_hex());
    assert_eq!(clusters.len(), 1);
    assert_eq!(clusters[0].complete.len(), cluster.complete.len());
    assert_eq!(clusters[0].objects.len(), cluster.objects.len());
    // Writing what was read gives the same text (redaction is idempotent).
    let t = "2026-11-23T00:00:00Z";
    assert_eq!(
        snapshot::render(vec![cluster], &key, t),
        snapshot::render(clusters.clone(), &key_back, t)
    );
    let again = dir.path().join("again.json");
    snapshot::write(&again, clusters, &key_back).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&again).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "only its owner reads a snapshot: {mode:o}");
    }

    // The same comparison from the copy.
    let manifest = simple_manifest();
    write(dir.path(), "repo/app.yaml", &manifest);
    let scan = |snap: &Path| {
        let s = snap.display().to_string();
        let run = plumbline(
            &dir.path().join("repo"),
            &[
                "scan",
                ".",
                "-f",
                "json",
                "--fail-on",
                "never",
                "--live-snapshot",
                &s,
            ],
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        drift_findings(&run.json())
    };
    let a = scan(&path);
    assert_eq!(a.len(), 1);
    assert_eq!(a, scan(&again));

    // What cannot be trusted is refused, with the file and what to do.
    let text = std::fs::read_to_string(&path).unwrap();
    let bad = |name: &str, body: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        let e = match snapshot::read(&p) {
            Ok(_) => panic!("{name} was accepted"),
            Err(e) => e,
        };
        assert!(e.contains(name), "{e}");
        let run = plumbline(
            &dir.path().join("repo"),
            &["scan", ".", "--live-snapshot", p.to_str().unwrap()],
        );
        assert_eq!(run.code, 2, "{name}: {}", run.stderr);
        assert!(run.stderr.contains(name), "{}", run.stderr);
        e
    };
    let e = bad("cut.json", &text[..text.len() / 2]);
    assert!(
        e.contains("not valid JSON") && e.contains("plumbline snapshot"),
        "{e}"
    );
    let e = bad(
        "v9.json",
        &text.replacen("\"plumblineSnapshot\": 1", "\"plumblineSnapshot\": 9", 1),
    );
    assert!(e.contains("version 9"), "{e}");
    let e = bad("other.json", "{\"clusters\": []}");
    assert!(e.contains("not a plumbline snapshot"), "{e}");
    let mut doc: Value = serde_json::from_str(&text).unwrap();
    let secret = doc["clusters"][0]["objects"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|o| o["body"]["kind"] == "Secret")
        .unwrap();
    secret["body"]["data"]["password"] = json!("bm90LWEtcmVhbC1wYXNzd29yZA==");
    let e = bad("plain.json", &doc.to_string());
    assert!(
        e.contains("not redacted") && e.contains("data.password") && !e.contains("bm90"),
        "{e}"
    );
}

#[test]
fn the_recorded_declared_set_has_zero_drift() {
    // Every difference between declared/ and the recorded live objects is a default, a
    // server-owned field or a canonical form.
    let dir = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(recorded().join("declared"))
        .unwrap()
        .flatten()
    {
        let text = std::fs::read_to_string(e.path()).unwrap();
        write(
            dir.path(),
            &format!("repo/{}", e.file_name().to_string_lossy()),
            &text,
        );
    }
    let snap = dir.path().join("snap.json");
    snapshot::write(&snap, vec![recorded_cluster()], &HashKey::random()).unwrap();
    let run = plumbline(
        &dir.path().join("repo"),
        &[
            "scan",
            ".",
            "-f",
            "json",
            "--no-builtin",
            "--live-snapshot",
            snap.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let r = run.json();
    assert_eq!(drift_findings(&r), Vec::<Value>::new());
    assert_eq!(r["summary"]["resources"], 11);
}

fn json_schema_errors(instance: &Value) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/report/json.schema.json");
    let schema: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    validator
        .iter_errors(instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

/// The OASIS SARIF 2.1.0 schema from ../shared/corpus (as CI's validate_sarif.py uses).
fn sarif_schema_errors(instance: &Value) -> Vec<String> {
    let path =
        shared().join("corpus/sarif/oasis-tcs-sarif-spec/sarif-2.1/schema/sarif-schema-2.1.0.json");
    let bytes = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e}: the corpus is needed", path.display()));
    let schema: Value = serde_json::from_slice(&bytes).unwrap();
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .build(&schema)
        .unwrap();
    validator
        .iter_errors(instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}
