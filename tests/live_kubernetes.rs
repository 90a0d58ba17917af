//! The live Kubernetes reader against a test API server built from real recordings.

mod support;

use plumbline::live::kubernetes::{
    context_namespace, read_cluster, read_clusters, ClusterTarget, ReadOptions,
};
use plumbline::live::{KindRequest, LiveCluster};
use plumbline::model::NoteLevel;
use serde_json::Value;
use std::collections::BTreeSet;
use std::time::Duration;
use support::apiserver::{recorded_dir, ApiServer, Recorded};

const SSAR: &str = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";

/// The kinds recorded in namespace `demo`: (apiVersion, kind, recorded list file).
const DEMO_KINDS: &[(&str, &str, &str)] = &[
    ("apps/v1", "Deployment", "ns-demo_deployments.json"),
    ("v1", "Service", "ns-demo_services.json"),
    ("v1", "ConfigMap", "ns-demo_configmaps.json"),
    ("v1", "Secret", "ns-demo_secrets.json"),
    ("v1", "ServiceAccount", "ns-demo_serviceaccounts.json"),
    ("rbac.authorization.k8s.io/v1", "Role", "ns-demo_roles.json"),
    (
        "rbac.authorization.k8s.io/v1",
        "RoleBinding",
        "ns-demo_rolebindings.json",
    ),
    (
        "networking.k8s.io/v1",
        "NetworkPolicy",
        "ns-demo_networkpolicies.json",
    ),
    ("example.com/v1", "Widget", "ns-demo_widgets.json"),
];

fn req(api_version: &str, kind: &str, namespaces: &[&str]) -> KindRequest {
    KindRequest {
        api_version: api_version.to_string(),
        kind: kind.to_string(),
        namespaces: namespaces.iter().map(|s| s.to_string()).collect(),
    }
}

fn demo_requests() -> Vec<KindRequest> {
    DEMO_KINDS
        .iter()
        .map(|(av, k, _)| req(av, k, &["demo"]))
        .collect()
}

struct Env {
    server: ApiServer,
    _dir: tempfile::TempDir,
    target: ClusterTarget,
}

fn env(context: &str) -> Env {
    let server = ApiServer::start();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = server.write_kubeconfig(dir.path(), context, None);
    Env {
        server,
        _dir: dir,
        target: ClusterTarget {
            context: Some(context.to_string()),
            kubeconfig: Some(kubeconfig),
        },
    }
}

fn opts() -> ReadOptions {
    ReadOptions {
        request_timeout: Duration::from_secs(10),
        ..ReadOptions::default()
    }
}

/// Reads the cluster. The test server serves the OpenAPI v3 document of apps/v1 only, so
/// reading core or RBAC kinds adds a Note (`live-openapi`, tested in tests/live_openapi.rs);
/// it is checked to be a Note and left out here.
fn read(e: &Env, requests: &[KindRequest], opts: &ReadOptions) -> LiveCluster {
    let mut r = read_clusters(std::slice::from_ref(&e.target), requests, opts);
    let mut c = r.pop().unwrap().expect("cluster readable");
    c.notifications.retain(|n| {
        let openapi = n.code == "live-openapi";
        assert!(!openapi || n.level == NoteLevel::Note, "{n:?}");
        !openapi
    });
    c
}

fn recorded_names(file: &str) -> BTreeSet<String> {
    let text = std::fs::read_to_string(recorded_dir().join("lists").join(file)).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["metadata"]["name"].as_str().unwrap().to_string())
        .collect()
}

fn names_of(c: &LiveCluster, api_version: &str, kind: &str) -> BTreeSet<String> {
    c.objects
        .iter()
        .filter(|o| o.id.api_version == api_version && o.id.kind == kind)
        .map(|o| o.id.name.clone())
        .collect()
}

fn lists_of<'a>(reqs: &'a [Recorded], path: &str) -> Vec<&'a Recorded> {
    reqs.iter()
        .filter(|r| r.method == "GET" && r.path == path)
        .collect()
}

