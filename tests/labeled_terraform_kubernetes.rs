//! External accuracy check of the Kubernetes library on resources of the Terraform
//! kubernetes provider (`kubernetes_pod`, `kubernetes_deployment`, `kubernetes_role`…),
//! against the KICS `terraform/kubernetes` query tests in ../shared/corpus/labeled.
//!
//! Each KICS query is mapped to the rule of ours that tests the same control (the mapping and
//! its rationale are in policies/kubernetes/EXTERNAL_CASES_TERRAFORM.md). For every mapped
//! (rule, case file) the file is copied alone into an empty temporary directory (a Terraform
//! directory is one module, so the other test files of a query must not be loaded with it),
//! scanned there, and the presence of a finding of that rule is compared with the label.
//! Every case must agree, except the known disagreements in `KNOWN_DISAGREEMENTS` (each with
//! its reason, also listed in the document); a known disagreement that starts to agree fails
//! too. Asserted: at least 90% of the positives detected and at most 5% of the negatives
//! flagged, over all the mapped cases, and again once the known disagreements are set aside.
//!
//! Run with `cargo test --test labeled_terraform_kubernetes -- --nocapture` for the table.

use std::path::Path;
#[path = "common/labeled.rs"]
mod labeled;
use labeled::{
    assert_in_catalog, case_files, catalog, kics, kics_cases, labeled_corpus, run_all, scan_report,
    Findings, KicsQuery, Known, Verdicts,
};

/// Our rules covered by this test, in table order.
const RULES: &[&str] = &[
    "PL-K8S-0002",
    "PL-K8S-0003",
    "PL-K8S-0004",
    "PL-K8S-0005",
    "PL-K8S-0007",
    "PL-K8S-0011",
    "PL-K8S-0013",
    "PL-K8S-0017",
    "PL-K8S-0018",
    "PL-K8S-0020",
    "PL-K8S-0021",
    "PL-K8S-0022",
    "PL-K8S-0023",
    "PL-K8S-0024",
    "PL-K8S-0026",
    "PL-K8S-0027",
    "PL-K8S-0030",
    "PL-K8S-0033",
    "PL-K8S-0039",
];

/// KICS queries (directories under assets/queries/terraform/kubernetes) testing `rule`.
const KICS: &[KicsQuery] = &[
    kics("PL-K8S-0002", "container_host_pid_is_true"),
    kics("PL-K8S-0002", "shared_host_ipc_namespace"),
    kics("PL-K8S-0002", "shared_host_network_namespace"),
    kics("PL-K8S-0003", "container_is_privileged"),
    kics("PL-K8S-0004", "container_with_added_capabilities"),
    kics("PL-K8S-0005", "non_kube_system_pod_with_host_mount"),
    kics(
        "PL-K8S-0005",
        "workload_mounting_with_sensitive_os_directory",
    ),
    kics("PL-K8S-0007", "missing_app_armor_config"),
    // positive1/negative1 are PodSecurityPolicies (removed in Kubernetes 1.25), which the
    // library does not check: the pod cases only.
    KicsQuery {
        rule: "PL-K8S-0011",
        query: "cluster_allows_unsafe_sysctls",
        files: Some(&["negative2.tf", "positive2.tf"]),
    },
    kics("PL-K8S-0013", "privilege_escalation_allowed"),
    kics("PL-K8S-0017", "net_raw_capabilities_not_being_dropped"),
    kics("PL-K8S-0018", "cpu_requests_not_set"),
    kics("PL-K8S-0020", "cpu_limits_not_set"),
    kics("PL-K8S-0021", "memory_limits_not_defined"),
    kics("PL-K8S-0022", "liveness_probe_is_not_defined"),
    kics("PL-K8S-0023", "readiness_probe_is_not_configured"),
    kics("PL-K8S-0024", "invalid_image"),
    kics("PL-K8S-0026", "using_default_namespace"),
    kics(
        "PL-K8S-0027",
        "service_account_token_automount_not_disabled",
    ),
    kics("PL-K8S-0030", "rbac_roles_with_read_secrets_permissions"),
    kics("PL-K8S-0033", "service_type_is_nodeport"),
    kics("PL-K8S-0039", "network_policy_is_not_targeting_any_pod"),
];

