//! Releases of the repository's own charts: a Flux `HelmRelease` and an Argo CD
//! `Application` (`fixtures/helm-releases`) each render the chart as their own instance, with
//! their release name, namespace and values in the order Flux and Argo CD merge them; a
//! finding on a value a release or `values.yaml` set points at that values line, with the
//! template line that emitted it as a related location.

mod common;
use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/helm-releases")
}

fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture(), dir.path());
    dir
}

fn scan(dir: &Path, extra: &[&str]) -> Value {
    scan_exit(dir, extra, 0)
}

/// A scan that exits with `code` (3: complete but for an error notification).
fn scan_exit(dir: &Path, extra: &[&str], code: i32) -> Value {
    let mut args = vec![
        "scan",
        ".",
        "--no-config",
        "-f",
        "json",
        "--fail-on",
        "never",
    ];
    args.extend_from_slice(extra);
    let run = plumbline(dir, &args);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert_eq!(run.code, code, "{}", run.stderr);
    run.json()
}

/// The rendered objects of kind `kind`, as `plumbline render --input-json` prints them.
fn rendered(dir: &Path, kind: &str) -> Vec<Value> {
    let run = plumbline(dir, &["render", ".", "--input-json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["kind"] == kind)
        .collect()
}

fn by_name<'a>(objects: &'a [Value], name: &str) -> &'a Value {
    objects
        .iter()
        .find(|o| o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no object {name} among {objects:#?}"))
}

fn findings<'a>(report: &'a Value, rule: &str, name: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["ruleId"] == rule && f["resource"]["name"] == name)
        .collect()
}

#[test]
fn each_release_renders_its_own_instance_with_its_values() {
    let d = repo();
    let deployments = rendered(d.path(), "Deployment");
    let mut names: Vec<&str> = deployments
        .iter()
        .map(|o| o["metadata"]["name"].as_str().unwrap())
        .collect();
    names.sort();
    // Flux names the release `<targetNamespace>-<name>`; Argo CD after the Application. A
    // chart with releases is not also rendered with its defaults.
    assert_eq!(names, ["shop-web", "web-staging"], "{names:?}");

    // Flux: the chart's values, then valuesFrom (replicas 4, tag 2.3.1), then spec.values
    // (replicas 6, privileged).
    let flux = by_name(&deployments, "shop-web");
    assert_eq!(flux["spec"]["replicas"], 6);
    let c = &flux["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(c["image"], "registry.example.com/shop/web:2.3.1");
    assert_eq!(c["securityContext"]["privileged"], true);
    assert_eq!(c["securityContext"]["allowPrivilegeEscalation"], false);
    assert_eq!(
        flux["spec"]["selector"]["matchLabels"]["app.kubernetes.io/instance"],
        "shop-web"
    );

    // Argo CD: valueFiles (replicas 2, tag), then valuesObject (pull policy), then parameters
    // (replicas 3).
    let argo = by_name(&deployments, "web-staging");
    assert_eq!(argo["spec"]["replicas"], 3);
    let c = &argo["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(c["image"], "registry.example.com/shop/web:2.4.0-rc1");
    assert_eq!(c["imagePullPolicy"], "Always");
    assert_eq!(c["env"][0]["name"], "LOG_LEVEL");
    assert_eq!(c["securityContext"]["privileged"], false);

    // The chart no release uses renders once with its defaults.
    let jobs = rendered(d.path(), "CronJob");
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0]["metadata"]["name"], "release-name-cleanup");
}