#[test]
fn test_server_pages_match_the_recorded_responses_byte_for_byte() {
    let server = ApiServer::start();
    let index = std::fs::read_to_string(recorded_dir().join("INDEX.tsv")).unwrap();
    let mut checked = 0;
    for line in index.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        if f[0].starts_with("pagination/ns-paging") || f[0] == "lists/ns-demo_configmaps.json" {
            let (status, body) = server.raw_get(f[2]);
            assert_eq!(status, 200, "{}", f[2]);
            let recorded = std::fs::read_to_string(recorded_dir().join(f[0])).unwrap();
            assert_eq!(body, recorded, "{} differs from {}", f[2], f[0]);
            checked += 1;
        }
    }
    assert_eq!(checked, 4);
    let (status, _) =
        server.raw_get("/api/v1/namespaces/paging/configmaps?limit=10&continue=not-a-valid-token");
    assert_eq!(status, 400);
}

#[test]
fn test_server_answers_rules_reviews_without_the_forbidden_kind() {
    let server = ApiServer::start();
    server.forbid("secrets");
    let review = r#"{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectRulesReview","spec":{"namespace":"demo"}}"#;
    let (status, body) = server.raw_post(
        "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
        review,
    );
    assert_eq!(status, 201);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["spec"]["namespace"], "demo");
    let core: Vec<&Value> = v["status"]["resourceRules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["apiGroups"][0] == "")
        .collect();
    assert_eq!(core.len(), 1);
    let resources = core[0]["resources"].as_array().unwrap();
    assert!(resources.iter().any(|r| r == "configmaps"));
    assert!(!resources.iter().any(|r| r == "secrets"));
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].method, "POST");
}

#[test]
fn reads_the_recorded_demo_kinds_with_api_version_and_kind_filled_in() {
    let e = env("recorded");
    let c = read(&e, &demo_requests(), &opts());
    assert!(c.notifications.is_empty(), "{:?}", c.notifications);
    assert_eq!(c.name, "recorded");
    assert_eq!(c.server.trim_end_matches('/'), e.server.url());
    for (av, kind, file) in DEMO_KINDS {
        let got = names_of(&c, av, kind);
        assert!(!got.is_empty(), "{av} {kind}");
        assert_eq!(got, recorded_names(file), "{av} {kind}");
    }
    for o in &c.objects {
        assert_eq!(o.body["apiVersion"], o.id.api_version.as_str());
        assert_eq!(o.body["kind"], o.id.kind.as_str());
        assert_eq!(o.id.namespace.as_deref(), Some("demo"));
        assert_eq!(o.body["metadata"]["name"], o.id.name.as_str());
    }
    // The list item is the object a single GET returns.
    let web: Value = serde_json::from_str(
        &std::fs::read_to_string(recorded_dir().join("objects/deployment_demo_web.json")).unwrap(),
    )
    .unwrap();
    let live = c
        .objects
        .iter()
        .find(|o| o.id.kind == "Deployment" && o.id.name == "web")
        .unwrap();
    assert_eq!(live.body, web);
    // Sorted by (apiVersion, kind, namespace, name).
    let ids: Vec<_> = c
        .objects
        .iter()
        .map(|o| {
            (
                o.id.api_version.clone(),
                o.id.kind.clone(),
                o.id.namespace.clone(),
                o.id.name.clone(),
            )
        })
        .collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
    // Every kind complete, in namespace demo.
    assert_eq!(c.complete.len(), DEMO_KINDS.len());
    assert!(c
        .complete
        .iter()
        .all(|s| s.namespace.as_deref() == Some("demo") && s.namespaced));
    let deploy = c.complete.iter().find(|s| s.kind == "Deployment").unwrap();
    assert_eq!(
        (
            deploy.group.as_str(),
            deploy.version.as_str(),
            deploy.resource.as_str()
        ),
        ("apps", "v1", "deployments")
    );
    // Only GET, besides exactly one access review per kind and namespace.
    let reqs = e.server.requests();
    assert_eq!(c.requests, reqs.len());
    let posts: Vec<_> = reqs.iter().filter(|r| r.method != "GET").collect();
    assert_eq!(posts.len(), DEMO_KINDS.len());
    assert!(posts.iter().all(|r| r.method == "POST" && r.path == SSAR));
    // Discovery (2) + one review and one page per kind + the OpenAPI v3 index and one
    // document per declared group-version.
    let group_versions: BTreeSet<&str> = DEMO_KINDS.iter().map(|(av, _, _)| *av).collect();
    assert_eq!(
        reqs.len(),
        2 + 2 * DEMO_KINDS.len() + 1 + group_versions.len()
    );
    // The review asked about list in namespace demo.
    assert!(posts.iter().any(|r| r.body.contains("\"deployments\"")
        && r.body.contains("\"demo\"")
        && r.body.contains("\"list\"")));
}

