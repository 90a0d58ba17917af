//! Kustomize rendered in-process: overlays, components, generators and patches, with every
//! finding pointing at the line that produced the value; and the bad inputs.

mod common;
use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/kustomize")
}

fn shared() -> PathBuf {
    std::env::var_os("PLUMBLINE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"))
}

/// Scans a fixture directory with the built-in library, or with the test policy that echoes
/// rendered values as findings.
fn scan(dir: &str, echo: bool) -> Value {
    let root = fixtures();
    let policies = root.join("policies");
    let mut args = vec!["scan", dir, "--worktree", "-f", "json"];
    let p = policies.to_str().unwrap();
    if echo {
        args.extend(["-p", p, "--no-builtin"]);
    }
    let run = plumbline(&root, &args);
    assert!(
        run.code == 0 || run.code == 1 || run.code == 3,
        "{}",
        run.stderr
    );
    run.json()
}

fn findings(r: &Value) -> &Vec<Value> {
    r["findings"].as_array().unwrap()
}

fn notes(r: &Value) -> &Vec<Value> {
    r["notifications"].as_array().unwrap()
}

/// The findings whose message starts with `prefix`, as (file, line, resource name, message).
fn echoed<'a>(r: &'a Value, prefix: &str) -> Vec<(&'a str, u64, &'a str, &'a str)> {
    findings(r)
        .iter()
        .filter(|f| f["message"].as_str().unwrap().starts_with(prefix))
        .map(|f| {
            (
                f["file"].as_str().unwrap(),
                f["startLine"].as_u64().unwrap(),
                f["resource"]["name"].as_str().unwrap_or_default(),
                f["message"].as_str().unwrap(),
            )
        })
        .collect()
}

const BASE: &str = "fixtures/kustomize/app/base";
const PROD: &str = "fixtures/kustomize/app/overlays/prod";

/// The line of `file` (relative to the fixtures) that contains `text`.
fn line_of(file: &str, text: &str) -> u64 {
    let body = std::fs::read_to_string(fixtures().join(file)).unwrap();
    body.lines()
        .position(|l| l.contains(text))
        .unwrap_or_else(|| panic!("{text} not in {file}")) as u64
        + 1
}

