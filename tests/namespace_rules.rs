//! Namespace rules end to end (PL-K8S-0038: a workload no NetworkPolicy selects; PL-K8S-0039:
//! a NetworkPolicy that selects no workload): objects of several files compared by
//! namespace, a rendered Kustomize overlay's namespace, in-place waivers, shards (the first
//! evaluates them over every file) and the merge-request gate (not evaluated, with a note).

mod common;
use common::*;
use serde_json::Value;
use std::path::Path;

fn deployment(name: &str, namespace: Option<&str>, app: &str) -> String {
    let ns = namespace.map_or(String::new(), |n| format!("  namespace: {n}\n"));
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n{ns}spec:\n  \
         selector:\n    matchLabels:\n      app: {app}\n  template:\n    metadata:\n      \
         labels:\n        app: {app}\n        tier: back\n    spec:\n      containers:\n        \
         - name: app\n          image: nginx:1.25\n"
    )
}

fn policy(name: &str, namespace: &str, selector: &str) -> String {
    format!(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: {name}\n  \
         namespace: {namespace}\nspec:\n  podSelector:\n{selector}  policyTypes:\n    - Ingress\n"
    )
}

fn tree(d: &Path) {
    write(d, "shop/web.yaml", &deployment("web", Some("shop"), "web"));
    write(d, "shop/api.yaml", &deployment("api", Some("shop"), "api"));
    // Selects web by label, and a second policy that selects nothing of the scan.
    write(
        d,
        "shop/policies.yaml",
        &format!(
            "{}---\n{}",
            policy("web", "shop", "    matchLabels:\n      app: web\n"),
            policy(
                "gone",
                "shop",
                "    matchExpressions:\n      - key: app\n        operator: In\n        values: [gone]\n"
            )
        ),
    );
    // The same labels in another namespace are not covered by shop's policy.
    write(d, "blog/web.yaml", &deployment("web", Some("blog"), "web"));
    // No namespace: `default`, covered by a default-deny policy there (empty selector).
    write(d, "misc/tool.yaml", &deployment("tool", None, "tool"));
    write(
        d,
        "misc/deny.yaml",
        &policy("deny-all", "default", "    {}\n"),
    );
    // A Kustomize overlay puts its base into `team`, where only `team`'s policy counts.
    write(d, "team/base/deploy.yaml", &deployment("svc", None, "svc"));
    write(
        d,
        "team/base/kustomization.yaml",
        "resources:\n  - deploy.yaml\n",
    );
    write(
        d,
        "team/overlay/kustomization.yaml",
        "namespace: team\nresources:\n  - ../base\n  - np.yaml\n",
    );
    write(
        d,
        "team/overlay/np.yaml",
        &policy("svc", "team", "    matchLabels:\n      tier: back\n"),
    );
}

/// shop/api.yaml with an in-place waiver of PL-K8S-0038 on the line the finding points at.
fn waived_api() -> String {
    deployment("api", Some("shop"), "api").replace(
        "  name: api\n",
        "  # plumbline:ignore PL-K8S-0038 reason=\"shop's mesh isolates api\"\n  name: api\n",
    )
}

fn namespace_findings(report: &Value) -> Vec<(String, String, u64, bool)> {
    let mut out: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["ruleId"] == "PL-K8S-0038" || f["ruleId"] == "PL-K8S-0039")
        .map(|f| {
            (
                f["ruleId"].as_str().unwrap().to_string(),
                f["file"].as_str().unwrap().to_string(),
                f["startLine"].as_u64().unwrap(),
                !f["suppressions"].as_array().unwrap().is_empty(),
            )
        })
        .collect();
    out.sort();
    out
}

fn scan(d: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["scan", ".", "-f", "json", "--fail-on", "never"];
    args.extend_from_slice(extra);
    let r = plumbline(d, &args);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    r.json()
}

