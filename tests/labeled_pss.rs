//! External accuracy check of the built-in Pod Security Standards library against
//! third-party labeled cases: the KICS Kubernetes query tests and the trivy-checks
//! Kubernetes good/bad examples in ../shared/corpus/labeled.
//!
//! Each of our rules is mapped to the external queries/checks that test the same PSS
//! control (the mapping and its rationale are in
//! policies/kubernetes/pss/EXTERNAL_CASES.md). For every mapped (rule, case file) the
//! binary scans the file on its own, and the presence of a finding of that rule is
//! compared with the external label. Every case must agree, except the known
//! disagreements listed in `KNOWN_DISAGREEMENTS`, where the Kubernetes Pod Security
//! Standards documentation contradicts the external label. A known disagreement that
//! starts to agree also fails, so that list stays true.
//!
//! Run with `cargo test --test labeled_pss -- --nocapture` to see the detection table.

use serde_json::Value;
use std::path::Path;
#[path = "common/labeled.rs"]
mod labeled;
use labeled::{
    assert_in_catalog, case_files, catalog, keep_only, kics_test_files, labeled_corpus, run_all,
    scan_report, trivy_cases, Case, Findings, Known, Verdicts,
};

/// Restricted controls and the baseline control of the same fields: a field that fails
/// both levels is reported once, by the baseline rule, whose message then says that it
/// also fails the restricted level (see `policies/lib/pss.rego`). For the external labels
/// of the restricted control, such a finding is the restricted control's answer.
const REPORTED_BY_BASELINE: &[(&str, &str)] = &[
    ("PL-K8S-0012", "PL-K8S-0005"),
    ("PL-K8S-0016", "PL-K8S-0010"),
    ("PL-K8S-0017", "PL-K8S-0004"),
];

/// The note of a baseline finding whose field also fails the restricted level.
const ALSO_RESTRICTED: &str = "; this also fails the restricted level";

/// Scans one case file alone and returns our findings' lines by rule, a baseline finding
/// with the restricted note counted for its restricted control as well.
fn scan(path: &Path, _require_documents: bool) -> Result<Findings, String> {
    let v = scan_report(path.parent().unwrap(), path.file_name().unwrap(), false)?;
    let mut f = Findings::new();
    for x in v["findings"].as_array().ok_or("no findings array")? {
        let rule = x["ruleId"].as_str().ok_or("finding without ruleId")?;
        let line = x["startLine"].as_u64().ok_or("finding without startLine")?;
        f.entry(rule.to_string()).or_default().push(line);
        if x["message"]
            .as_str()
            .is_some_and(|m| m.ends_with(ALSO_RESTRICTED))
        {
            for (restricted, _) in REPORTED_BY_BASELINE.iter().filter(|(_, b)| *b == rule) {
                f.entry(restricted.to_string()).or_default().push(line);
            }
        }
    }
    Ok(f)
}

/// Kinds whose pod spec the built-in library checks (the `kinds` of every PSS rule).
const POD_SPEC_KINDS: &[&str] = &[
    "Pod",
    "PodTemplate",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
];

/// How a KICS expected line (from `positive_expected_result.json`) relates to the line of
/// our finding, for a flagged positive case. Only expected lines that fall inside a
/// document of a pod-spec kind are considered; when a file has none, nothing is checked.
#[derive(Clone, Copy, PartialEq)]
enum Lines {
    /// One of our findings starts on an expected line.
    Exact,
    /// KICS points at the parent key on the line just above the entry we report: for
    /// AppArmor it reports `metadata.annotations`, we report the offending annotation
    /// (the first one sits on the next line).
    Parent,
    /// No line check. Used for containers_running_as_root -> PL-K8S-0014: KICS reports
    /// the `runAsUser: 0` lines (that is our PL-K8S-0015, which is line-checked), while
    /// PL-K8S-0014 reports the runAsNonRoot field.
    Skip,
}

/// A KICS query (directory under assets/queries/k8s) that tests the control of `rule`.
/// `files`: restrict to these test files (None = all positive*/negative* files).
struct KicsMap {
    rule: &'static str,
    query: &'static str,
    files: Option<&'static [&'static str]>,
    lines: Lines,
}