/// kustomize's name suffix, computed here from its documented algorithm: SHA-256 of the JSON
/// encoding of kind, name and data (and type for a Secret), sorted keys, Go's HTML escapes;
/// the first ten hex digits with 0 1 3 a e mapped to g h k m t.
fn kustomize_hash(json: &str) -> String {
    use sha2::{Digest, Sha256};
    let hex: String = Sha256::digest(json.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    hex[..10]
        .chars()
        .map(|c| match c {
            '0' => 'g',
            '1' => 'h',
            '3' => 'k',
            'a' => 'm',
            'e' => 't',
            c => c,
        })
        .collect()
}

fn b64(s: &str) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in s.as_bytes().chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn overlay_renders_names_namespaces_labels_images_and_replicas() {
    let r = scan("app", true);
    assert_eq!(r["summary"]["incomplete"], false, "{:#?}", notes(&r));
    let kust = format!("{PROD}/kustomization.yaml");
    // namePrefix and namespace, on every object; the namespace points at `namespace:`.
    let objects = echoed(&r, "object ");
    let names: Vec<&str> = objects.iter().map(|o| o.3).collect();
    assert!(
        names.contains(&"object Deployment prod/prod-web"),
        "{names:?}"
    );
    assert!(names.contains(&"object Service prod/prod-web"), "{names:?}");
    let ns_line = line_of("app/overlays/prod/kustomization.yaml", "namespace: prod");
    let namespaces = echoed(&r, "namespace prod");
    assert_eq!(namespaces.len(), 4, "{namespaces:?}");
    assert!(namespaces.iter().all(|n| n.0 == kust && n.1 == ns_line));
    // commonLabels reach metadata, selectors and templates; `labels` without
    // includeSelectors reaches metadata only.
    let env_line = line_of("app/overlays/prod/kustomization.yaml", "env: prod");
    for prefix in [
        "label env=prod",
        "selector env=prod",
        "service-selector env=prod",
        "template-label env=prod",
    ] {
        let hits = echoed(&r, prefix);
        assert!(!hits.is_empty(), "{prefix}");
        assert!(
            hits.iter().all(|h| h.0 == kust && h.1 == env_line),
            "{prefix}: {hits:?}"
        );
    }
    assert!(!echoed(&r, "label team=payments").is_empty());
    assert!(echoed(&r, "selector team=").is_empty());
    assert!(echoed(&r, "template-label team=").is_empty());
    // The base's own label still points at the base.
    let app = echoed(&r, "label app=web");
    assert!(app.iter().any(|h| h.0 == format!("{BASE}/deployment.yaml")));
    // commonAnnotations.
    assert!(!echoed(&r, "annotation owner=platform").is_empty());
    // images: newName and newTag, at the kustomization's line.
    let images = echoed(&r, "image app ");
    assert_eq!(images.len(), 1, "{images:?}");
    assert_eq!(images[0].3, "image app registry.example.com/nginx:1.25");
    assert_eq!(
        (images[0].0, images[0].1),
        (
            kust.as_str(),
            line_of("app/overlays/prod/kustomization.yaml", "newTag")
        )
    );
    // replicas.
    let replicas = echoed(&r, "replicas ");
    assert_eq!(replicas.len(), 1);
    assert_eq!(replicas[0].3, "replicas 3");
    assert_eq!(
        replicas[0].1,
        line_of("app/overlays/prod/kustomization.yaml", "count: 3")
    );
}

#[test]
fn values_set_by_patches_point_at_the_patch_and_the_rest_at_the_base() {
    let r = scan("app", false);
    let privileged: Vec<&Value> = findings(&r)
        .iter()
        .filter(|f| f["ruleId"] == "PL-K8S-0003")
        .collect();
    // The patch makes `app` privileged and turns `sidecar`'s privileged off.
    assert_eq!(privileged.len(), 1, "{privileged:#?}");
    assert_eq!(privileged[0]["file"], format!("{PROD}/privileged.yaml"));
    assert_eq!(
        privileged[0]["startLine"].as_u64().unwrap(),
        line_of("app/overlays/prod/privileged.yaml", "privileged: true")
    );
    assert!(privileged[0]["message"]
        .as_str()
        .unwrap()
        .contains("\"app\""));
    assert_eq!(privileged[0]["resource"]["name"], "prod-web");
    assert_eq!(privileged[0]["resource"]["namespace"], "prod");
    // hostPID is declared in the base only: the finding points at the base line.
    let host: Vec<&Value> = findings(&r)
        .iter()
        .filter(|f| f["ruleId"] == "PL-K8S-0002")
        .collect();
    assert_eq!(host.len(), 1, "{host:#?}");
    assert_eq!(host[0]["file"], format!("{BASE}/deployment.yaml"));
    assert_eq!(
        host[0]["startLine"].as_u64().unwrap(),
        line_of("app/base/deployment.yaml", "hostPID: true")
    );
    // Inline patches (a component's strategic merge, an overlay's JSON 6902) point at their
    // lines inside the kustomization.
    let r = scan("app", true);
    let debug = echoed(&r, "env app DEBUG=1");
    assert_eq!(debug.len(), 1);
    assert_eq!(
        debug[0].0,
        "fixtures/kustomize/app/components/debug/kustomization.yaml"
    );
    assert_eq!(
        debug[0].1,
        line_of("app/components/debug/kustomization.yaml", "value: \"1\"")
    );
    let port = echoed(&r, "port app 8080");
    assert_eq!(port.len(), 1);
    assert_eq!(
        port[0].1,
        line_of(
            "app/overlays/prod/kustomization.yaml",
            "containerPort: 8080"
        )
    );
    let sidecar = echoed(&r, "image sidecar ");
    assert_eq!(sidecar[0].3, "image sidecar busybox:1.37");
    assert_eq!(
        sidecar[0].1,
        line_of(
            "app/overlays/prod/kustomization.yaml",
            "value: busybox:1.37"
        )
    );
}

#[test]
fn a_base_used_by_an_overlay_is_not_reported_on_its_own() {
    let r = scan("app", false);
    assert!(!findings(&r).is_empty());
    for f in findings(&r) {
        let res = &f["resource"];
        assert_eq!(res["namespace"], "prod", "{f}");
        assert!(res["name"].as_str().unwrap().starts_with("prod-"), "{f}");
    }
    // Scanning the base alone renders it as it is: no prefix, no namespace.
    let r = scan("app/base", true);
    let objects: Vec<&str> = echoed(&r, "object ").iter().map(|o| o.3).collect();
    assert!(objects.contains(&"object Deployment -/web"), "{objects:?}");
}

#[test]
fn generator_names_carry_kustomizes_hash_and_references_follow() {
    // The example of the Kubernetes documentation ("Managing Kubernetes objects using
    // kustomize"): `kubectl kustomize` names it example-configmap-2-g2hdhfc6tk.
    let r = scan("docs-example", true);
    let objects: Vec<&str> = echoed(&r, "object ").iter().map(|o| o.3).collect();
    assert_eq!(
        objects,
        ["object ConfigMap -/example-configmap-2-g2hdhfc6tk"]
    );

    let r = scan("app", true);
    // The overlay merges LOG_LEVEL into the base's generated ConfigMap; the literal's quotes
    // are removed, and Go's JSON escapes < and >.
    let cm = kustomize_hash(
        r#"{"data":{"GREETING":"hello \u003cworld\u003e","LOG_LEVEL":"warn","app.properties":"mode=fast\nretries=3\n"},"kind":"ConfigMap","name":"prod-app-config"}"#,
    );
    let secret = kustomize_hash(&format!(
        r#"{{"data":{{"API_TOKEN":"{}","DB_PASSWORD":"{}"}},"kind":"Secret","name":"prod-app-secret","type":"Opaque"}}"#,
        b64("another-fixture-secret"),
        b64("fixture-secret-value-do-not-print")
    ));
    let objects: Vec<&str> = echoed(&r, "object ").iter().map(|o| o.3).collect();
    assert!(
        objects.contains(&format!("object ConfigMap prod/prod-app-config-{cm}").as_str()),
        "{objects:?}"
    );
    assert!(
        objects.contains(&format!("object Secret prod/prod-app-secret-{secret}").as_str()),
        "{objects:?}"
    );
    // References in the Deployment follow (envFrom, volumes), keeping their own lines.
    let refs: Vec<&str> = echoed(&r, "ref ").iter().map(|o| o.3).collect();
    assert!(
        refs.contains(&format!("ref prod-app-config-{cm}").as_str()),
        "{refs:?}"
    );
    assert!(
        refs.contains(&format!("ref prod-app-secret-{secret}").as_str()),
        "{refs:?}"
    );
    let vol = echoed(&r, "volume-ref ");
    assert_eq!(vol[0].3, format!("volume-ref prod-app-config-{cm}"));
    let body = std::fs::read_to_string(fixtures().join("app/base/deployment.yaml")).unwrap();
    let volume_line = body
        .lines()
        .collect::<Vec<_>>()
        .iter()
        .rposition(|l| l.contains("name: app-config"))
        .unwrap() as u64
        + 1;
    assert_eq!(
        (vol[0].0, vol[0].1),
        (format!("{BASE}/deployment.yaml").as_str(), volume_line)
    );
    // Generated data keys point at the generator lines (the merged one at the overlay's).
    let keys = echoed(&r, "data-key LOG_LEVEL");
    assert_eq!(keys[0].0, format!("{PROD}/kustomization.yaml"));
    // The Secret's values never leave the process.
    let root = fixtures();
    for format in ["json", "sarif", "text"] {
        let run = plumbline(&root, &["scan", "app", "--worktree", "-f", format]);
        assert!(!run.stdout.contains("fixture-secret-value-do-not-print"));
        assert!(!run
            .stdout
            .contains(&b64("fixture-secret-value-do-not-print")));
        assert!(!run.stderr.contains("fixture-secret-value-do-not-print"));
    }
}

fn error_at<'a>(r: &'a Value, file: &str, line: u64) -> &'a Value {
    notes(r)
        .iter()
        .find(|n| n["level"] == "error" && n["file"] == file && n["position"]["line"] == line)
        .unwrap_or_else(|| panic!("no error at {file}:{line}: {:#?}", notes(r)))
}