#[test]
fn cluster_scoped_kinds_are_listed_once_cluster_wide() {
    let e = env("cluster");
    let c = read(
        &e,
        &[
            req("v1", "Namespace", &[]),
            req("apiextensions.k8s.io/v1", "CustomResourceDefinition", &[]),
        ],
        &opts(),
    );
    assert!(c.notifications.is_empty(), "{:?}", c.notifications);
    assert_eq!(
        names_of(&c, "v1", "Namespace"),
        recorded_names("api_v1_namespaces.json")
    );
    assert!(
        names_of(&c, "apiextensions.k8s.io/v1", "CustomResourceDefinition")
            .contains("widgets.example.com")
    );
    assert!(c
        .complete
        .iter()
        .all(|s| s.namespace.is_none() && !s.namespaced));
    assert!(c.objects.iter().all(|o| o.id.namespace.is_none()));
}

#[test]
fn thirty_config_maps_with_limit_ten_come_in_three_pages() {
    let e = env("paging");
    let o = ReadOptions {
        page_size: 10,
        ..opts()
    };
    let c = read(&e, &[req("v1", "ConfigMap", &["paging"])], &o);
    assert!(c.notifications.is_empty());
    assert_eq!(c.objects.len(), 30);
    let reqs = e.server.requests();
    let pages = lists_of(&reqs, "/api/v1/namespaces/paging/configmaps");
    assert_eq!(pages.len(), 3);
    assert_eq!(pages[0].query, "limit=10");
    assert!(pages[1].query.starts_with("limit=10&continue="));
    assert_eq!(c.complete.len(), 1);
}

#[test]
fn gone_on_a_continue_token_restarts_the_list_and_reads_each_object_once() {
    let e = env("gone");
    e.server.gone_on_first_continue();
    let o = ReadOptions {
        page_size: 10,
        ..opts()
    };
    let c = read(&e, &[req("v1", "ConfigMap", &["paging"])], &o);
    assert!(c.notifications.is_empty(), "{:?}", c.notifications);
    assert_eq!(c.objects.len(), 30);
    let unique: BTreeSet<_> = c.objects.iter().map(|o| o.id.name.clone()).collect();
    assert_eq!(unique.len(), 30);
    let reqs = e.server.requests();
    let pages = lists_of(&reqs, "/api/v1/namespaces/paging/configmaps");
    // page 1, the expired continue, then pages 1-3 again.
    assert_eq!(pages.len(), 5);
    assert_eq!(pages[2].query, "limit=10");
    assert_eq!(c.complete.len(), 1);
}

#[test]
fn too_many_requests_is_retried_after_retry_after() {
    let e = env("throttled");
    e.server.throttle_once(1);
    let c = read(&e, &[req("v1", "ConfigMap", &["demo"])], &opts());
    assert!(c.notifications.is_empty(), "{:?}", c.notifications);
    assert_eq!(c.complete.len(), 1);
    assert_eq!(
        names_of(&c, "v1", "ConfigMap"),
        recorded_names("ns-demo_configmaps.json")
    );
    let reqs = e.server.requests();
    assert_eq!(
        lists_of(&reqs, "/api/v1/namespaces/demo/configmaps").len(),
        2
    );
}