const KICS: &[KicsMap] = &[
    KicsMap {
        rule: "PL-K8S-0002",
        query: "shared_host_ipc_namespace",
        files: None,
        lines: Lines::Exact,
    },
    KicsMap {
        rule: "PL-K8S-0002",
        query: "shared_host_network_namespace",
        files: None,
        lines: Lines::Exact,
    },
    KicsMap {
        rule: "PL-K8S-0003",
        query: "container_is_privileged",
        files: None,
        lines: Lines::Exact,
    },
    KicsMap {
        rule: "PL-K8S-0007",
        query: "missing_app_armor_config",
        files: None,
        lines: Lines::Parent,
    },
    KicsMap {
        rule: "PL-K8S-0009",
        query: "container_runs_unmasked",
        files: None,
        lines: Lines::Exact,
    },
    // The baseline seccomp control only forbids an explicit profile other than
    // RuntimeDefault/Localhost: its cases are the negatives and the positives that set
    // `type: Unconfined`. positive1/positive2 only omit the profile (restricted only).
    KicsMap {
        rule: "PL-K8S-0010",
        query: "seccomp_profile_is_not_configured",
        files: Some(&[
            "negative1.yaml",
            "negative2.yaml",
            "negative3.yaml",
            "positive3.yaml",
            "positive4.yaml",
        ]),
        lines: Lines::Exact,
    },
    KicsMap {
        rule: "PL-K8S-0011",
        query: "cluster_allows_unsafe_sysctls",
        files: None,
        lines: Lines::Exact,
    },
    KicsMap {
        rule: "PL-K8S-0013",
        query: "privilege_escalation_allowed",
        files: None,
        lines: Lines::Exact,
    },
    KicsMap {
        rule: "PL-K8S-0014",
        query: "containers_running_as_root",
        files: None,
        lines: Lines::Skip,
    },
    KicsMap {
        rule: "PL-K8S-0015",
        query: "containers_running_as_root",
        files: None,
        lines: Lines::Exact,
    },
    KicsMap {
        rule: "PL-K8S-0016",
        query: "seccomp_profile_is_not_configured",
        files: None,
        lines: Lines::Exact,
    },
    KicsMap {
        rule: "PL-K8S-0017",
        query: "net_raw_capabilities_not_being_dropped",
        files: None,
        lines: Lines::Exact,
    },
];

/// trivy-checks `check_id`s (extracted/INDEX.json, format kubernetes) that test the
/// control of `rule`.
const TRIVY: &[(&str, &str)] = &[
    ("PL-K8S-0002", "KSV-0008"),
    ("PL-K8S-0002", "KSV-0009"),
    ("PL-K8S-0002", "KSV-0010"),
    ("PL-K8S-0003", "KSV-0017"),
    ("PL-K8S-0004", "KSV-0005"),
    ("PL-K8S-0004", "KSV-0022"),
    ("PL-K8S-0005", "KSV-0006"),
    ("PL-K8S-0005", "KSV-0023"),
    ("PL-K8S-0006", "KSV-0024"),
    ("PL-K8S-0007", "KSV-0002"),
    ("PL-K8S-0008", "KSV-0025"),
    ("PL-K8S-0009", "KSV-0027"),
    ("PL-K8S-0010", "KSV-0030"),
    ("PL-K8S-0011", "KSV-0026"),
    ("PL-K8S-0012", "KSV-0028"),
    ("PL-K8S-0013", "KSV-0001"),
    ("PL-K8S-0014", "KSV-0012"),
    ("PL-K8S-0016", "KSV-0030"),
    ("PL-K8S-0017", "KSV-0003"),
];