#[test]
fn a_kustomization_that_includes_itself_is_reported_and_the_rest_renders() {
    let r = scan("bad/self", true);
    assert_eq!(r["summary"]["incomplete"], true);
    let n = error_at(&r, "fixtures/kustomize/bad/self/kustomization.yaml", 3);
    assert!(n["message"].as_str().unwrap().contains("cycle"), "{n}");
    let objects: Vec<&str> = echoed(&r, "object ").iter().map(|o| o.3).collect();
    assert_eq!(objects, ["object Pod -/self-pod"]);
    // Two kustomizations that include each other: the cycle is reported, once.
    let r = scan("bad/cycle", true);
    let cycles: Vec<&Value> = notes(&r)
        .iter()
        .filter(|n| n["message"].as_str().unwrap().contains("cycle"))
        .collect();
    assert_eq!(cycles.len(), 1, "{cycles:#?}");
    assert!(!echoed(&r, "object ConfigMap -/in-cycle").is_empty());
}

#[test]
fn a_patch_whose_target_does_not_exist_is_reported_and_rendering_continues() {
    let r = scan("bad/missing-target", false);
    assert_eq!(r["summary"]["incomplete"], true);
    let dir = "fixtures/kustomize/bad/missing-target";
    let file_patch = error_at(&r, &format!("{dir}/no-such-object.yaml"), 1);
    assert!(file_patch["message"]
        .as_str()
        .unwrap()
        .contains("Deployment ghost"));
    let inline = error_at(&r, &format!("{dir}/kustomization.yaml"), 9);
    assert!(inline["message"].as_str().unwrap().contains("name=nope"));
    // The patch after them was applied: hostNetwork points at it.
    let host: Vec<&Value> = findings(&r)
        .iter()
        .filter(|f| f["ruleId"] == "PL-K8S-0002")
        .collect();
    assert_eq!(host.len(), 1);
    assert_eq!(host[0]["file"], format!("{dir}/set-host-network.yaml"));
    assert_eq!(host[0]["startLine"], 8);
}