fn assert_secret_forbidden(c: &LiveCluster, cluster: &str) {
    let n: Vec<_> = c
        .notifications
        .iter()
        .filter(|n| n.code == "live-forbidden")
        .collect();
    assert_eq!(n.len(), 1, "{:?}", c.notifications);
    assert_eq!(n[0].level, NoteLevel::Error);
    for part in ["Secret", "demo", cluster, "get,list", "secrets"] {
        assert!(
            n[0].message.contains(part),
            "{part} missing: {}",
            n[0].message
        );
    }
    assert!(!c.complete.iter().any(|s| s.kind == "Secret"));
    assert!(c.objects.iter().all(|o| o.id.kind != "Secret"));
    assert_eq!(c.complete.len(), DEMO_KINDS.len() - 1);
    assert_eq!(
        names_of(c, "apps/v1", "Deployment"),
        recorded_names("ns-demo_deployments.json")
    );
}

#[test]
fn a_kind_denied_by_the_access_review_is_a_notification_and_not_listed() {
    let e = env("rbac");
    e.server.forbid("secrets");
    let c = read(&e, &demo_requests(), &opts());
    assert_secret_forbidden(&c, "rbac");
    let reqs = e.server.requests();
    assert!(lists_of(&reqs, "/api/v1/namespaces/demo/secrets").is_empty());
}

#[test]
fn without_the_review_api_a_forbidden_list_is_the_same_notification() {
    let e = env("noreview");
    e.server.forbid("secrets");
    e.server.disable_access_review();
    let c = read(&e, &demo_requests(), &opts());
    assert_secret_forbidden(&c, "noreview");
    let reqs = e.server.requests();
    assert_eq!(lists_of(&reqs, "/api/v1/namespaces/demo/secrets").len(), 1);
    // One review found the API missing; the other kinds skipped the preflight.
    let posts: Vec<_> = reqs.iter().filter(|r| r.method != "GET").collect();
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert_eq!(posts[0].path, SSAR);
}

#[test]
fn server_errors_past_max_retries_become_a_notification() {
    let e = env("broken");
    e.server.fail_always("configmaps");
    let o = ReadOptions {
        max_retries: 2,
        ..opts()
    };
    let c = read(
        &e,
        &[
            req("v1", "ConfigMap", &["demo"]),
            req("v1", "Service", &["demo"]),
        ],
        &o,
    );
    assert_eq!(c.notifications.len(), 1, "{:?}", c.notifications);
    let n = &c.notifications[0];
    assert_eq!((n.code.as_str(), n.level), ("live-error", NoteLevel::Error));
    assert!(
        n.message.contains("ConfigMap") && n.message.contains("500"),
        "{}",
        n.message
    );
    assert_eq!(c.complete.len(), 1);
    assert_eq!(c.complete[0].kind, "Service");
    let reqs = e.server.requests();
    assert_eq!(
        lists_of(&reqs, "/api/v1/namespaces/demo/configmaps").len(),
        3
    );
}

#[test]
fn a_list_without_an_answer_within_the_request_timeout_becomes_a_notification() {
    let e = env("slow");
    e.server.slow("configmaps", Duration::from_secs(5));
    let o = ReadOptions {
        request_timeout: Duration::from_millis(300),
        max_retries: 1,
        ..ReadOptions::default()
    };
    let c = read(
        &e,
        &[
            req("v1", "ConfigMap", &["demo"]),
            req("v1", "Service", &["demo"]),
        ],
        &o,
    );
    assert_eq!(c.notifications.len(), 1, "{:?}", c.notifications);
    let n = &c.notifications[0];
    assert_eq!((n.code.as_str(), n.level), ("live-error", NoteLevel::Error));
    assert!(n.message.contains("ConfigMap"), "{}", n.message);
    assert_eq!(c.complete.len(), 1);
    assert_eq!(c.complete[0].kind, "Service");
    // Retried once after the first timeout, then given up.
    let reqs = e.server.requests();
    assert_eq!(
        lists_of(&reqs, "/api/v1/namespaces/demo/configmaps").len(),
        2
    );
}

#[test]
fn without_aggregated_discovery_per_group_discovery_is_used() {
    let e = env("plain");
    e.server.disable_aggregated_discovery();
    assert_per_group_discovery(&e);
}