#[test]
fn a_value_a_release_sets_is_reported_at_its_values_line_with_the_template_line() {
    let d = repo();
    let r = scan(d.path(), &[]);
    let privileged = findings(&r, "PL-K8S-0003", "shop-web");
    assert_eq!(privileged.len(), 1, "{privileged:#?}");
    let f = privileged[0];
    // `privileged: true` in the HelmRelease's spec.values.
    assert_eq!(f["file"], "clusters/prod/web.yaml");
    let web = std::fs::read_to_string(d.path().join("clusters/prod/web.yaml")).unwrap();
    let line = f["startLine"].as_u64().unwrap() as usize;
    assert_eq!(
        web.lines().nth(line - 1).unwrap().trim(),
        "privileged: true"
    );
    // Emitted by the `toYaml .Values.securityContext` line of the template.
    let related = &f["related"][0];
    assert_eq!(related["file"], "charts/web/templates/deployment.yaml");
    let template =
        std::fs::read_to_string(d.path().join("charts/web/templates/deployment.yaml")).unwrap();
    let tline = related["startLine"].as_u64().unwrap() as usize;
    assert!(
        template
            .lines()
            .nth(tline - 1)
            .unwrap()
            .contains("toYaml .Values.securityContext"),
        "{related}"
    );
    // The object is in the release's namespace.
    assert_eq!(f["resource"]["namespace"], "shop");
    // The staging release does not set it: no finding there.
    assert!(findings(&r, "PL-K8S-0003", "web-staging").is_empty());
}

#[test]
fn a_value_of_values_yaml_is_reported_there_and_a_hard_coded_one_at_the_template() {
    let d = repo();
    let r = scan(d.path(), &[]);
    // The container securityContext of the staging release is values.yaml's whole mapping:
    // a missing seccomp profile is reported at its `securityContext:` line.
    let seccomp: Vec<&Value> = findings(&r, "PL-K8S-0016", "web-staging");
    assert_eq!(seccomp.len(), 1);
    assert_eq!(seccomp[0]["file"], "charts/web/values.yaml");
    let values = std::fs::read_to_string(d.path().join("charts/web/values.yaml")).unwrap();
    let line = seccomp[0]["startLine"].as_u64().unwrap() as usize;
    assert_eq!(values.lines().nth(line - 1).unwrap(), "securityContext:");
    // The pod's missing automountServiceAccountToken is the template's own: no values line.
    let automount = findings(&r, "PL-K8S-0027", "web-staging");
    assert_eq!(automount.len(), 1);
    assert_eq!(automount[0]["file"], "charts/web/templates/deployment.yaml");
    assert!(automount[0].get("related").is_none());
}

