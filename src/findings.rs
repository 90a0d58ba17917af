//! The result of a scan and what is decided from it: the findings, notifications and
//! counters of a scan (`ScanResult`, `Stats`), how they compare with a baseline
//! (`Comparison`), their order in every report, and the exit code. Every stage above the
//! loaders may read these; this module imports only the shared vocabulary of `model`.

use crate::model::{Finding, NoteLevel, Notification, RuleMeta, Severity, Shard, SourceFile};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// Rule id of the finding raised for a file that could not be parsed.
pub const PARSE_RULE_ID: &str = "PL-PARSE-0001";

/// Everything the report stage needs.
#[derive(Debug)]
pub struct ScanResult {
    pub description: String,
    pub commit: Option<String>,
    /// Committer time of the scanned commit, ISO 8601 UTC.
    pub commit_time: Option<String>,
    /// The part of the files scanned (`--shard`); `None` for all of them.
    pub shard: Option<Shard>,
    pub rules: Vec<RuleMeta>,
    pub findings: Vec<Finding>,
    pub notifications: Vec<Notification>,
    pub stats: Stats,
    /// Files that have findings, for source lines in text output.
    pub sources: BTreeMap<String, Arc<SourceFile>>,
}

impl ScanResult {
    /// A scan is incomplete when some input or policy could not be processed.
    pub fn incomplete(&self) -> bool {
        self.notifications
            .iter()
            .any(|n| n.level == NoteLevel::Error)
    }
}

/// Counters and stage timings of a scan.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Stats {
    pub files: usize,
    pub documents: usize,
    pub resources: usize,
    pub rules: usize,
    pub evaluations: usize,
    /// Wall time of listing the files, and of the parallel read → parse → evaluate pass.
    #[serde(skip)]
    pub list: Duration,
    #[serde(skip)]
    pub process: Duration,
    /// Time summed over worker threads: reading bytes, parsing them, evaluating policies.
    #[serde(skip)]
    pub read_cpu: Duration,
    #[serde(skip)]
    pub parse_cpu: Duration,
    #[serde(skip)]
    pub eval_cpu: Duration,
    /// Wall time of the namespace pass (namespace rules, after every file is loaded).
    #[serde(skip)]
    pub namespace: Duration,
    /// Wall time of the drift check (`--live-snapshot`), policies on live objects included.
    #[serde(skip)]
    pub drift: Duration,
    /// The slowest files to read and parse, slowest first.
    #[serde(skip)]
    pub slowest_files: Vec<(String, Duration)>,
    /// Evaluation time per rule id summed over documents, slowest first.
    #[serde(skip)]
    pub slowest_rules: Vec<(String, Duration)>,
    /// Set when findings were compared with a merge base or a baseline (`--base`,
    /// `--baseline`): what they were compared with and how many are new, known or fixed.
    #[serde(skip)]
    pub comparison: Option<Comparison>,
}

/// What the findings of a scan were compared with, and the counts that came out of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comparison {
    /// For summaries: `merge base 1a2b3c4 of HEAD and main`, `baseline old.sarif`.
    pub against: String,
    /// Files scanned because a change affects them (`--base` only).
    pub changed_files: Option<usize>,
    pub new: usize,
    pub unchanged: usize,
    pub updated: usize,
    /// In the baseline or at the merge base, no longer found.
    pub fixed: usize,
    /// Known findings (unchanged, updated, fixed) left out of the report.
    pub not_shown: usize,
}

impl Comparison {
    /// Findings that were already there: unchanged or updated.
    pub fn preexisting(&self) -> usize {
        self.unchanged + self.updated
    }
}

/// The order of findings in every report: file, position, rule, message, fingerprint.
pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        a.sort_key()
            .cmp(&b.sort_key())
            .then(a.fingerprint.cmp(&b.fingerprint))
    });
}

/// The catalog entry of [`PARSE_RULE_ID`].
pub fn parse_rule() -> RuleMeta {
    RuleMeta {
        id: PARSE_RULE_ID.to_string(),
        title: "File could not be parsed".to_string(),
        description: "A YAML or JSON file in scope could not be parsed, so no policy checked \
                      it. Invalid files are often ignored by kubectl apply -k or by a CI \
                      step, and hide resources from review."
            .to_string(),
        severity: Severity::Medium,
        remediation: Some(
            "Fix the syntax at the reported line, or exclude the file with --exclude.".to_string(),
        ),
        frameworks: Vec::new(),
        related_resources: Vec::new(),
        package: "plumbline.load".to_string(),
        source: "plumbline".to_string(),
    }
}

/// `3 (1 high, 2 medium)`, or `0`.
pub fn count_by_severity(severities: impl Iterator<Item = Severity>) -> String {
    let severities: Vec<Severity> = severities.collect();
    match severities.len() {
        0 => "0".to_string(),
        n => format!("{n} ({})", severity_breakdown(severities.into_iter())),
    }
}

/// `1 high, 2 medium`: counts per severity, most severe first, zeros left out.
pub fn severity_breakdown(severities: impl Iterator<Item = Severity>) -> String {
    let mut counts: BTreeMap<Severity, usize> = BTreeMap::new();
    for s in severities {
        *counts.entry(s).or_default() += 1;
    }
    Severity::DESCENDING
        .iter()
        .filter_map(|s| {
            counts
                .get(s)
                .map(|n| format!("{n} {}", s.as_str().to_ascii_lowercase()))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Process exit codes, documented in the README.
pub mod exit {
    /// Nothing at or above the threshold.
    pub const OK: i32 = 0;
    /// Findings at or above the threshold.
    pub const FINDINGS: i32 = 1;
    /// Usage or configuration error (bad flag, unknown revision, broken policy).
    pub const USAGE: i32 = 2;
    /// Some input or policy could not be processed: the result is incomplete.
    pub const INCOMPLETE: i32 = 3;
}

/// `--fail-on`: the lowest severity that fails the run, or never.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    Severity(Severity),
    Never,
}

impl std::str::FromStr for FailOn {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s.eq_ignore_ascii_case("never") || s.eq_ignore_ascii_case("none") {
            return Ok(Self::Never);
        }
        Severity::parse(s).map(Self::Severity).ok_or_else(|| {
            format!("{s:?} is not a severity: use critical, high, medium, low, info or never")
        })
    }
}

/// The exit code: an incomplete scan (3) outranks findings (1), because a partial result
/// must never pass as a clean one.
pub fn exit_code(findings: &[Finding], incomplete: bool, fail_on: FailOn) -> i32 {
    if incomplete {
        return exit::INCOMPLETE;
    }
    let failing = match fail_on {
        FailOn::Never => false,
        FailOn::Severity(min) => findings.iter().any(|f| f.is_active() && f.severity >= min),
    };
    if failing {
        exit::FINDINGS
    } else {
        exit::OK
    }
}