#[test]
fn aggregated_discovery_refused_with_406_or_404_falls_back_to_per_group_discovery() {
    for status in [406, 404] {
        let e = env("refused");
        e.server.refuse_aggregated_discovery(status);
        assert_per_group_discovery(&e);
        let reqs = e.server.requests();
        assert_eq!(reqs[0].path, "/api", "{status}");
    }
}

fn assert_per_group_discovery(e: &Env) {
    let c = read(e, &demo_requests(), &opts());
    assert!(c.notifications.is_empty(), "{:?}", c.notifications);
    for (av, kind, file) in DEMO_KINDS {
        assert_eq!(names_of(&c, av, kind), recorded_names(file), "{av} {kind}");
    }
    let reqs = e.server.requests();
    for p in [
        "/api/v1",
        "/apis/apps/v1",
        "/apis/example.com/v1",
        "/apis/networking.k8s.io/v1",
    ] {
        assert_eq!(lists_of(&reqs, p).len(), 1, "{p}");
    }
    assert!(reqs.iter().all(|r| r.method == "GET" || r.path == SSAR));
}

#[test]
fn a_kind_the_server_does_not_serve_is_an_unknown_kind_notification() {
    let e = env("unknown");
    let c = read(
        &e,
        &[
            req("example.com/v1", "Gadget", &["demo"]),
            req("v1", "Service", &["demo"]),
        ],
        &opts(),
    );
    assert_eq!(c.notifications.len(), 1);
    assert_eq!(c.notifications[0].code, "live-unknown-kind");
    assert!(c.notifications[0].message.contains("Gadget"));
    assert_eq!(c.complete.len(), 1);
}

#[test]
fn requests_grow_with_pages_not_objects() {
    let count = |n: usize| {
        let e = env("bulk");
        e.server
            .add_synthetic("v1", "ConfigMap", Some("bulk"), "cm", n);
        let c = read(&e, &[req("v1", "ConfigMap", &["bulk"])], &opts());
        assert_eq!(c.objects.len(), n);
        assert!(c.notifications.is_empty());
        c.requests
    };
    // discovery (2) + one access review + OpenAPI v3 (index and api/v1) + pages of 500.
    assert_eq!(count(1000), 5 + 2);
    assert_eq!(count(5000), 5 + 10);
}

#[test]
fn many_namespaces_are_listed_once_across_all_namespaces() {
    let e = env("wide");
    let namespaces: Vec<String> = (0..11).map(|i| format!("ns-{i:02}")).collect();
    let refs: Vec<&str> = namespaces.iter().map(String::as_str).collect();
    let c = read(&e, &[req("v1", "ConfigMap", &refs)], &opts());
    assert_eq!(c.complete.len(), 1);
    assert_eq!(c.complete[0].namespace, None);
    let reqs = e.server.requests();
    assert_eq!(lists_of(&reqs, "/api/v1/configmaps").len(), 1);
    // Few namespaces: one list each.
    let e = env("narrow");
    let c = read(&e, &[req("v1", "ConfigMap", &["demo", "paging"])], &opts());
    assert_eq!(c.complete.len(), 2);
    assert_eq!(c.objects.len(), 31);
}

#[test]
fn many_namespaces_not_listable_across_all_namespaces_are_listed_one_by_one() {
    for review_api in [true, false] {
        let e = env("roles-only");
        e.server.forbid_cluster_wide("configmaps");
        if !review_api {
            e.server.disable_access_review();
        }
        let mut namespaces: Vec<String> = (0..11).map(|i| format!("ns-{i:02}")).collect();
        namespaces.push("demo".to_string());
        let refs: Vec<&str> = namespaces.iter().map(String::as_str).collect();
        let c = read(&e, &[req("v1", "ConfigMap", &refs)], &opts());
        assert!(c.notifications.is_empty(), "{:?}", c.notifications);
        let listed: BTreeSet<Option<String>> =
            c.complete.iter().map(|s| s.namespace.clone()).collect();
        let expected: BTreeSet<Option<String>> =
            namespaces.iter().map(|n| Some(n.clone())).collect();
        assert_eq!(listed, expected);
        assert_eq!(
            names_of(&c, "v1", "ConfigMap"),
            recorded_names("ns-demo_configmaps.json")
        );
        let reqs = e.server.requests();
        let wide = lists_of(&reqs, "/api/v1/configmaps").len();
        // With the review API the wide list is never sent; without it, its 403 is the answer.
        assert_eq!(wide, usize::from(!review_api), "review api {review_api}");
        assert_eq!(
            lists_of(&reqs, "/api/v1/namespaces/demo/configmaps").len(),
            1
        );
    }
}