#[test]
fn a_resource_path_that_escapes_the_repository_is_reported() {
    let r = scan("bad/escape", true);
    assert_eq!(r["summary"]["incomplete"], true);
    let n = error_at(&r, "fixtures/kustomize/bad/escape/kustomization.yaml", 2);
    assert!(n["message"]
        .as_str()
        .unwrap()
        .contains("outside the repository"));
    assert!(!echoed(&r, "object ConfigMap -/escape-ok").is_empty());
}

#[test]
fn a_missing_resource_is_an_error_and_a_remote_one_a_warning() {
    let r = scan("bad/missing-file", true);
    assert_eq!(r["summary"]["incomplete"], true);
    let n = error_at(
        &r,
        "fixtures/kustomize/bad/missing-file/kustomization.yaml",
        3,
    );
    assert!(n["message"]
        .as_str()
        .unwrap()
        .contains("absent.yaml does not exist"));
    let remote = notes(&r)
        .iter()
        .find(|n| n["level"] == "warning")
        .expect("a warning for the remote resource");
    assert_eq!(remote["position"]["line"], 4);
    assert!(remote["message"].as_str().unwrap().contains("not rendered"));
    assert!(!echoed(&r, "object ConfigMap -/present").is_empty());
}

#[test]
fn invalid_yaml_in_a_base_is_reported_in_that_file_and_the_rest_renders() {
    let r = scan("bad/invalid-base", true);
    assert_eq!(r["summary"]["incomplete"], true);
    let n = error_at(
        &r,
        "fixtures/kustomize/bad/invalid-base/base/broken.yaml",
        6,
    );
    assert_eq!(n["code"], "parse-error");
    assert!(findings(&r).iter().any(|f| f["ruleId"] == "PL-PARSE-0001"
        && f["file"] == "fixtures/kustomize/bad/invalid-base/base/broken.yaml"));
    let objects: Vec<&str> = echoed(&r, "object ").iter().map(|o| o.3).collect();
    assert_eq!(objects, ["object ConfigMap -/ov-good"]);
}

