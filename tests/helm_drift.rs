//! Drift of a Helm chart rendered during the scan: the rendered objects are compared with live
//! objects (`--live-snapshot`) exactly as plain manifests are, and every drift finding points
//! at the values line that set the field (with the template line that printed it as a related
//! location), or at the template line for a field the template writes itself. The chart is `fixtures/helm-drift/shop`, which
//! renders one Deployment, `default/release-name-shop`, with its image and replicas from
//! values; the snapshots are built here from that Deployment as the API server returns it.

mod common;
use common::*;
use plumbline::drift::secret::HashKey;
use plumbline::drift::snapshot;
use plumbline::live::{KindScope, LiveCluster, LiveObject};
use plumbline::model::ResourceId;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

const CLUSTER: &str = "prod";
const NAME: &str = "release-name-shop";
const TEMPLATE: &str = "templates/deployment.yaml";
/// The image and replicas the chart renders with its default values.
const DECLARED_IMAGE: &str = "nginx:1.27";
const DECLARED_REPLICAS: u64 = 2;
/// What someone changed by hand in the cluster.
const LIVE_IMAGE: &str = "nginx:1.28-hotfix";
const LIVE_REPLICAS: u64 = 5;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/helm-drift/shop")
}

/// The rendered Deployment as the API server returns it once installed: the declared fields
/// with `image` and `replicas` as given, plus what the server adds (defaults, status,
/// metadata, `managedFields` naming who last wrote the image).
fn live_deployment(image: &str, replicas: u64) -> Value {
    let labels = json!({
        "app.kubernetes.io/instance": "release-name",
        "app.kubernetes.io/name": "shop"
    });
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": NAME,
            "namespace": "default",
            "uid": "6f1c2d7e-0b4a-4a8e-9d55-3c1f2a9e7b10",
            "resourceVersion": "48213",
            "generation": 3,
            "creationTimestamp": "2026-11-20T09:00:00Z",
            "labels": labels,
            "annotations": {
                "deployment.kubernetes.io/revision": "2",
                "meta.helm.sh/release-name": "release-name",
                "meta.helm.sh/release-namespace": "default"
            },
            "managedFields": [
                {
                    "manager": "helm", "operation": "Update", "apiVersion": "apps/v1",
                    "time": "2026-11-20T09:00:00Z", "fieldsType": "FieldsV1",
                    "fieldsV1": {"f:spec": {"f:replicas": {}, "f:template": {"f:spec": {
                        "f:containers": {"k:{\"name\":\"web\"}": {"f:image": {}}}}}}}
                },
                {
                    "manager": "kubectl-edit", "operation": "Update", "apiVersion": "apps/v1",
                    "time": "2026-11-23T03:14:00Z", "fieldsType": "FieldsV1",
                    "fieldsV1": {"f:spec": {"f:replicas": {}, "f:template": {"f:spec": {
                        "f:containers": {"k:{\"name\":\"web\"}": {"f:image": {}}}}}}}
                }
            ]
        },
        "spec": {
            "replicas": replicas,
            "revisionHistoryLimit": 10,
            "progressDeadlineSeconds": 600,
            "selector": {"matchLabels": labels},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}
            },
            "template": {
                "metadata": {"creationTimestamp": null, "labels": labels},
                "spec": {
                    "containers": [{
                        "name": "web",
                        "image": image,
                        "imagePullPolicy": "IfNotPresent",
                        "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
                        "resources": {},
                        "terminationMessagePath": "/dev/termination-log",
                        "terminationMessagePolicy": "File"
                    }],
                    "dnsPolicy": "ClusterFirst",
                    "restartPolicy": "Always",
                    "schedulerName": "default-scheduler",
                    "securityContext": {},
                    "terminationGracePeriodSeconds": 30
                }
            }
        },
        "status": {
            "observedGeneration": 3,
            "replicas": replicas,
            "readyReplicas": replicas,
            "availableReplicas": replicas,
            "updatedReplicas": replicas
        }
    })
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

/// A cluster whose Deployments in `default` were listed completely and are `objects`.
fn cluster(objects: Vec<Value>) -> LiveCluster {
    let mut objects: Vec<LiveObject> = objects.into_iter().map(object).collect();
    objects.sort_by(|a, b| a.id.cmp(&b.id));
    LiveCluster {
        name: CLUSTER.into(),
        server: "https://127.0.0.1:6443".into(),
        complete: vec![KindScope {
            group: "apps".into(),
            version: "v1".into(),
            kind: "Deployment".into(),
            resource: "deployments".into(),
            namespaced: true,
            namespace: Some("default".into()),
        }],
        objects,
        ..LiveCluster::default()
    }
}