/// Cases where our verdict differs from the external label on purpose. kics cases are
/// `<query>/test/<file>` under assets/queries/k8s; trivy cases the INDEX.json `file`.
const KNOWN_DISAGREEMENTS: &[Known] = &[
    Known {
        corpus: "trivy",
        case: "extracted/checks/kubernetes/capabilities_no_drop_all/kubernetes/good-1/manifest.yaml",
        rule: "PL-K8S-0017",
        reason: "good case drops lowercase `all`; the restricted profile (and PSA) require the exact value ALL, so we flag it",
    },
    Known {
        corpus: "trivy",
        case: "extracted/checks/kubernetes/specific_capabilities_added/kubernetes/bad-1/manifest.yaml",
        rule: "PL-K8S-0004",
        reason: "bad case adds only NET_BIND_SERVICE, which the baseline profile allows",
    },
    Known {
        corpus: "kics",
        case: "containers_running_as_root/test/negative2.yaml",
        rule: "PL-K8S-0014",
        reason: "a container sets runAsNonRoot: false; restricted forbids runAsNonRoot false on any container",
    },
    Known {
        corpus: "kics",
        case: "containers_running_as_root/test/negative3.yaml",
        rule: "PL-K8S-0014",
        reason: "pod and container set runAsNonRoot: false; restricted requires runAsNonRoot true",
    },
    Known {
        corpus: "kics",
        case: "containers_running_as_root/test/negative3.yaml",
        rule: "PL-K8S-0015",
        reason: "the pod sets runAsUser: 0; restricted forbids runAsUser 0 on the pod as well as on containers",
    },
    Known {
        corpus: "kics",
        case: "seccomp_profile_is_not_configured/test/negative1.yaml",
        rule: "PL-K8S-0016",
        reason: "relies only on the seccomp.security.alpha.kubernetes.io/defaultProfileName annotation (a PodSecurityPolicy annotation, no effect on a Pod); restricted requires seccompProfile.type",
    },
    Known {
        corpus: "kics",
        case: "cluster_allows_unsafe_sysctls/test/negative2.yaml",
        rule: "PL-K8S-0011",
        reason: "slash-form sysctl name net/ipv4/tcp_syncookies; the standard's allowed list (and PSA's exact match) only has the dotted names",
    },
    Known {
        corpus: "kics",
        case: "shared_host_ipc_namespace/test/positive2.yaml",
        rule: "PL-K8S-0002",
        reason: "a knative serving.knative.dev/v1 Configuration, not a pod-spec kind: Pod Security admission never evaluates it",
    },
    Known {
        corpus: "kics",
        case: "shared_host_network_namespace/test/positive2.yaml",
        rule: "PL-K8S-0002",
        reason: "a knative serving.knative.dev/v1 Configuration, not a pod-spec kind: Pod Security admission never evaluates it",
    },
    Known {
        corpus: "kics",
        case: "container_runs_unmasked/test/positive.yaml",
        rule: "PL-K8S-0009",
        reason: "a PodSecurityPolicy (allowedProcMountTypes), not a pod-spec kind; PSPs were removed in Kubernetes 1.25",
    },
];

/// The line check of a KICS case: its expected lines (empty when not line-checked) and how
/// they relate to ours.
#[derive(Clone)]
struct LineCheck {
    expected: Vec<u64>,
    lines: Lines,
}

/// The kind of the YAML document each line (1-based) belongs to; `---` separates documents.
fn kind_per_line(text: &str) -> Vec<Option<String>> {
    let mut docs: Vec<Option<String>> = vec![None];
    let mut doc_of_line = vec![0usize];
    for line in text.lines() {
        let t = line.trim_end();
        if t == "---" || t.starts_with("--- ") {
            docs.push(None);
        }
        let doc = docs.len() - 1;
        if docs[doc].is_none() {
            if let Some(rest) = line.strip_prefix("kind:") {
                let k = rest.split('#').next().unwrap_or("").trim();
                docs[doc] = Some(k.trim_matches(|c| c == '"' || c == '\'').to_string());
            }
        }
        doc_of_line.push(doc);
    }
    doc_of_line.iter().map(|&d| docs[d].clone()).collect()
}