#[test]
fn microservices_demo_base_and_components_render_without_loss() {
    let demo = shared().join("corpus/bench/GoogleCloudPlatform/microservices-demo/kustomize");
    assert!(
        demo.is_dir(),
        "{} is missing: the corpus is needed",
        demo.display()
    );
    let run = plumbline(
        &demo,
        &[
            "scan",
            ".",
            "--worktree",
            "-f",
            "json",
            "-p",
            fixtures().join("policies").to_str().unwrap(),
            "--no-builtin",
        ],
    );
    assert!(
        run.code == 0 || run.code == 1,
        "{}\n{}",
        run.stderr,
        run.stdout
    );
    let r = run.json();
    // Nothing is an error; unused components say what was and was not applied.
    for n in notes(&r) {
        assert_ne!(n["level"], "error", "{n}");
    }
    // Every file is loaded: each YAML file of the tree is the file of some rendered object or
    // a kustomization or patch consumed by a render.
    let objects = echoed(&r, "object ");
    assert!(objects.len() > 50, "{}", objects.len());
    let mut files = Vec::new();
    for entry in walk(&demo) {
        files.push(entry);
    }
    for f in &files {
        let name = f.file_name().unwrap().to_str().unwrap();
        if name == "kustomization.yaml" || name.ends_with(".patch.yaml") {
            continue;
        }
        let rel = f.strip_prefix(shared().parent().unwrap()).unwrap_or(f);
        let rel_name = rel.file_name().unwrap().to_str().unwrap();
        assert!(
            objects
                .iter()
                .any(|o| o.0.ends_with(&format!("/{rel_name}"))),
            "{} produced no object",
            f.display()
        );
    }
    // The tests/ overlays apply components: memorystore deletes redis-cart and sets
    // REDIS_ADDR; cymbal-branding adds its variable to the frontend.
    let env: Vec<&str> = echoed(&r, "env server ").iter().map(|o| o.3).collect();
    assert!(env.contains(&"env server CYMBAL_BRANDING=true"), "{env:?}");
    assert!(
        env.contains(&"env server REDIS_ADDR=REDIS_CONNECTION_STRING"),
        "{env:?}"
    );
    let summary = &r["summary"];
    assert!(summary["resources"].as_u64().unwrap() > 50);
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else if p.extension().is_some_and(|x| x == "yaml") {
            out.push(p);
        }
    }
    out
}

// ---------------------------------------------------------------- hostile kustomizations

mod budgets {
    use plumbline::load::kustomize::{render, render_with, Budget};
    use plumbline::load::{LoadOptions, Loaded, MemFiles};
    use plumbline::model::NoteLevel;

