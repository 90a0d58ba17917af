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
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
#[path = "common/labeled.rs"]
mod labeled;
use labeled::{catalog, ratio, run_all, scan, shared, Tally};

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
const KICS: &[(&str, &str)] = &[
    ("PL-DOCKER-0001", "last_user_is_root"),
    ("PL-DOCKER-0001", "missing_user_instruction"),
    ("PL-DOCKER-0002", "image_version_not_explicit"),
    ("PL-DOCKER-0002", "image_version_using_latest"),
    ("PL-DOCKER-0004", "add_instead_of_copy"),
    ("PL-DOCKER-0006", "healthcheck_instruction_missing"),
    ("PL-DOCKER-0008", "apt_get_install_pin_version_not_defined"),
    ("PL-DOCKER-0009", "apt_get_not_avoiding_additional_packages"),
    ("PL-DOCKER-0010", "apt_get_install_lists_were_not_deleted"),
    ("PL-DOCKER-0011", "apk_add_using_local_cache_path"),
    ("PL-DOCKER-0012", "run_using_sudo"),
    ("PL-DOCKER-0014", "maintainer_instruction_being_used"),
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

/// A case where our verdict differs from the external label on purpose.
struct Known {
    /// "kics" or "trivy".
    corpus: &'static str,
    /// kics: `<query>/test/<file>`; trivy: the INDEX.json `file`.
    case: &'static str,
    rule: &'static str,
    reason: &'static str,
}

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

/// One labeled case for one of our rules.
struct Case {
    corpus: &'static str,
    case: String,
    path: PathBuf,
    rule: &'static str,
    must_flag: bool,
}

fn kics_cases(corpus: &Path) -> Vec<Case> {
    let root = corpus.join("labeled/kics/assets/queries/dockerfile");
    let mut out = Vec::new();
    for &(rule, query) in KICS {
        let test = root.join(query).join("test");
        assert!(
            root.join(query).join("metadata.json").is_file(),
            "KICS query {query} is missing"
        );
        let mut files: Vec<String> = std::fs::read_dir(&test)
            .unwrap_or_else(|e| panic!("{}: {e}", test.display()))
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| {
                (n.starts_with("positive") || n.starts_with("negative"))
                    && !n.starts_with("positive_expected_result")
            })
            .collect();
        files.sort();
        assert!(
            files.iter().any(|f| f.starts_with("positive")),
            "{query}: no positive test file"
        );
        for f in files {
            out.push(Case {
                corpus: "kics",
                case: format!("{query}/test/{f}"),
                path: test.join(&f),
                rule,
                must_flag: f.starts_with("positive"),
            });
        }
    }
    out
}

fn trivy_cases(corpus: &Path) -> Vec<Case> {
    let dir = corpus.join("labeled/trivy-checks");
    let index = dir.join("extracted/INDEX.json");
    let v: Value = serde_json::from_str(
        &std::fs::read_to_string(&index).unwrap_or_else(|e| panic!("{}: {e}", index.display())),
    )
    .unwrap();
    let mut out = Vec::new();
    for (rule, check) in TRIVY {
        let mut n = 0;
        for c in v["cases"].as_array().expect("cases") {
            if c["check_id"] != *check || c["format"] != "dockerfile" {
                continue;
            }
            let file = c["file"].as_str().unwrap();
            let path = [dir.join(file), dir.join("extracted").join(file)]
                .into_iter()
                .find(|p| p.is_file())
                .unwrap_or_else(|| panic!("trivy case {file} not found under {}", dir.display()));
            let must_flag = match c["label"].as_str() {
                Some("fail") => true,
                Some("pass") => false,
                l => panic!("{file}: unknown label {l:?}"),
            };
            out.push(Case {
                corpus: "trivy",
                case: file.to_string(),
                path,
                rule,
                must_flag,
            });
            n += 1;
        }
        assert!(n > 0, "no dockerfile case for {check} in INDEX.json");
    }
    out
}