#[test]
fn context_namespace_comes_from_the_kubeconfig() {
    let server = ApiServer::start();
    let dir = tempfile::tempdir().unwrap();
    let with = server.write_kubeconfig(dir.path(), "team", Some("team-a"));
    let without = server.write_kubeconfig(dir.path(), "plain", None);
    let t = |ctx: Option<&str>, k: &std::path::Path| ClusterTarget {
        context: ctx.map(str::to_string),
        kubeconfig: Some(k.to_path_buf()),
    };
    assert_eq!(
        context_namespace(&t(Some("team"), &with)).unwrap(),
        "team-a"
    );
    assert_eq!(context_namespace(&t(None, &with)).unwrap(), "team-a");
    assert_eq!(context_namespace(&t(None, &without)).unwrap(), "default");
    let err = context_namespace(&t(Some("nope"), &with)).unwrap_err();
    assert!(err.contains("\"nope\"") && err.contains("team"), "{err}");
}

#[test]
fn an_unusable_cluster_is_an_error_naming_the_context() {
    let server = ApiServer::start();
    let dir = tempfile::tempdir().unwrap();
    let good = server.write_kubeconfig(dir.path(), "good", None);
    let bad_token = server.write_kubeconfig_with_token(dir.path(), "stale", None, "expired");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let reqs = [req("v1", "Service", &["demo"])];
    let err = rt
        .block_on(read_cluster(
            &ClusterTarget {
                context: Some("missing-ctx".into()),
                kubeconfig: Some(good.clone()),
            },
            &reqs,
            &opts(),
        ))
        .unwrap_err();
    assert!(err.contains("missing-ctx"), "{err}");
    let err = rt
        .block_on(read_cluster(
            &ClusterTarget {
                context: Some("stale".into()),
                kubeconfig: Some(bad_token),
            },
            &reqs,
            &opts(),
        ))
        .unwrap_err();
    assert!(err.contains("stale") && err.contains("401"), "{err}");
    // Unreachable: nothing listens on the port any more.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let text = std::fs::read_to_string(&good)
        .unwrap()
        .replace(&server.url(), &format!("http://127.0.0.1:{port}"));
    let gone = dir.path().join("gone");
    std::fs::write(&gone, text).unwrap();
    let results = read_clusters(
        &[
            ClusterTarget {
                context: Some("good".into()),
                kubeconfig: Some(gone),
            },
            ClusterTarget {
                context: Some("good".into()),
                kubeconfig: Some(good),
            },
        ],
        &reqs,
        &ReadOptions {
            max_retries: 1,
            ..opts()
        },
    );
    let err = results[0].as_ref().unwrap_err();
    assert!(
        err.contains("good") && err.contains(&port.to_string()),
        "{err}"
    );
    assert_eq!(results[1].as_ref().unwrap().complete.len(), 1);
}

#[test]
fn in_cluster_outside_a_pod_is_an_error_naming_in_cluster() {
    if std::path::Path::new("/var/run/secrets/kubernetes.io/serviceaccount/token").exists()
        || std::env::var_os("KUBERNETES_SERVICE_HOST").is_some()
    {
        return; // really inside a pod: nothing to assert about the error
    }
    let target = ClusterTarget {
        context: Some("in-cluster".into()),
        kubeconfig: None,
    };
    assert_eq!(context_namespace(&target).unwrap(), "default");
    let mut r = read_clusters(&[target], &[req("v1", "Service", &["demo"])], &opts());
    let err = r.pop().unwrap().unwrap_err();
    assert!(err.contains("in-cluster"), "{err}");
}