    /// Runs `f` on a thread with the stack a test thread has by default (2 MiB), so that a
    /// recursion the budgets failed to stop overflows here.
    fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(f)
            .unwrap()
            .join()
            .expect("the renderer must not overflow its stack")
    }

    const BASE_OBJECTS: &str =
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n---\n\
        apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    \
        spec:\n      containers:\n      - name: web\n        image: nginx\n";

    /// A diamond `levels` deep: `l0` holds two objects; `l{k}a` and `l{k}b` each include
    /// both kustomizations of the level below (with `extra` added to each); `top` includes
    /// both of the last level.
    fn diamond(levels: usize, extra: impl Fn(usize, &str) -> String) -> MemFiles {
        let mut files = vec![
            (
                "d/l0/kustomization.yaml".to_string(),
                "resources: [objs.yaml]\n".to_string(),
            ),
            ("d/l0/objs.yaml".to_string(), BASE_OBJECTS.to_string()),
        ];
        for k in 1..=levels {
            for side in ["a", "b"] {
                let below = if k == 1 {
                    "[../l0]".to_string()
                } else {
                    format!("[../l{p}a, ../l{p}b]", p = k - 1)
                };
                files.push((
                    format!("d/l{k}{side}/kustomization.yaml"),
                    format!("resources: {below}\n{}", extra(k, side)),
                ));
            }
        }
        files.push((
            "d/top/kustomization.yaml".to_string(),
            format!("resources: [../l{levels}a, ../l{levels}b]\n"),
        ));
        MemFiles::new(files)
    }

    fn codes(l: &Loaded, code: &str) -> Vec<String> {
        l.notifications
            .iter()
            .filter(|n| n.code == code)
            .map(|n| n.message.clone())
            .collect()
    }

    #[test]
    fn a_diamond_of_one_base_is_rendered_once_and_the_repeats_refused_as_kustomize_does() {
        // 2^22 copies of the base without reuse and without the duplicate check.
        let l = on_small_stack(|| {
            render(
                &diamond(22, |_, _| String::new()),
                "d/top",
                &LoadOptions::default(),
            )
        });
        let names: Vec<String> = l
            .documents
            .iter()
            .map(|d| d.resource.as_ref().unwrap().name.clone())
            .collect();
        assert_eq!(names, ["settings", "web"]);
        assert!(
            codes(&l, "kustomize-budget").is_empty(),
            "{:#?}",
            l.notifications
        );
        let repeats: Vec<&plumbline::model::Notification> = l
            .notifications
            .iter()
            .filter(|n| n.message.contains("already registered id"))
            .collect();
        // Once per kustomization that includes the base twice: the second entry of each
        // kustomization of levels 2 to 22, and of the top. Each is an error (incomplete scan).
        assert_eq!(repeats.len(), 2 * 21 + 1, "{repeats:#?}");
        assert!(repeats.iter().all(|n| n.level == NoteLevel::Error));
        let top = repeats
            .iter()
            .find(|n| n.file.as_deref() == Some("d/top/kustomization.yaml"))
            .expect("the top kustomization's repeat is reported");
        assert_eq!(top.position.map(|p| p.line), Some(1));
        assert!(
            top.message.contains("../l22b adds 2 object(s)"),
            "{}",
            top.message
        );
        assert!(
            top.message.contains("v1 ConfigMap default/settings"),
            "{}",
            top.message
        );
    }

    #[test]
    fn a_diamond_that_doubles_its_objects_stops_at_the_object_budget() {
        // A prefix per side: every level really doubles the objects (kustomize would render
        // 2^23 of them).
        let files = diamond(22, |_, side| format!("namePrefix: {side}-\n"));
        let budget = Budget {
            max_objects: 1000,
            ..Budget::default()
        };
        let l =
            on_small_stack(move || render_with(&files, "d/top", &LoadOptions::default(), budget));
        let stops = codes(&l, "kustomize-budget");
        assert_eq!(stops.len(), 1, "{:#?}", l.notifications);
        assert!(
            stops[0].contains("rendering d/top/kustomization.yaml stops here"),
            "{}",
            stops[0]
        );
        assert!(stops[0].contains("more than 1000 objects"), "{}", stops[0]);
        let n = l
            .notifications
            .iter()
            .find(|n| n.code == "kustomize-budget")
            .unwrap();
        assert_eq!(n.level, NoteLevel::Error);
        assert!(n.file.as_deref().unwrap().ends_with("kustomization.yaml"));
        // What was rendered before the stop is kept, within the budget.
        assert!(
            !l.documents.is_empty() && l.documents.len() <= 1000,
            "{}",
            l.documents.len()
        );
        // Names carry the prefixes of the levels that were applied.
        assert!(l
            .documents
            .iter()
            .all(|d| d.resource.as_ref().unwrap().name.starts_with("a-")
                || d.resource.as_ref().unwrap().name.starts_with("b-")));
    }

    #[test]
    fn components_listed_twice_at_every_level_stop_at_the_work_budget() {
        // 2^30 expansions of the last component if nothing stopped them.
        let mut files = vec![
            (
                "c/top/kustomization.yaml".to_string(),
                "resources: [cm.yaml]\ncomponents: [../c0]\n".to_string(),
            ),
            (
                "c/top/cm.yaml".to_string(),
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n".to_string(),
            ),
        ];
        for i in 0..30 {
            files.push((
                format!("c/c{i}/kustomization.yaml"),
                format!(
                    "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n\
                     components: [../c{n}, ../c{n}]\ncommonLabels: {{level{i}: x}}\n",
                    n = i + 1
                ),
            ));
        }
        files.push((
            "c/c30/kustomization.yaml".to_string(),
            "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n".to_string(),
        ));
        let files = MemFiles::new(files);
        let budget = Budget {
            max_expansion_work: 5_000,
            ..Budget::default()
        };
        let l =
            on_small_stack(move || render_with(&files, "c/top", &LoadOptions::default(), budget));
        let stops = codes(&l, "kustomize-budget");
        assert_eq!(stops.len(), 1, "{:#?}", l.notifications);
        assert!(
            stops[0].contains("more than 5000 units of work"),
            "{}",
            stops[0]
        );
        assert!(
            stops[0].contains("c/top/kustomization.yaml"),
            "{}",
            stops[0]
        );
        assert_eq!(l.documents.len(), 1);
    }

    #[test]
    fn a_chain_of_kustomizations_deeper_than_the_nesting_budget_is_cut_and_reported() {
        let mut files = Vec::new();
        for i in 0..100 {
            files.push((
                format!("n/k{i}/kustomization.yaml"),
                format!("resources: [../k{}, cm.yaml]\n", i + 1),
            ));
            files.push((
                format!("n/k{i}/cm.yaml"),
                format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm{i}\n"),
            ));
        }
        files.push((
            "n/k100/kustomization.yaml".to_string(),
            "resources: []\n".to_string(),
        ));
        let files = MemFiles::new(files);
        let l = on_small_stack(move || render(&files, "n/k0", &LoadOptions::default()));
        let deep: Vec<&plumbline::model::Notification> = l
            .notifications
            .iter()
            .filter(|n| n.message.contains("nest more than 32 levels"))
            .collect();
        assert_eq!(deep.len(), 1, "{:#?}", l.notifications);
        assert_eq!(deep[0].level, NoteLevel::Error);
        assert_eq!(deep[0].file.as_deref(), Some("n/k31/kustomization.yaml"));
        // The 32 kustomizations within the limit render.
        assert_eq!(l.documents.len(), 32);
    }

    #[test]
    fn patches_delete_and_rename_in_order_and_replicas_take_the_last_entry() {
        let files = MemFiles::new([
            (
                "p/kustomization.yaml",
                "resources: [objs.yaml]\n\
                 patches:\n\
                 - patch: |\n    apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: gone\n    $patch: delete\n\
                 - patch: |\n    apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: gone\n    data: {a: b}\n\
                 - target: {kind: Deployment, name: web}\n  patch: |\n    - op: replace\n      path: /metadata/name\n      value: api\n\
                 - patch: |\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: api\n    spec:\n      paused: true\n\
                 replicas:\n- {name: web, count: 2}\n- {name: api, count: 5}\n",
            ),
            (
                "p/objs.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: gone\n---\n\
                 apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kept\n---\n\
                 apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n",
            ),
        ]);
        let l = render(&files, "p", &LoadOptions::default());
        let names: Vec<String> = l
            .documents
            .iter()
            .map(|d| d.resource.as_ref().unwrap().name.clone())
            .collect();
        assert_eq!(names, ["kept", "api"]);
        // The patch after the delete finds nothing to patch, and says so.
        let missing: Vec<&String> = l
            .notifications
            .iter()
            .map(|n| &n.message)
            .filter(|m| m.contains("not among the objects"))
            .collect();
        assert_eq!(missing.len(), 1, "{:#?}", l.notifications);
        assert!(missing[0].contains("ConfigMap gone"), "{}", missing[0]);
        let api = l.documents[1].node.to_json();
        assert_eq!(
            api["spec"]["paused"], true,
            "the patch by the new name applies"
        );
        assert_eq!(api["spec"]["replicas"], 5, "the last replicas entry wins");
    }
}