fn kics_cases(corpus: &Path) -> Vec<Case<LineCheck>> {
    let root = corpus.join("labeled/kics/assets/queries/k8s");
    let mut out = Vec::new();
    for m in KICS {
        let (test, mut files) = kics_test_files(&root, m.query);
        if let Some(only) = m.files {
            keep_only(&mut files, only, m.query);
        }
        let positives = files.iter().filter(|f| f.starts_with("positive")).count();
        // Expected results: [{"line": N, "fileName"|"filename"|"fineName": "..."}]; an
        // entry without a file name belongs to the query's only positive file.
        let all_positives = std::fs::read_dir(&test)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("positive") && !n.starts_with("positive_expected_result"))
            .count();
        let expected: Vec<(Option<String>, u64)> = {
            let p = test.join("positive_expected_result.json");
            let v: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            v.as_array()
                .unwrap()
                .iter()
                .map(|e| {
                    let name = ["fileName", "filename", "fineName"]
                        .iter()
                        .find_map(|k| e[*k].as_str().map(str::to_string));
                    (name, e["line"].as_u64().expect("line"))
                })
                .collect()
        };
        for f in &files {
            let mut expected_lines = Vec::new();
            if f.starts_with("positive") && m.lines != Lines::Skip {
                let kinds = kind_per_line(&std::fs::read_to_string(test.join(f)).unwrap());
                for (name, line) in &expected {
                    let mine = match name {
                        Some(n) => n == f,
                        None => {
                            assert_eq!(
                                all_positives, 1,
                                "{}: expected result without a file name",
                                m.query
                            );
                            true
                        }
                    };
                    let pod_kind = kinds
                        .get(*line as usize)
                        .and_then(|k| k.as_deref())
                        .is_some_and(|k| POD_SPEC_KINDS.contains(&k));
                    if mine && pod_kind {
                        expected_lines.push(*line);
                    }
                }
            }
            let check = LineCheck {
                expected: expected_lines,
                lines: m.lines,
            };
            out.push(Case::kics(m.query, &test, f, m.rule, check));
        }
        assert!(
            positives > 0 || m.files.is_some(),
            "{}: no positive test file",
            m.query
        );
    }
    out
}

#[test]
fn pss_rules_agree_with_external_labeled_cases() {
    let started = std::time::Instant::now();
    let corpus = labeled_corpus();

    let catalog = catalog();
    let pss_ids: Vec<String> = (1..=17)
        .chain([40])
        .map(|i| format!("PL-K8S-{i:04}"))
        .collect();
    assert_in_catalog(&catalog, pss_ids.iter().map(String::as_str));

    let mut cases = kics_cases(&corpus);
    let unchecked = LineCheck {
        expected: Vec::new(),
        lines: Lines::Skip,
    };
    cases.extend(trivy_cases(&corpus, TRIVY, "kubernetes", unchecked));
    // The documented list is the same as the one here.
    let mut v = Verdicts::new(
        &cases,
        KNOWN_DISAGREEMENTS,
        "policies/kubernetes/pss/EXTERNAL_CASES.md",
    );

    let files = case_files(&cases);
    let results = run_all(&files, |_, p| scan(p, false));

    let mut lines_checked = 0;
    let mut lines_ok = 0;
    for c in &cases {
        let Some(findings) = v.scanned(c, &results) else {
            continue;
        };
        let ours = v.record_findings(c, findings);
        if let (Some(ours), true, false) = (ours, c.must_flag, c.extra.expected.is_empty()) {
            lines_checked += 1;
            let hit = ours.iter().any(|&l| {
                c.extra.expected.iter().any(|&e| match c.extra.lines {
                    Lines::Exact => e == l,
                    Lines::Parent => e + 1 == l,
                    Lines::Skip => true,
                })
            });
            if hit {
                lines_ok += 1;
            } else {
                v.failures.push(format!(
                    "LINE {} {} {}: no finding at the expected line(s) {:?} (ours: {:?})",
                    c.corpus, c.case, c.rule, c.extra.expected, ours
                ));
            }
        }
    }

    v.print_table(
        "External labeled cases for the built-in PSS rules (KICS + trivy-checks)",
        pss_ids.iter().map(|id| (id.as_str(), catalog[id].clone())),
        40,
        16,
    );
    println!(
        "{} (rule, case) pairs over {} files; KICS line checks: {lines_ok}/{lines_checked}; {:.1?}",
        cases.len(),
        files.len(),
        started.elapsed()
    );
    v.print_known("Known disagreements (the Kubernetes PSS documentation wins):");
    v.assert_no_problems();
}