/// `summary.documents` of a scan of one file.
fn documents_in(path: &Path) -> u64 {
    let out = Command::new(env!("CARGO_BIN_EXE_plumbline"))
        .arg("scan")
        .arg(path.file_name().unwrap())
        .args(["--worktree", "-f", "json", "--fail-on", "never"])
        .current_dir(path.parent().unwrap())
        .stdin(Stdio::null())
        .output()
        .expect("run plumbline scan");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{}: scan output is not JSON ({e}): {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    v["summary"]["documents"]
        .as_u64()
        .expect("summary.documents in the JSON report")
}

#[test]
fn dockerfile_rules_agree_with_external_labeled_cases() {
    let started = std::time::Instant::now();
    let corpus = shared().join("corpus");
    assert!(
        corpus.join("labeled").is_dir(),
        "{} is missing: the labeled corpus is needed (set PLUMBLINE_SHARED to the shared dir)",
        corpus.join("labeled").display()
    );
    let catalog = catalog();
    for id in RULES {
        assert!(catalog.contains_key(*id), "{id} is not in the rule catalog");
    }

    let mut cases = kics_cases(&corpus);
    cases.extend(trivy_cases(&corpus));
    let mut failures = Vec::new();
    let doc = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/dockerfile/EXTERNAL_CASES.md"),
    )
    .expect("policies/dockerfile/EXTERNAL_CASES.md");
    for k in KNOWN_DISAGREEMENTS {
        assert!(
            cases
                .iter()
                .any(|c| c.corpus == k.corpus && c.case == k.case && c.rule == k.rule),
            "known disagreement {} {} {} is not a mapped case",
            k.corpus,
            k.case,
            k.rule
        );
        if !doc.contains(k.case) {
            failures.push(format!(
                "EXTERNAL_CASES.md does not list the known disagreement {} {}",
                k.corpus, k.case
            ));
        }
    }

    let files: Vec<PathBuf> = cases
        .iter()
        .map(|c| c.path.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let results = run_all(&files, |_, p| scan(p, true));

    let mut per_rule: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut per_corpus: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut total = Tally::default();
    for c in &cases {
        let findings = match &results[&c.path] {
            Ok(f) => f,
            Err(e) => {
                failures.push(format!("{} {}: scan failed: {e}", c.corpus, c.case));
                continue;
            }
        };
        let ours = findings.get(c.rule);
        let flagged = ours.is_some();
        let known = KNOWN_DISAGREEMENTS
            .iter()
            .find(|k| k.corpus == c.corpus && k.case == c.case && k.rule == c.rule);
        let label = if c.must_flag {
            "must flag"
        } else {
            "must pass"
        };
        match (flagged == c.must_flag, known) {
            (true, None) | (false, Some(_)) => {}
            (false, None) => failures.push(format!(
                "REGRESSION {} {} {}: {label}, but {} (lines {:?})",
                c.corpus,
                c.case,
                c.rule,
                if flagged { "flagged" } else { "not flagged" },
                ours.cloned().unwrap_or_default()
            )),
            (true, Some(k)) => failures.push(format!(
                "{} {} {} now agrees with the external label ({label}); remove it from KNOWN_DISAGREEMENTS and EXTERNAL_CASES.md (was: {})",
                c.corpus, c.case, c.rule, k.reason
            )),
        }
        for t in [
            per_rule.entry(c.rule).or_default(),
            per_corpus.entry(c.corpus).or_default(),
            &mut total,
        ] {
            t.add(c.must_flag, flagged, known.is_some());
        }
    }

    println!();
    println!("External labeled cases for PL-DOCKER-* (KICS + trivy-checks)");
    println!(
        "{:<12} {:<44} {:>16} {:>16} {:>6}",
        "rule", "title", "positives hit", "negatives pass", "known"
    );
    for id in RULES {
        let title = &catalog[*id];
        match per_rule.get(id) {
            Some(t) => println!(
                "{id:<12} {title:<44} {:>16} {:>16} {:>6}",
                ratio(t.pos_hit, t.pos),
                ratio(t.neg_ok, t.neg),
                t.known
            ),
            None => println!("{id:<12} {title:<44} {:>16} {:>16} {:>6}", "-", "-", "-"),
        }
    }
    for (name, t) in per_corpus
        .iter()
        .map(|(k, t)| (format!("all ({k})"), t))
        .chain([("all".to_string(), &total)])
    {
        println!(
            "{name:<57} {:>16} {:>16} {:>6}",
            ratio(t.pos_hit, t.pos),
            ratio(t.neg_ok, t.neg),
            t.known
        );
    }
    // Rates without the known disagreements (cases where the documented behaviour wins).
    let pos_rate = total.pos_hit as f64 / (total.pos - total.known_pos).max(1) as f64;
    let neg_flagged = (total.neg - total.neg_ok - total.known_neg) as f64 / total.neg.max(1) as f64;
    println!(
        "{} (rule, case) pairs over {} files; {:.1?}",
        cases.len(),
        files.len(),
        started.elapsed()
    );
    println!(
        "excluding known disagreements: positives detected {:.0}%, negatives flagged {:.0}%",
        100.0 * pos_rate,
        100.0 * neg_flagged
    );
    println!("Known disagreements:");
    for k in KNOWN_DISAGREEMENTS {
        println!("  {} {} {}: {}", k.rule, k.corpus, k.case, k.reason);
    }
    assert!(
        failures.is_empty(),
        "{} problem(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Targets, on the cases whose label we accept (each known disagreement is asserted
    // above to stay exactly as listed, so the raw rates printed are determined too).
    assert!(
        pos_rate >= 0.90,
        "only {:.0}% of the positives detected (target 90%)",
        100.0 * pos_rate
    );
    assert!(
        neg_flagged <= 0.05,
        "{:.0}% of the negatives flagged (target at most 5%)",
        100.0 * neg_flagged
    );
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
    assert!(
        documents_in(&dir.path().join("Dockerfile")) > 0,
        "the Dockerfile must load, or the checks below prove nothing"
    );
    for format in ["text", "json", "sarif"] {
        let out = Command::new(env!("CARGO_BIN_EXE_plumbline"))
            .args([
                "scan",
                "Dockerfile",
                "--worktree",
                "--fail-on",
                "never",
                "-f",
                format,
            ])
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        for secret in ["hunter2", "AKIAIOSFODNN7EXAMPLE"] {
            assert!(
                !stdout.contains(secret),
                "{format} shows {secret}:\n{stdout}"
            );
            assert!(
                !stderr.contains(secret),
                "{format} logs {secret}:\n{stderr}"
            );
        }
        if format == "json" {
            let v: Value = serde_json::from_str(&stdout).unwrap();
            let lines: BTreeSet<u64> = v["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["ruleId"] == "PL-DOCKER-0005")
                .map(|f| f["startLine"].as_u64().unwrap())
                .collect();
            assert_eq!(lines, BTreeSet::from([2, 3]), "{stdout}");
        }
    }
}