/// A temporary directory holding a copy of the chart (`shop/`) and a snapshot (`snap.json`).
struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    fn new(cluster: LiveCluster) -> Self {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&fixture(), &dir.path().join("shop"));
        snapshot::write(
            &dir.path().join("snap.json"),
            vec![cluster],
            &HashKey::random(),
        )
        .unwrap();
        Self { dir }
    }

    fn chart(&self) -> PathBuf {
        self.dir.path().join("shop")
    }

    /// `scan shop --worktree --live-snapshot snap.json -f json` plus `extra`: the report, after
    /// checking that the chart rendered and the comparison was complete.
    fn scan(&self, extra: &[&str]) -> Value {
        let mut args = vec![
            "scan",
            "shop",
            "--worktree",
            "--no-config",
            "--live-snapshot",
            "snap.json",
            "-f",
            "json",
            "--fail-on",
            "never",
        ];
        args.extend_from_slice(extra);
        let run = plumbline(self.dir.path(), &args);
        assert!(
            !run.stderr.contains("panicked"),
            "plumbline panicked:\n{}",
            run.stderr
        );
        assert_eq!(run.code, 0, "exit {}:\n{}", run.code, run.stderr);
        let r = run.json();
        assert_eq!(
            r["summary"]["incomplete"], false,
            "{:#}",
            r["notifications"]
        );
        let errors: Vec<&Value> = r["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| {
                n["level"] == "error"
                    || n["code"].as_str().unwrap().starts_with("helm-")
                    || n["code"].as_str().unwrap().starts_with("live-")
            })
            .collect();
        assert!(errors.is_empty(), "notifications {errors:#?}");
        assert_eq!(
            r["summary"]["documents"], 1,
            "the chart renders one Deployment"
        );
        r
    }

    /// The 1-based line of the chart's template holding `text`.
    fn template_line(&self, text: &str) -> u64 {
        let body = std::fs::read_to_string(self.chart().join(TEMPLATE)).unwrap();
        body.lines()
            .position(|l| l.contains(text))
            .unwrap_or_else(|| panic!("{text} not in {TEMPLATE}")) as u64
            + 1
    }

    fn values_line(&self, text: &str) -> u64 {
        let body = std::fs::read_to_string(self.chart().join("values.yaml")).unwrap();
        body.lines()
            .position(|l| l.contains(text))
            .unwrap_or_else(|| panic!("{text} not in values.yaml")) as u64
            + 1
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

/// The drift findings as (rule, field path), sorted.
fn drift_fields(report: &Value) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = drift_findings(report)
        .iter()
        .map(|f| {
            (
                f["ruleId"].as_str().unwrap().to_string(),
                f["fieldPath"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

fn change(path: &str) -> (String, String) {
    ("PL-DRIFT-0002".to_string(), path.to_string())
}

const IMAGE_PATH: &str = "spec.template.spec.containers[0].image";
const REPLICAS_PATH: &str = "spec.replicas";

#[test]
fn the_live_object_as_rendered_has_no_drift() {
    let case = Case::new(cluster(vec![live_deployment(
        DECLARED_IMAGE,
        DECLARED_REPLICAS,
    )]));
    let r = case.scan(&[]);
    assert_eq!(drift_findings(&r), Vec::<Value>::new());
    let rules: Vec<&str> = r["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    assert!(
        rules.contains(&"PL-DRIFT-0001") && rules.contains(&"PL-DRIFT-0002"),
        "the drift rules ran: {rules:?}"
    );
}

#[test]
fn a_changed_image_is_a_finding_at_the_template_line_of_image() {
    let case = Case::new(cluster(vec![live_deployment(LIVE_IMAGE, LIVE_REPLICAS)]));
    let r = case.scan(&[]);
    // Only the two changed fields: nothing for the name, labels, selector, pull policy or
    // ports, which match, nor for what the API server added.
    assert_eq!(
        drift_fields(&r),
        vec![change(REPLICAS_PATH), change(IMAGE_PATH)],
        "{:#?}",
        drift_findings(&r)
    );

    let found = drift_findings(&r);
    let image = found.iter().find(|f| f["fieldPath"] == IMAGE_PATH).unwrap();
    // The image is printed from values: the finding is at the values line, with the
    // template line that printed `image:` as its related location.
    assert_eq!(image["file"], "values.yaml", "{image:#}");
    assert_eq!(
        image["startLine"].as_u64().unwrap(),
        case.values_line("repository: nginx"),
        "{image:#}"
    );
    assert_eq!(image["related"][0]["file"], TEMPLATE, "{image:#}");
    assert_eq!(
        image["related"][0]["startLine"].as_u64().unwrap(),
        case.template_line("image: \"{{ .Values.image.repository }}"),
        "the template line printing `image:`: {image:#}"
    );
    assert_eq!(
        image["live"],
        format!("{CLUSTER}/default/Deployment/{NAME}")
    );
    assert_eq!(image["resource"]["name"], NAME);
    assert_eq!(image["resource"]["namespace"], "default");
    let m = image["message"].as_str().unwrap();
    for part in [
        format!("\"{LIVE_IMAGE}\""),
        format!("\"{DECLARED_IMAGE}\""),
        "kubectl-edit".to_string(),
        "2026-11-23T03:14:00Z".to_string(),
        format!("Deployment default/{NAME}"),
    ] {
        assert!(m.contains(&part), "{part} in {m}");
    }

    let replicas = found
        .iter()
        .find(|f| f["fieldPath"] == REPLICAS_PATH)
        .unwrap();
    assert_eq!(replicas["file"], "values.yaml", "{replicas:#}");
    assert_eq!(
        replicas["startLine"].as_u64().unwrap(),
        case.values_line("replicas: 2"),
        "{replicas:#}"
    );
    assert_eq!(
        replicas["related"][0]["startLine"].as_u64().unwrap(),
        case.template_line("replicas: {{ .Values.replicas }}"),
        "{replicas:#}"
    );
    let m = replicas["message"].as_str().unwrap();
    assert!(
        m.contains(&LIVE_REPLICAS.to_string()) && m.contains(&DECLARED_REPLICAS.to_string()),
        "{m}"
    );
}

#[test]
fn an_absent_live_object_is_missing_at_the_template() {
    // Deployments of `default` were listed completely, and the release's is not there (only
    // another one is).
    let mut other = live_deployment(DECLARED_IMAGE, DECLARED_REPLICAS);
    other["metadata"]["name"] = json!("someone-else");
    let case = Case::new(cluster(vec![other]));
    let r = case.scan(&[]);
    let found = drift_findings(&r);
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = &found[0];
    assert_eq!(f["ruleId"], "PL-DRIFT-0001");
    assert_eq!(f["file"], TEMPLATE, "{f:#}");
    assert_eq!(
        f["startLine"].as_u64().unwrap(),
        case.template_line("name: {{ include \"shop.fullname\" . }}"),
        "the template line printing `metadata.name`: {f:#}"
    );
    assert_eq!(f["resource"]["name"], NAME);
    let m = f["message"].as_str().unwrap();
    assert!(m.contains(&format!("Deployment default/{NAME}")), "{m}");
}

#[test]
fn helm_set_changes_the_rendered_object_that_is_compared() {
    let case = Case::new(cluster(vec![live_deployment(LIVE_IMAGE, LIVE_REPLICAS)]));

    // With the chart's defaults, replicas differ…
    let r = case.scan(&[]);
    assert!(
        drift_fields(&r).contains(&change(REPLICAS_PATH)),
        "{:#?}",
        drift_findings(&r)
    );

    // …with the live count given as a value, they do not; the image still does.
    let set = format!("replicas={LIVE_REPLICAS}");
    let r = case.scan(&["--helm-set", &set]);
    assert_eq!(
        drift_fields(&r),
        vec![change(IMAGE_PATH)],
        "{:#?}",
        drift_findings(&r)
    );
    let image = &drift_findings(&r)[0];
    assert_eq!(image["file"], "values.yaml");
    assert_eq!(image["related"][0]["file"], TEMPLATE);
    assert_eq!(
        image["related"][0]["startLine"].as_u64().unwrap(),
        case.template_line("image: \"{{ .Values.image.repository }}")
    );

    // With the image's tag too, the rendered object is the live one: no drift at all.
    let r = case.scan(&["--helm-set", &set, "--helm-set", "image.tag=1.28-hotfix"]);
    assert_eq!(drift_findings(&r), Vec::<Value>::new());
}