/// Cases where our verdict differs from the external label on purpose (`<query>/test/<file>`).
const KNOWN_DISAGREEMENTS: &[Known] = &[
    Known {
        corpus: "kics",
        case: "container_with_added_capabilities/test/positive.tf",
        rule: "PL-K8S-0004",
        reason: "the containers add only NET_BIND_SERVICE, which the Pod Security Standards' baseline allows (and restricted lets you add back)",
    },
    Known {
        corpus: "kics",
        case: "missing_app_armor_config/test/positive.tf",
        rule: "PL-K8S-0007",
        reason: "the annotation `container.apparmor` is no AppArmor annotation Kubernetes reads (they are `container.apparmor.security.beta.kubernetes.io/<container>`); the pod keeps the runtime's default profile, which the baseline allows",
    },
    Known {
        corpus: "kics",
        case: "network_policy_is_not_targeting_any_pod/test/negative.tf",
        rule: "PL-K8S-0039",
        reason: "both policies' pod_selector also require `name In (webfront, api)`, which the pod's labels (only app=ngnix2) do not satisfy, and the second one's match_labels value is the quoted text \"kubernetes_pod.test2.metadata.0.labels.app\", not a reference: neither selects a pod",
    },
];

/// Scans `path` alone in an empty directory; our findings' lines by rule. The file must load
/// to at least one document.
fn scan_alone(path: &Path) -> Result<Findings, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let name = path.file_name().unwrap();
    std::fs::copy(path, dir.path().join(name)).map_err(|e| e.to_string())?;
    let v = scan_report(dir.path(), ".", false)?;
    if v["summary"]["documents"].as_u64() == Some(0) {
        return Err("the file loaded to zero documents".to_string());
    }
    let mut f = Findings::new();
    for x in v["findings"].as_array().ok_or("no findings array")? {
        let rule = x["ruleId"].as_str().ok_or("finding without ruleId")?;
        let line = x["startLine"].as_u64().ok_or("finding without startLine")?;
        f.entry(rule.to_string()).or_default().push(line);
    }
    Ok(f)
}

#[test]
fn kubernetes_rules_agree_with_kics_terraform_kubernetes_cases() {
    let corpus = labeled_corpus();
    let catalog = catalog();
    assert_in_catalog(&catalog, RULES.iter().copied());
    let root = corpus.join("labeled/kics/assets/queries/terraform/kubernetes");
    let cases = kics_cases(&root, KICS);
    let mut v = Verdicts::new(
        &cases,
        KNOWN_DISAGREEMENTS,
        "policies/kubernetes/EXTERNAL_CASES_TERRAFORM.md",
    );
    let files = case_files(&cases);
    let results = run_all(&files, |_, p| scan_alone(p));
    for c in &cases {
        if let Some(findings) = v.scanned(c, &results) {
            v.record_findings(c, findings);
        }
    }
    let rows = RULES.iter().map(|id| (*id, catalog[*id].clone()));
    v.print_table(
        "KICS terraform/kubernetes cases for the Kubernetes library",
        rows,
        44,
        16,
    );
    v.total.print_accepted_rates();
    v.print_known("Known disagreements:");
    let t = &v.total;
    let pos = t.pos_hit as f64 / t.pos.max(1) as f64;
    let neg = (t.neg - t.neg_ok) as f64 / t.neg.max(1) as f64;
    v.assert_no_problems();
    assert!(
        pos >= 0.90,
        "only {}/{} positives detected",
        t.pos_hit,
        t.pos
    );
    assert!(
        neg <= 0.05,
        "{}/{} negatives flagged",
        t.neg - t.neg_ok,
        t.neg
    );
    t.assert_accepted_targets();
}
