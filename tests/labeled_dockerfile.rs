//! External accuracy check of the built-in Dockerfile rules (PL-DOCKER-0001 and up) against
//! third-party labeled cases: the KICS Dockerfile query tests and the trivy-checks
//! Dockerfile good/bad examples in ../shared/corpus/labeled.
//!
//! Each rule is mapped to the external queries/checks that test the same thing (the mapping
//! and its rationale are in policies/dockerfile/EXTERNAL_CASES.md). For every mapped
//! (rule, case file) the binary scans the file on its own, and the presence of a finding of
//! that rule is compared with the external label. Every case must agree, except the known
//! disagreements in `KNOWN_DISAGREEMENTS` (each with its reason); a known disagreement that
//! starts to agree fails too. The targets (at least 90% of the positives detected, at most 5%
//! of the negatives flagged) are asserted on the cases whose label we accept.
//!
//! In a build whose Dockerfile loader (`load::dockerfile::load`) gives no document for a
//! plain Dockerfile, this test prints that it is skipped and why, and checks nothing else;
//! with the loader, every case counts and a case that loads to no document fails.
//!
//! Run with `cargo test --test labeled_dockerfile -- --nocapture` to see the table.

use serde_json::Value;
use std::collections::BTreeSet;
#[path = "common/labeled.rs"]
mod labeled;
use labeled::{kics, scan_hiding_secrets, scan_report, KicsQuery, Known, Suite};

/// Our rules covered by this test, in table order.
const RULES: &[&str] = &[
    "PL-DOCKER-0001",
    "PL-DOCKER-0002",
    "PL-DOCKER-0003",
    "PL-DOCKER-0004",
    "PL-DOCKER-0005",
    "PL-DOCKER-0006",
    "PL-DOCKER-0007",
    "PL-DOCKER-0008",
    "PL-DOCKER-0009",
    "PL-DOCKER-0010",
    "PL-DOCKER-0011",
    "PL-DOCKER-0012",
    "PL-DOCKER-0013",
    "PL-DOCKER-0014",
];

/// KICS queries (directories under assets/queries/dockerfile) testing what `rule` checks;
/// every positive*/negative* file of the query is a case.
const KICS: &[KicsQuery] = &[
    kics("PL-DOCKER-0001", "last_user_is_root"),
    kics("PL-DOCKER-0001", "missing_user_instruction"),
    kics("PL-DOCKER-0002", "image_version_not_explicit"),
    kics("PL-DOCKER-0002", "image_version_using_latest"),
    kics("PL-DOCKER-0004", "add_instead_of_copy"),
    kics("PL-DOCKER-0006", "healthcheck_instruction_missing"),
    kics("PL-DOCKER-0008", "apt_get_install_pin_version_not_defined"),
    kics("PL-DOCKER-0009", "apt_get_not_avoiding_additional_packages"),
    kics("PL-DOCKER-0010", "apt_get_install_lists_were_not_deleted"),
    kics("PL-DOCKER-0011", "apk_add_using_local_cache_path"),
    kics("PL-DOCKER-0012", "run_using_sudo"),
    kics("PL-DOCKER-0014", "maintainer_instruction_being_used"),
];

/// trivy-checks `check_id`s (extracted/INDEX.json, format dockerfile) testing `rule`.
const TRIVY: &[(&str, &str)] = &[
    ("PL-DOCKER-0001", "DS-0002"),
    ("PL-DOCKER-0002", "DS-0001"),
    ("PL-DOCKER-0004", "DS-0005"),
    ("PL-DOCKER-0012", "DS-0010"),
    ("PL-DOCKER-0013", "DS-0013"),
    ("PL-DOCKER-0014", "DS-0022"),
];

/// Cases where our verdict differs from the external label on purpose. kics cases are
/// `<query>/test/<file>`; trivy cases the INDEX.json `file`.
const KNOWN_DISAGREEMENTS: &[Known] = &[
    Known {
        corpus: "kics",
        case: "missing_user_instruction/test/negative.dockerfile",
        rule: "PL-DOCKER-0001",
        reason: "the final stage (FROM scratch) sets no USER, so the image runs as UID 0; the USER is in an earlier stage, which does not become the image (and the final stage's RUN cannot even execute in an empty scratch image)",
    },
    Known {
        corpus: "kics",
        case: "apt_get_install_lists_were_not_deleted/test/negative.dockerfile",
        rule: "PL-DOCKER-0010",
        reason: "stages busyboxneg2 and busyboxneg3 only run `apt-get clean`, which empties /var/cache/apt/archives but leaves /var/lib/apt/lists in the layer",
    },
    Known {
        corpus: "kics",
        case: "apt_get_install_lists_were_not_deleted/test/negative2.dockerfile",
        rule: "PL-DOCKER-0010",
        reason: "stage busyboxneg6 only runs `apt-get clean`, which leaves /var/lib/apt/lists in the layer",
    },
];

#[test]
fn dockerfile_rules_agree_with_external_labeled_cases() {
    let total = Suite {
        rules: RULES,
        kics_platform: "dockerfile",
        kics: KICS,
        trivy_format: "dockerfile",
        trivy: TRIVY,
        known: KNOWN_DISAGREEMENTS,
        doc: "policies/dockerfile/EXTERNAL_CASES.md",
        require_documents: true,
        heading: "External labeled cases for PL-DOCKER-* (KICS + trivy-checks)",
    }
    .run();
    // Targets, on the cases whose label we accept (each known disagreement is asserted
    // above to stay exactly as listed, so the raw rates printed are determined too).
    total.assert_accepted_targets();
}

/// PL-DOCKER-0005 reports secrets in ENV and ARG: no report format may show the value, not
/// even the text report's source line (the instruction's line is masked).
#[test]
fn env_arg_secret_values_are_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM alpine:3.20\nENV DB_PASSWORD=hunter2-in-env\nARG DEPLOY_ID=AKIAIOSFODNN7EXAMPLE\nUSER 10001\nHEALTHCHECK NONE\n",
    )
    .unwrap();
    let loaded = scan_report(dir.path(), "Dockerfile", true).expect("scan of the Dockerfile");
    assert!(
        loaded["summary"]["documents"]
            .as_u64()
            .expect("summary.documents in the JSON report")
            > 0,
        "the Dockerfile must load, or the checks below prove nothing"
    );
    let outputs = scan_hiding_secrets(
        dir.path(),
        "Dockerfile",
        &["hunter2", "AKIAIOSFODNN7EXAMPLE"],
    );
    let v: Value = serde_json::from_str(&outputs["json"]).unwrap();
    let lines: BTreeSet<u64> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["ruleId"] == "PL-DOCKER-0005")
        .map(|f| f["startLine"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, BTreeSet::from([2, 3]), "{}", outputs["json"]);
}