#[test]
fn sarif_has_the_values_line_first_and_the_template_line_related() {
    let d = repo();
    let run = plumbline(
        d.path(),
        &[
            "scan",
            ".",
            "--no-config",
            "-f",
            "sarif",
            "--fail-on",
            "never",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let sarif = run.json();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let f = results
        .iter()
        .find(|r| {
            r["ruleId"] == "PL-K8S-0003"
                && r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    == "clusters/prod/web.yaml"
        })
        .expect("the privileged finding at the release's values");
    let related = &f["relatedLocations"][0];
    assert_eq!(
        related["physicalLocation"]["artifactLocation"]["uri"],
        "charts/web/templates/deployment.yaml"
    );
    assert!(related["message"]["text"]
        .as_str()
        .unwrap()
        .contains("template"));
}

#[test]
fn a_waiver_on_the_values_line_covers_the_finding() {
    let d = repo();
    let p = d.path().join("clusters/prod/web.yaml");
    let text = std::fs::read_to_string(&p).unwrap().replace(
        "      privileged: true\n",
        "      privileged: true # plumbline:ignore PL-K8S-0003 reason=\"debug agent, ticket 42\"\n",
    );
    std::fs::write(&p, text).unwrap();
    let r = scan(d.path(), &[]);
    let f = findings(&r, "PL-K8S-0003", "shop-web");
    assert_eq!(f.len(), 1);
    assert_eq!(
        f[0]["suppressions"][0]["justification"],
        "debug agent, ticket 42"
    );
    // Read from the release's manifest and from the chart's rendering, the one comment is
    // still one waiver: no stale or duplicate note.
    assert!(!notification_codes(&r)
        .iter()
        .any(|c| c.starts_with("waiver-")));
}

#[test]
fn a_release_of_a_chart_from_elsewhere_is_a_warning_naming_it() {
    let d = repo();
    let r = scan(d.path(), &[]);
    let notes: Vec<&Value> = r["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["code"] == "helm-release-not-rendered")
        .collect();
    assert_eq!(notes.len(), 1, "{notes:#?}");
    let m = notes[0]["message"].as_str().unwrap();
    assert!(m.contains("HelmRelease flux-system/ingress-nginx"), "{m}");
    assert!(m.contains("HelmRepository"), "{m}");
    assert_eq!(notes[0]["file"], "clusters/prod/web.yaml");
}

#[test]
fn a_missing_values_from_object_is_an_error_and_the_release_still_renders() {
    let d = repo();
    let p = d.path().join("clusters/prod/web.yaml");
    let text = std::fs::read_to_string(&p).unwrap().replace(
        "name: web-values\n  namespace",
        "name: other-values\n  namespace",
    );
    std::fs::write(&p, text).unwrap();
    // Values that were not read make the scan incomplete (exit 3).
    let r = scan_exit(d.path(), &[], 3);
    let note = r["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["code"] == "helm-release-values")
        .expect("a note for the missing ConfigMap");
    assert!(note["message"]
        .as_str()
        .unwrap()
        .contains("ConfigMap flux-system/web-values"));
    // spec.values still apply.
    assert_eq!(findings(&r, "PL-K8S-0003", "shop-web").len(), 1);
}

#[test]
fn the_gate_rescans_a_chart_when_a_release_changes() {
    let d = repo();
    let p = d.path().join("clusters/prod/web.yaml");
    let original = std::fs::read_to_string(&p).unwrap();
    std::fs::write(
        &p,
        original.replace("privileged: true", "privileged: false"),
    )
    .unwrap();
    git(d.path(), &["init", "-q"]);
    commit_all(d.path(), "base");
    git(d.path(), &["checkout", "-q", "-b", "feature"]);
    std::fs::write(&p, &original).unwrap();
    commit_all(d.path(), "run the web release privileged");
    let run = plumbline(
        d.path(),
        &["scan", ".", "--no-config", "--base", "main", "-f", "json"],
    );
    assert_eq!(
        run.code, 1,
        "a new HIGH finding fails the gate: {}",
        run.stderr
    );
    let r = run.json();
    let new: Vec<&Value> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["baselineState"] == "new")
        .collect();
    assert_eq!(new.len(), 1, "{new:#?}");
    assert_eq!(new[0]["ruleId"], "PL-K8S-0003");
    assert_eq!(new[0]["file"], "clusters/prod/web.yaml");
}

#[test]
fn helm_charts_in_the_configuration_give_one_chart_its_values() {
    let d = repo();
    write(d.path(), "envs/jobs.yaml", "schedule: \"*/5 * * * *\"\n");
    write(
        d.path(),
        ".plumbline.yaml",
        "helm_charts:\n  charts/web:\n    set: [securityContext.privileged=true]\n  ./charts/jobs/:\n    values: [envs/jobs.yaml]\n",
    );
    let run = plumbline(d.path(), &["scan", ".", "-f", "json", "--fail-on", "never"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let r = run.json();
    // Applied after the release's own values: the staging release is privileged now too,
    // at the template line (a --set value has no line of its own).
    let staging = findings(&r, "PL-K8S-0003", "web-staging");
    assert_eq!(staging.len(), 1, "{staging:#?}");
    assert_eq!(staging[0]["file"], "charts/web/templates/deployment.yaml");
    // The other chart got only its own file.
    assert!(findings(&r, "PL-K8S-0003", "release-name-cleanup").is_empty());

    // A path outside the repository is refused with the configuration's line.
    write(
        d.path(),
        ".plumbline.yaml",
        "helm_charts:\n  charts/web:\n    values: [../../etc/passwd]\n",
    );
    let run = plumbline(d.path(), &["scan", ".", "-f", "json"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains(".plumbline.yaml"), "{}", run.stderr);
}

/// The live Deployment of the Flux release as the API server returns it, with `replicas`
/// changed by hand.
fn live_web(replicas: u64) -> plumbline::live::LiveObject {
    let labels = serde_json::json!({
        "app.kubernetes.io/name": "web",
        "app.kubernetes.io/instance": "shop-web",
        "app.kubernetes.io/version": "2.3.1"
    });
    let body = serde_json::json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "shop-web", "namespace": "shop", "labels": labels,
            "uid": "0b6c1e2a-4d1f-4c55-9a7e-5f0d2c3b4a11", "resourceVersion": "912",
            "generation": 2, "creationTimestamp": "2026-11-30T08:00:00Z"
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app.kubernetes.io/instance": "shop-web"}},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "securityContext": {"runAsNonRoot": true},
                    "containers": [{
                        "name": "web",
                        "image": "registry.example.com/shop/web:2.3.1",
                        "imagePullPolicy": "IfNotPresent",
                        "securityContext": {"allowPrivilegeEscalation": false, "privileged": true},
                        "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
                    }]
                }
            }
        }
    });
    plumbline::live::LiveObject {
        id: plumbline::model::ResourceId {
            api_version: "apps/v1".into(),
            kind: "Deployment".into(),
            namespace: Some("shop".into()),
            name: "shop-web".into(),
        },
        body,
    }
}

#[test]
fn a_release_is_compared_with_the_live_objects_in_its_namespace() {
    use plumbline::live::{KindScope, LiveCluster};
    let d = repo();
    let cluster = LiveCluster {
        name: "prod".into(),
        server: "https://127.0.0.1:6443".into(),
        complete: vec![KindScope {
            group: "apps".into(),
            version: "v1".into(),
            kind: "Deployment".into(),
            resource: "deployments".into(),
            namespaced: true,
            namespace: None,
        }],
        objects: vec![live_web(2)],
        ..LiveCluster::default()
    };
    plumbline::drift::snapshot::write(
        &d.path().join("snap.json"),
        vec![cluster],
        &plumbline::drift::secret::HashKey::random(),
    )
    .unwrap();
    // Exit 3: the snapshot lists Deployments only, so the other kinds were not compared.
    let r = scan_exit(d.path(), &["--live-snapshot", "snap.json"], 3);
    let drift: Vec<&Value> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["ruleId"].as_str().unwrap().starts_with("PL-DRIFT"))
        .collect();
    // The Flux release's Deployment is found in `shop` (its target namespace): only the
    // replicas someone scaled down differ, reported at the release's `replicaCount: 6`.
    let replicas = drift
        .iter()
        .find(|f| f["fieldPath"] == "spec.replicas")
        .unwrap_or_else(|| panic!("{drift:#?}"));
    assert_eq!(replicas["live"], "prod/shop/Deployment/shop-web");
    assert_eq!(replicas["file"], "clusters/prod/web.yaml");
    let web = std::fs::read_to_string(d.path().join("clusters/prod/web.yaml")).unwrap();
    let line = replicas["startLine"].as_u64().unwrap() as usize;
    assert_eq!(web.lines().nth(line - 1).unwrap().trim(), "replicaCount: 6");
    assert!(
        !drift
            .iter()
            .any(|f| f["ruleId"] == "PL-DRIFT-0001" && f["resource"]["name"] == "shop-web"),
        "{drift:#?}"
    );
    // The Argo CD release's Deployment is not in `staging`: missing.
    assert!(
        drift.iter().any(|f| f["ruleId"] == "PL-DRIFT-0001"
            && f["live"] == "prod/staging/Deployment/web-staging"),
        "{drift:#?}"
    );
}
