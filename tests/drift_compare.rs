//! The drift comparison engine against a real API server's recorded objects: the manifests
//! that were applied compare with zero differences, and each single change of the live
//! object gives exactly one difference at the right declared path and line.

use plumbline::drift::{
    compare, redact_live, CompareContext, DiffKind, Difference, HashKey, Rules, Shown,
};
use plumbline::load::{load_file, tree::Node, LoadOptions};
use plumbline::model::{render_path, PathSeg};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn shared() -> PathBuf {
    std::env::var_os("PLUMBLINE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"))
}

fn recorded() -> PathBuf {
    shared().join("k8s-recorded")
}

/// A declared document and the file text it came from.
struct Declared {
    file: String,
    text: String,
    node: Node,
}

impl Declared {
    fn kind(&self) -> &str {
        self.node.get("kind").and_then(Node::as_str).unwrap()
    }
    fn meta(&self, k: &str) -> Option<&str> {
        self.node
            .get("metadata")
            .and_then(|m| m.get(k))
            .and_then(Node::as_str)
    }
    /// The 1-based line of the first line of the file containing `needle`.
    fn line_of(&self, needle: &str) -> u32 {
        self.text
            .lines()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle:?} not in {}", self.file)) as u32
            + 1
    }
}

fn parse_text(file: &str, text: &str) -> Vec<Declared> {
    let loaded = load_file(file, text.as_bytes(), &LoadOptions::default());
    assert!(
        loaded.notifications.is_empty(),
        "{:?}",
        loaded.notifications
    );
    loaded
        .documents
        .into_iter()
        .filter(|d| d.is_kubernetes())
        .map(|d| Declared {
            file: file.to_string(),
            text: text.to_string(),
            node: d.node,
        })
        .collect()
}

fn declared_all() -> Vec<Declared> {
    let dir = recorded().join("declared");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
        .iter()
        .flat_map(|p| {
            let text = std::fs::read_to_string(p).unwrap();
            parse_text(&p.display().to_string(), &text)
        })
        .collect()
}

fn declared(kind: &str, name: &str) -> Declared {
    declared_all()
        .into_iter()
        .find(|d| d.kind() == kind && d.meta("name") == Some(name))
        .unwrap_or_else(|| panic!("no declared {kind} {name}"))
}