#[test]
fn workloads_and_policies_are_compared_within_their_namespace() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    tree(d);
    let report = scan(d, &[]);
    assert_eq!(
        namespace_findings(&report),
        [
            // api (shop) and web (blog): no policy of their namespace selects them, at
            // metadata.name.
            ("PL-K8S-0038".into(), "blog/web.yaml".into(), 4, false),
            ("PL-K8S-0038".into(), "shop/api.yaml".into(), 4, false),
            // shop's "gone" policy selects nothing, at its podSelector.
            ("PL-K8S-0039".into(), "shop/policies.yaml".into(), 19, false),
        ]
    );
    let messages: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["ruleId"] == "PL-K8S-0038")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert!(
        messages.contains(
            &"Deployment \"api\" is not selected by any NetworkPolicy of namespace \"shop\" in the scan: its pods accept traffic from any pod"
        ),
        "{messages:?}"
    );
    assert!(!report.to_string().contains("namespace-rules-skipped"));

    // Without the overlay's policy, the rendered svc (namespace team) is reported at the
    // base's line; the base alone is not a second finding.
    std::fs::remove_file(d.join("team/overlay/np.yaml")).unwrap();
    write(
        d,
        "team/overlay/kustomization.yaml",
        "namespace: team\nresources:\n  - ../base\n",
    );
    let report = scan(d, &[]);
    let team: Vec<_> = namespace_findings(&report)
        .into_iter()
        .filter(|f| f.1.starts_with("team/"))
        .collect();
    assert_eq!(
        team,
        [(
            "PL-K8S-0038".to_string(),
            "team/base/deploy.yaml".to_string(),
            4,
            false
        )]
    );
}

#[test]
fn in_place_waivers_apply_to_namespace_rules() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    tree(d);
    write(d, "shop/api.yaml", &waived_api());
    let report = scan(d, &[]);
    let api: Vec<_> = namespace_findings(&report)
        .into_iter()
        .filter(|f| f.1 == "shop/api.yaml")
        .collect();
    assert_eq!(api.len(), 1);
    assert!(api[0].3, "waived in place: {api:?}");
    assert!(!report.to_string().contains("waiver-stale"), "{report}");
}

#[test]
fn the_first_shard_evaluates_namespace_rules_over_every_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    tree(d);
    // A waiver in place, wherever the shards put api.yaml.
    write(d, "shop/api.yaml", &waived_api());
    git(d, &["init", "-q"]);
    commit_all(d, "tree");
    let all = namespace_findings(&scan(d, &[]));
    assert_eq!(all.len(), 3);
    assert!(all.iter().any(|f| f.1 == "shop/api.yaml" && f.3), "{all:?}");
    let mut seen = Vec::new();
    for i in 1..=3 {
        let report = scan(d, &["--shard", &format!("{i}/3")]);
        let found = namespace_findings(&report);
        let listed = report["rules"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["id"] == "PL-K8S-0038" || r["id"] == "PL-K8S-0039")
            .count();
        if i == 1 {
            assert_eq!(found, all, "shard 1 sees every file's objects");
            assert_eq!(listed, 2);
        } else {
            assert_eq!((found.len(), listed), (0, 0), "shard {i}");
        }
        assert!(!report.to_string().contains("namespace-rules-skipped"));
        assert!(
            !report.to_string().contains("waiver-stale"),
            "shard {i}: {report}"
        );
        seen.extend(found);
    }
    assert_eq!(seen, all);
}

#[test]
fn the_merge_request_gate_leaves_namespace_rules_out_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    tree(d);
    git(d, &["init", "-q", "-b", "main"]);
    commit_all(d, "tree");
    git(d, &["checkout", "-q", "-b", "feature"]);
    write(d, "shop/api.yaml", &deployment("api", Some("shop"), "api2"));
    commit_all(d, "relabel api");
    let report = scan(d, &["--base", "main"]);
    assert_eq!(namespace_findings(&report), []);
    let codes = notification_codes(&report);
    assert!(
        codes.contains(&"namespace-rules-skipped".to_string()),
        "{codes:?}"
    );
}