fn read_json(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// Single GETs (objects/*.json).
fn live_object(kind: &str, namespace: Option<&str>, name: &str) -> Option<Value> {
    let mut files: Vec<_> = std::fs::read_dir(recorded().join("objects"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files.into_iter().map(|p| read_json(&p)).find(|v| {
        v["kind"] == kind
            && v["metadata"]["name"] == name
            && v["metadata"]["namespace"].as_str() == namespace
    })
}

/// Items of the recorded lists whose list kind is `<kind>List` (items carry no kind).
fn live_list_items(kind: &str, namespace: Option<&str>, name: &str) -> Vec<Value> {
    let mut files: Vec<_> = std::fs::read_dir(recorded().join("lists"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for p in files {
        let v = read_json(&p);
        if v["kind"] != format!("{kind}List") {
            continue;
        }
        for item in v["items"].as_array().unwrap() {
            if item["metadata"]["name"] == name
                && item["metadata"]["namespace"].as_str() == namespace
            {
                out.push(item.clone());
            }
        }
    }
    out
}

fn live(kind: &str, name: &str) -> Value {
    let d = declared(kind, name);
    live_object(kind, d.meta("namespace"), name).unwrap()
}

fn diff(d: &Declared, live: &Value, rules: &Rules, key: &HashKey, hpa: bool) -> Vec<Difference> {
    compare(
        &d.node,
        live,
        &CompareContext {
            rules,
            key,
            hpa_targets: hpa,
        },
    )
}

fn diffs(d: &Declared, live: &Value) -> Vec<Difference> {
    diff(d, live, &Rules::builtin(), &HashKey::random(), false)
}

fn paths(ds: &[Difference]) -> Vec<String> {
    ds.iter().map(|d| render_path(&d.path)).collect()
}

/// Exactly one difference, at `path`, whose declared node starts on the line holding
/// `line_needle`.
fn one(d: &Declared, live: &Value, path: &str, kind: DiffKind, line_needle: &str) -> Difference {
    let found = diffs(d, live);
    assert_eq!(paths(&found), [path], "{found:#?}");
    let only = found.into_iter().next().unwrap();
    assert_eq!(only.kind, kind, "{only:#?}");
    let located = d.node.locate(&only.path);
    if kind != DiffKind::Removed {
        assert_eq!(
            located.depth,
            only.path.len(),
            "declared path does not resolve"
        );
    }
    let line = located
        .entry
        .map_or(located.node.start.line, |e| e.key_start.line);
    assert_eq!(line, d.line_of(line_needle), "line of {path} in {}", d.file);
    only
}

#[test]
fn every_applied_manifest_compares_without_drift() {
    let rules = Rules::builtin();
    let key = HashKey::random();
    let mut compared = 0;
    for d in declared_all() {
        let (kind, name, ns) = (d.kind(), d.meta("name").unwrap(), d.meta("namespace"));
        let single = live_object(kind, ns, name);
        let items = live_list_items(kind, ns, name);
        assert!(
            single.is_some() || !items.is_empty(),
            "no recorded live object for {kind} {name}"
        );
        for (source, live) in single
            .into_iter()
            .map(|v| ("single GET", v))
            .chain(items.into_iter().map(|v| ("list item", v)))
        {
            let found = diff(&d, &live, &rules, &key, false);
            assert!(found.is_empty(), "{kind} {name} ({source}): {found:#?}");
            // The same holds against the redacted body.
            let mut redacted = live.clone();
            redact_live(&mut redacted, &rules, &key);
            let found = diff(&d, &redacted, &rules, &key, false);
            assert!(
                found.is_empty(),
                "{kind} {name} ({source}, redacted): {found:#?}"
            );
            compared += 1;
        }
    }
    // 11 declared objects; each has a single GET or list items (most have both).
    assert!(compared >= 20, "only {compared} comparisons");
}

#[test]
fn changed_replicas_is_one_difference_with_its_manager() {
    let d = declared("Deployment", "web");
    let mut l = live("Deployment", "web");
    l["spec"]["replicas"] = json!(3);
    let only = one(&d, &l, "spec.replicas", DiffKind::Changed, "replicas: 2");
    assert_eq!(only.declared, Shown::Value(json!(2)));
    assert_eq!(only.live, Shown::Value(json!(3)));
    let m = only.manager.unwrap();
    assert_eq!(
        (m.manager.as_str(), m.operation.as_str(), m.time.as_deref()),
        (
            "kubectl-client-side-apply",
            "Update",
            Some("2026-11-22T12:06:15Z")
        )
    );
}

#[test]
fn replicas_are_not_drift_when_an_hpa_targets_the_object() {
    let d = declared("Deployment", "web");
    let mut l = live("Deployment", "web");
    l["spec"]["replicas"] = json!(7);
    let rules = Rules::builtin();
    let key = HashKey::random();
    assert!(diff(&d, &l, &rules, &key, true).is_empty());
    assert_eq!(diff(&d, &l, &rules, &key, false).len(), 1);
}

#[test]
fn changed_image_is_one_difference() {
    let d = declared("Deployment", "web");
    let mut l = live("Deployment", "web");
    l["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:1.28");
    let only = one(
        &d,
        &l,
        "spec.template.spec.containers[0].image",
        DiffKind::Changed,
        "image: nginx:1.27",
    );
    assert_eq!(only.live, Shown::Value(json!("nginx:1.28")));
    // The owner is found through the keyed list entry k:{"name":"nginx"}.
    assert_eq!(only.manager.unwrap().manager, "kubectl-client-side-apply");
}

#[test]
fn changed_container_port_is_one_missing_list_item() {
    let d = declared("Deployment", "web");
    let mut l = live("Deployment", "web");
    l["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = json!(8080);
    one(
        &d,
        &l,
        "spec.template.spec.containers[0].ports[0]",
        DiffKind::Absent,
        "containerPort: 80",
    );
}

#[test]
fn changed_service_target_port_is_one_difference() {
    let d = declared("Service", "web");
    let mut l = live("Service", "web");
    l["spec"]["ports"][0]["targetPort"] = json!(8080);
    one(
        &d,
        &l,
        "spec.ports[0].targetPort",
        DiffKind::Changed,
        "targetPort: 80",
    );
}

#[test]
fn changed_label_is_one_difference() {
    let d = declared("Deployment", "web");
    let mut l = live("Deployment", "web");
    l["metadata"]["labels"]["app"] = json!("api");
    one(
        &d,
        &l,
        "metadata.labels.app",
        DiffKind::Changed,
        "labels: {app: web}",
    );
}

#[test]
fn changed_config_value_is_one_difference() {
    let d = declared("ConfigMap", "app-config");
    let mut l = live("ConfigMap", "app-config");
    l["data"]["LOG_LEVEL"] = json!("debug");
    let only = one(
        &d,
        &l,
        "data.LOG_LEVEL",
        DiffKind::Changed,
        "LOG_LEVEL: info",
    );
    assert_eq!(only.declared, Shown::Value(json!("info")));
}

/// Adds a label to the live object and to its last-applied configuration: it was declared
/// once, Git no longer has it, the cluster still does.
#[test]
fn field_removed_from_git_but_still_live_is_removed() {
    let d = declared("Deployment", "web");
    let mut l = live("Deployment", "web");
    let annotations = &mut l["metadata"]["annotations"];
    let mut last: Value = serde_json::from_str(
        annotations["kubectl.kubernetes.io/last-applied-configuration"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    last["metadata"]["labels"]["tier"] = json!("frontend");
    annotations["kubectl.kubernetes.io/last-applied-configuration"] = json!(last.to_string());
    // Only in the last-applied configuration: gone from the cluster already, nothing to say.
    assert!(diffs(&d, &l).is_empty());
    l["metadata"]["labels"]["tier"] = json!("frontend");
    let found = diffs(&d, &l);
    assert_eq!(paths(&found), ["metadata.labels.tier"], "{found:#?}");
    assert_eq!(found[0].kind, DiffKind::Removed);
    assert_eq!(found[0].declared, Shown::Absent);
    assert_eq!(found[0].live, Shown::Value(json!("frontend")));
    // The finding points at the nearest declared parent: the `labels` line.
    let parent = found[0].declared_parent.clone().unwrap();
    assert_eq!(render_path(&parent), "metadata.labels");
    let located = d.node.locate(&parent);
    assert_eq!(located.depth, 2);
    assert_eq!(
        located.entry.unwrap().key_start.line,
        d.line_of("labels: {app: web}")
    );
    // The namespace kubectl applied to is in last-applied even when the file has none.
    let unnamespaced = parse_text("web.yaml", &d.text.replace("  namespace: demo\n", ""))
        .into_iter()
        .find(|x| x.kind() == "Deployment")
        .unwrap();
    assert!(unnamespaced.meta("namespace").is_none());
    assert!(diffs(&unnamespaced, &live("Deployment", "web")).is_empty());
    // A field only in live and never declared is not drift.
    let mut l2 = live("Deployment", "web");
    l2["metadata"]["labels"]["tier"] = json!("frontend");
    assert!(diffs(&d, &l2).is_empty());
}

/// Without a last-applied annotation, the `Apply` entry of a GitOps field manager says what
/// was declared.
#[test]
fn removed_field_found_through_a_gitops_manager_apply_entry() {
    let d = declared("Deployment", "web");
    let mut l = live("Deployment", "web");
    l["metadata"]["annotations"]
        .as_object_mut()
        .unwrap()
        .remove("kubectl.kubernetes.io/last-applied-configuration");
    l["metadata"]["labels"]["tier"] = json!("frontend");
    l["spec"]["template"]["spec"]["containers"][0]["args"] = json!(["--debug"]);
    // An injected sidecar ahead of it: live and declared indices differ.
    l["spec"]["template"]["spec"]["containers"]
        .as_array_mut()
        .unwrap()
        .insert(0, json!({"name": "sidecar", "image": "proxy:1"}));
    let apply = json!({
        "manager": "kustomize-controller", "operation": "Apply", "apiVersion": "apps/v1",
        "time": "2026-11-22T13:00:00Z", "fieldsType": "FieldsV1",
        "fieldsV1": {
            "f:metadata": {"f:labels": {"f:app": {}, "f:tier": {}}},
            "f:spec": {"f:replicas": {}, "f:template": {"f:spec": {"f:containers": {
                "k:{\"name\":\"nginx\"}": {".": {}, "f:name": {}, "f:image": {}, "f:args": {}}
            }}}}
        }
    });
    l["metadata"]["managedFields"]
        .as_array_mut()
        .unwrap()
        .push(apply.clone());
    let found = diffs(&d, &l);
    assert_eq!(
        paths(&found),
        [
            "metadata.labels.tier",
            "spec.template.spec.containers[1].args"
        ],
        "{found:#?}"
    );
    assert!(found.iter().all(|f| f.kind == DiffKind::Removed));
    let parent = found[1].declared_parent.clone().unwrap();
    assert_eq!(render_path(&parent), "spec.template.spec.containers[0]");
    let located = d.node.locate(&parent);
    assert_eq!(located.depth, parent.len());
    assert_eq!(located.node.start.line, d.line_of("- name: nginx"));
    assert_eq!(
        found[0].manager.as_ref().unwrap().manager,
        "kustomize-controller"
    );
    // The same entry from a manager that is not a GitOps tool says nothing.
    let mut other = apply;
    other["manager"] = json!("some-operator");
    let list = l["metadata"]["managedFields"].as_array_mut().unwrap();
    list.pop();
    list.push(other);
    assert!(diffs(&d, &l).is_empty());
}

#[test]
fn changed_secret_value_is_redacted_everywhere() {
    let d = declared("Secret", "app-secret");
    let mut l = live("Secret", "app-secret");
    // base64("another-value")
    l["data"]["password"] = json!("YW5vdGhlci12YWx1ZQ==");
    let only = one(
        &d,
        &l,
        "stringData.password",
        DiffKind::Changed,
        "password: not-a-real-password",
    );
    assert_eq!(
        (&only.declared, &only.live),
        (&Shown::Redacted, &Shown::Redacted)
    );
    let all = vec![only];
    let text = format!("{all:?}{}", serde_json::to_string(&all).unwrap());
    for secret in [
        "not-a-real-password",
        "bm90LWEtcmVhbC1wYXNzd29yZA",
        "another-value",
        "YW5vdGhlci12YWx1ZQ",
    ] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
}

#[test]
fn missing_and_removed_secret_keys_are_redacted() {
    let d = declared("Secret", "app-secret");
    let mut l = live("Secret", "app-secret");
    l["data"].as_object_mut().unwrap().remove("password");
    let found = diffs(&d, &l);
    assert_eq!(paths(&found), ["stringData.password"]);
    assert_eq!(found[0].kind, DiffKind::Absent);
    assert_eq!(found[0].declared, Shown::Redacted);

    // A key once applied (last-applied stringData) and removed from Git, still live.
    let text = d.text.replace(
        "  password: not-a-real-password\n",
        "  password: not-a-real-password\n  token: old-token\n",
    );
    let with_token = parse_text("secret.yaml", &text)
        .into_iter()
        .find(|x| x.kind() == "Secret")
        .unwrap();
    let mut l = live("Secret", "app-secret");
    let mut last: Value = serde_json::from_str(
        l["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    last["stringData"]["token"] = json!("old-token");
    l["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] =
        json!(last.to_string());
    l["data"]["token"] = json!("b2xkLXRva2Vu");
    assert!(diffs(&with_token, &l).is_empty());
    let found = diffs(&d, &l);
    assert_eq!(paths(&found), ["data.token"], "{found:#?}");
    assert_eq!(found[0].kind, DiffKind::Removed);
    assert_eq!(found[0].live, Shown::Redacted);
    let text = format!("{found:?}{}", serde_json::to_string(&found).unwrap());
    assert!(
        !text.contains("old-token") && !text.contains("b2xkLXRva2Vu"),
        "{text}"
    );
    // Still found once the live body is redacted.
    let rules = Rules::builtin();
    let key = HashKey::random();
    redact_live(&mut l, &rules, &key);
    assert_eq!(paths(&diff(&d, &l, &rules, &key, false)), ["data.token"]);
}

#[test]
fn redacted_live_secret_hides_values_and_still_compares() {
    let rules = Rules::builtin();
    let key = HashKey::random();
    let d = declared("Secret", "app-secret");
    let original = live("Secret", "app-secret");
    let mut l = original.clone();
    redact_live(&mut l, &rules, &key);
    let body = serde_json::to_string(&l).unwrap();
    for secret in ["not-a-real-password", "bm90LWEtcmVhbC1wYXNzd29yZA"] {
        assert!(!body.contains(secret), "{secret} in {body}");
    }
    // The last-applied annotation keeps its structure, values hashed.
    let last: Value = serde_json::from_str(
        l["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        last["stringData"]["password"],
        key.hash(b"not-a-real-password")
    );
    assert_eq!(last["metadata"]["name"], "app-secret");
    assert_eq!(l["data"]["password"], key.hash(b"not-a-real-password"));
    // Idempotent.
    let once = l.clone();
    redact_live(&mut l, &rules, &key);
    assert_eq!(l, once);
    // Equal: no difference; changed: one, redacted.
    assert!(diff(&d, &l, &rules, &key, false).is_empty());
    let mut changed = original;
    changed["data"]["password"] = json!("YW5vdGhlci12YWx1ZQ==");
    redact_live(&mut changed, &rules, &key);
    let found = diff(&d, &changed, &rules, &key, false);
    assert_eq!(paths(&found), ["stringData.password"]);
    assert_eq!(
        (&found[0].declared, &found[0].live),
        (&Shown::Redacted, &Shown::Redacted)
    );
    // Another key hashes differently: no match.
    assert_eq!(diff(&d, &l, &rules, &HashKey::random(), false).len(), 1);
}

#[test]
fn secret_list_items_without_kind_are_redacted() {
    let rules = Rules::builtin();
    let key = HashKey::random();
    let mut items = live_list_items("Secret", Some("demo"), "app-secret");
    assert!(!items.is_empty());
    for item in &mut items {
        assert!(item.get("kind").is_none());
        redact_live(item, &rules, &key);
        let body = item.to_string();
        assert!(
            !body.contains("not-a-real-password") && !body.contains("bm90LWEt"),
            "{body}"
        );
    }
}

/// A Deployment with several containers, env vars and resources, declared one way and live
/// another (order, quantity forms, defaults).
const WORKLOAD: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: demo
spec:
  template:
    spec:
      containers:
      - name: app
        image: example/app:2.1
        ports:
        - containerPort: 8080
        - containerPort: 9090
          protocol: UDP
        env:
        - name: MODE
          value: fast
        - name: LEVEL
          value: \"3\"
        resources:
          requests:
            cpu: 1000m
            memory: 1Gi
          limits:
            cpu: 0.5
            memory: 2e9
      - name: log
        image: example/log:1
";

fn workload_live() -> Value {
    json!({
        "metadata": {"name": "api", "namespace": "demo"},
        "spec": {"replicas": 1, "template": {"spec": {"containers": [
            {"name": "log", "image": "example/log:1", "imagePullPolicy": "IfNotPresent"},
            {"name": "app", "image": "example/app:2.1",
             "ports": [
                {"containerPort": 9090, "protocol": "UDP"},
                {"containerPort": 8080, "protocol": "TCP"}],
             "env": [{"name": "LEVEL", "value": "3"}, {"name": "MODE", "value": "fast"}],
             "resources": {"requests": {"cpu": "1", "memory": "1024Mi"},
                           "limits": {"cpu": "500m", "memory": "2G"}},
             "terminationMessagePath": "/dev/termination-log"}
        ]}}}
    })
}

#[test]
fn reordered_lists_quantities_and_defaults_are_not_drift() {
    let d = parse_text("api.yaml", WORKLOAD).remove(0);
    let found = diffs(&d, &workload_live());
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn changed_env_value_in_a_reordered_list_points_at_the_declared_item() {
    let d = parse_text("api.yaml", WORKLOAD).remove(0);
    let mut l = workload_live();
    l["spec"]["template"]["spec"]["containers"][1]["env"][1]["value"] = json!("slow");
    let only = one(
        &d,
        &l,
        "spec.template.spec.containers[0].env[0].value",
        DiffKind::Changed,
        "value: fast",
    );
    assert_eq!(only.live, Shown::Value(json!("slow")));
}

#[test]
fn different_quantities_are_drift() {
    let d = parse_text("api.yaml", WORKLOAD).remove(0);
    let mut l = workload_live();
    l["spec"]["template"]["spec"]["containers"][1]["resources"]["limits"]["cpu"] = json!("600m");
    let only = one(
        &d,
        &l,
        "spec.template.spec.containers[0].resources.limits.cpu",
        DiffKind::Changed,
        "cpu: 0.5",
    );
    assert_eq!(only.live, Shown::Value(json!("600m")));
}

#[test]
fn int_or_string_does_not_coerce_but_number_forms_do() {
    let svc = "\
apiVersion: v1
kind: Service
metadata: {name: s, namespace: demo}
spec:
  ports:
  - port: 80
    targetPort: \"80\"
  - port: 443
    targetPort: 8443
  sessionAffinityConfig:
    clientIP:
      timeoutSeconds: 10800.0
";
    let d = parse_text("svc.yaml", svc).remove(0);
    let l = json!({"metadata": {"name": "s", "namespace": "demo"}, "spec": {
        "ports": [{"port": 443, "protocol": "TCP", "targetPort": 8443},
                  {"port": 80, "protocol": "TCP", "targetPort": 80}],
        "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 10800}}}});
    let only = one(
        &d,
        &l,
        "spec.ports[0].targetPort",
        DiffKind::Changed,
        "targetPort: \"80\"",
    );
    assert_eq!(only.declared, Shown::Value(json!("80")));
    assert_eq!(only.live, Shown::Value(json!(80)));
}

#[test]
fn atomic_list_of_a_different_length_is_one_difference() {
    let d = declared("Role", "config-reader");
    let mut l = live("Role", "config-reader");
    l["rules"][0]["verbs"] = json!(["get", "list"]);
    one(&d, &l, "rules[0].verbs", DiffKind::Changed, "verbs:");
}

#[test]
fn a_user_rule_removes_a_difference() {
    let d = declared("Deployment", "web");
    let mut l = live("Deployment", "web");
    l["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:1.28");
    l["spec"]["replicas"] = json!(5);
    let key = HashKey::random();
    let builtin = Rules::builtin();
    assert_eq!(diff(&d, &l, &builtin, &key, false).len(), 2);
    let rules = Rules::builtin()
        .with_user_yaml(
            "ignore:\n  - kind: apps/Deployment\n    name: web*\n    \
             path: /spec/template/spec/containers/[name=nginx]/image\n    \
             reason: the image is bumped by the release bot\n",
            "plumbline.yaml",
        )
        .unwrap();
    assert_eq!(paths(&diff(&d, &l, &rules, &key, false)), ["spec.replicas"]);
    // A rule for another name or kind does not apply.
    let other = Rules::builtin()
        .with_user_yaml(
            "ignore:\n  - kind: apps/StatefulSet\n    path: /spec/replicas\n    reason: x\n",
            "plumbline.yaml",
        )
        .unwrap();
    assert_eq!(diff(&d, &l, &other, &key, false).len(), 2);
}

#[test]
fn a_bad_user_rule_names_its_file_line_and_problem() {
    let cases = [
        (
            "ignore:\n  - path: /spec/replicas\n",
            "plumbline.yaml:2:",
            "reason",
        ),
        (
            "ignore:\n  - path: spec.replicas\n    reason: x\n",
            "plumbline.yaml:2:",
            "must start with `/`",
        ),
        (
            "ignore:\n  - pth: /spec\n    reason: x\n",
            "plumbline.yaml:2:",
            "unknown field `pth`",
        ),
        (
            "listKeys:\n  - path: /spec/x\n",
            "plumbline.yaml:2:",
            "`keys`",
        ),
        (
            "ignore:\n  - path: /a\n    reason: x\n    when: sometimes\n",
            "plumbline.yaml:2:",
            "sometimes",
        ),
        ("ignore: [\n", "plumbline.yaml", "not valid YAML"),
    ];
    for (yaml, at, what) in cases {
        let err = Rules::builtin()
            .with_user_yaml(yaml, "plumbline.yaml")
            .unwrap_err();
        assert!(err.starts_with(at) && err.contains(what), "{yaml:?}: {err}");
    }
}

#[test]
fn user_sensitive_rule_hides_values_of_any_kind() {
    let d = declared("ConfigMap", "app-config");
    let mut l = live("ConfigMap", "app-config");
    l["data"]["LOG_LEVEL"] = json!("debug");
    let rules = Rules::builtin()
        .with_user_yaml(
            "sensitive:\n  - kind: ConfigMap\n    path: /data/LOG_LEVEL\n    reason: test\n",
            "cfg.yaml",
        )
        .unwrap();
    let key = HashKey::random();
    assert!(rules.is_sensitive(
        "v1",
        "ConfigMap",
        &[
            PathSeg::Key("data".into()),
            PathSeg::Key("LOG_LEVEL".into())
        ]
    ));
    let found = diff(&d, &l, &rules, &key, false);
    assert_eq!(paths(&found), ["data.LOG_LEVEL"]);
    assert_eq!(
        (&found[0].declared, &found[0].live),
        (&Shown::Redacted, &Shown::Redacted)
    );
    redact_live(&mut l, &rules, &key);
    assert!(!l.to_string().contains("debug"));
    assert_eq!(diff(&d, &l, &rules, &key, false).len(), 1);
    let mut same = live("ConfigMap", "app-config");
    redact_live(&mut same, &rules, &key);
    assert!(!same.to_string().contains("\"info\""));
    assert!(diff(&d, &same, &rules, &key, false).is_empty());
}

#[test]
fn aggregated_cluster_role_rules_are_not_drift() {
    let aggregated = "\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: monitoring
aggregationRule:
  clusterRoleSelectors:
  - matchLabels: {rbac.example.com/aggregate-to-monitoring: \"true\"}
rules: []
";
    let l = json!({
        "metadata": {"name": "monitoring"},
        "aggregationRule": {"clusterRoleSelectors": [
            {"matchLabels": {"rbac.example.com/aggregate-to-monitoring": "true"}}]},
        "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]
    });
    let d = parse_text("cr.yaml", aggregated).remove(0);
    assert!(diffs(&d, &l).is_empty());
    // Without an aggregation rule the same rules are drift.
    let plain = aggregated.replace(
        "aggregationRule:\n  clusterRoleSelectors:\n  - matchLabels: {rbac.example.com/aggregate-to-monitoring: \"true\"}\n",
        "",
    );
    let d = parse_text("cr.yaml", &plain).remove(0);
    assert_eq!(paths(&diffs(&d, &l)), ["rules"]);
}

#[test]
fn webhook_injected_sidecars_and_server_allocated_fields_are_ignored() {
    let declared_text = "\
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: demo}
spec:
  containers:
  - name: app
    image: example/app:1
  - name: istio-proxy
    image: auto
  initContainers:
  - name: istio-init
    image: auto
";
    let d = parse_text("pod.yaml", declared_text).remove(0);
    let l = json!({"metadata": {"name": "p", "namespace": "demo"}, "spec": {
        "initContainers": [{"name": "istio-init", "image": "docker.io/istio/proxyv2:1.24"}],
        "containers": [
            {"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.24"},
            {"name": "app", "image": "example/app:2"}]}});
    let found = diffs(&d, &l);
    assert_eq!(paths(&found), ["spec.containers[0].image"], "{found:#?}");

    let web = declared("Service", "web");
    let text = web.text.replace(
        "  selector: {app: web}\n  ports:",
        "  clusterIP: 10.106.34.63\n  selector: {app: web}\n  ports:",
    );
    let svc = parse_text("svc.yaml", &text)
        .into_iter()
        .find(|x| x.kind() == "Service")
        .unwrap();
    assert!(svc.node.get("spec").unwrap().get("clusterIP").is_some());
    let mut l = live("Service", "web");
    l["spec"]["clusterIP"] = json!("10.0.0.9");
    assert!(diffs(&svc, &l).is_empty());
}
