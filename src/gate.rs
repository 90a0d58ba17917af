//! The merge-request gate: compare a scan with the merge base of a branch (`--base`) or with
//! an earlier report (`--baseline`), by fingerprint, so that only what a change introduces
//! fails the run.
//!
//! A finding is `New` when its fingerprint is not in what it is compared with, `Unchanged`
//! when it is there with the same message, `Updated` when the message changed. Fingerprints
//! never contain line numbers, so a finding that merely moved is not new. Baseline findings
//! that are gone are `Absent` (fixed). `Finding::is_active` makes only new findings count
//! towards the exit code.

use crate::model::{BaselineState, Finding, NoteLevel, Notification, Severity};
use crate::policy::PolicySet;
use crate::report::read;
use crate::scan::{self, ScanError, ScanOptions, ScanResult, Target};
use crate::source::{diff, git, Listing, SourceError};
use crate::textsafe::Escaped;
use crate::triage::{self, FailOn};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::path::Path;
use std::time::{Duration, Instant};

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

/// Marks each current finding `New`, `Unchanged` or `Updated` against `baseline` by
/// fingerprint, and appends the baseline findings that are gone as `Absent`. Baseline
/// findings already absent in the baseline itself were fixed before and are not carried on.
pub fn compare(current: &mut Vec<Finding>, baseline: &[Finding]) {
    let known: BTreeMap<&str, &Finding> = baseline
        .iter()
        .filter(|f| f.baseline_state != Some(BaselineState::Absent))
        .map(|f| (f.fingerprint.as_str(), f))
        .collect();
    for f in current.iter_mut() {
        f.baseline_state = Some(match known.get(f.fingerprint.as_str()) {
            None => BaselineState::New,
            Some(b) if b.message == f.message => BaselineState::Unchanged,
            Some(_) => BaselineState::Updated,
        });
    }
    let present: BTreeSet<String> = current.iter().map(|f| f.fingerprint.clone()).collect();
    let gone: Vec<Finding> = known
        .into_values()
        .filter(|b| !present.contains(&b.fingerprint))
        .map(|b| Finding {
            baseline_state: Some(BaselineState::Absent),
            ..b.clone()
        })
        .collect();
    current.extend(gone);
    scan::sort_findings(current);
}

/// Counts the states [`compare`] assigned.
fn count(findings: &[Finding], against: String) -> Comparison {
    let n = |s: BaselineState| {
        findings
            .iter()
            .filter(|f| f.baseline_state == Some(s))
            .count()
    };
    Comparison {
        against,
        changed_files: None,
        new: n(BaselineState::New),
        unchanged: n(BaselineState::Unchanged),
        updated: n(BaselineState::Updated),
        fixed: n(BaselineState::Absent),
        not_shown: 0,
    }
}

/// The files to scan for a change: the files whose findings the changed paths can affect,
/// scanned both at the scanned revision and at the merge base.
///
/// A plain manifest's findings depend only on its own content; a group's depend on all its
/// files. So the affected files are the changed ones plus every file of each group that reads
/// a changed file: the Kustomize overlays that include a changed base, patch or component,
/// and the Terraform root modules that call a changed module (with their variable files).
pub fn affected_files(changed: &BTreeSet<String>, plan: &crate::load::Plan) -> BTreeSet<String> {
    let mut affected = changed.clone();
    for (_, files) in plan.groups_reading(changed) {
        affected.extend(files.iter().cloned());
    }
    affected
}

/// Keeps only the affected files of a listing, and the notifications about them (or about
/// no file in particular).
fn narrow(listing: &mut Listing, affected: &BTreeSet<String>) {
    listing.candidates.retain(|c| affected.contains(&c.path));
    listing.narrowed = true;
    listing
        .notifications
        .retain(|n| n.file.as_ref().is_none_or(|f| affected.contains(f)));
}

fn short(id: &gix::ObjectId) -> String {
    id.to_hex_with_len(7).to_string()
}

/// `--base REV`: scans the files affected by the changes between the merge base of the
/// scanned revision (`--rev`, or the working tree against `HEAD`) and REV, at both ends,
/// and marks each finding by fingerprint. Unless `show_preexisting`, only new findings are
/// kept in the result; the others are counted in [`Comparison::not_shown`].
pub fn scan_against_base(
    opts: &ScanOptions,
    policies: &PolicySet,
    base_rev: &str,
    show_preexisting: bool,
) -> Result<ScanResult, ScanError> {
    let usage = |m: String| ScanError::Source(SourceError::Usage(m));
    let path = match &opts.target {
        Target::Path(p) => p,
        Target::Stdin(_) => {
            return Err(usage(
                "--base compares Git revisions and cannot read standard input (`-`); to \
                 compare a rendered stream, scan it with --baseline and an earlier report"
                    .into(),
            ))
        }
    };
    if !path.exists() {
        return Err(usage(format!(
            "{}: no such file or directory",
            path.display()
        )));
    }
    let Some(located) = git::discover(path) else {
        return Err(usage(format!(
            "--base needs a Git repository, and {} is not inside one: run the scan in a clone \
             of the repository, or compare with an earlier report using --baseline FILE",
            path.display()
        )));
    };
    let head_rev = if opts.worktree { "HEAD" } else { &opts.rev };
    let mb = diff::merge_base(&located.repo, head_rev, base_rev)?;
    let base_files = diff::tree_blobs(&located.repo, mb.base)?;

    let listing_started = Instant::now();
    let (mut listing, repo) = scan::list(opts)?;
    let changed: BTreeSet<String> = if opts.worktree {
        diff::worktree_blobs(&listing.candidates, located.repo.object_hash())
            .into_iter()
            .filter(|(p, id)| id.is_none() || base_files.get(p) != id.as_ref())
            .map(|(p, _)| p)
            .collect()
    } else {
        let head_files = diff::tree_blobs(&located.repo, mb.head)?;
        diff::changed_paths(&base_files, &head_files)
    };
    // Groups at either end: a file may join or leave a group in the change.
    let head_plan = scan::plan_listing(&listing, repo.as_ref(), opts);
    let mut affected = affected_files(&changed, &head_plan);
    let base_opts = ScanOptions {
        rev: mb.base.to_string(),
        worktree: false,
        profile_rules: false,
        drift: None,
        aws: None,
        ..opts.clone()
    };
    let (mut base_listing, base_repo) = scan::list(&base_opts)?;
    let base_plan = scan::plan_listing(&base_listing, base_repo.as_ref(), &base_opts);
    affected.extend(affected_files(&changed, &base_plan));
    narrow(&mut listing, &affected);
    let mut result = scan::run_listed(listing, repo, listing_started.elapsed(), opts, policies)?;

    narrow(&mut base_listing, &affected);
    let base = scan::run_listed(
        base_listing,
        base_repo,
        Duration::ZERO,
        &base_opts,
        policies,
    )?;
    let base_errors: Vec<&Notification> = base
        .notifications
        .iter()
        .filter(|n| n.level == NoteLevel::Error)
        .collect();
    if let Some(first) = base_errors.first() {
        result.notifications.push(Notification::new(
            NoteLevel::Warning,
            "base-incomplete",
            format!(
                "at the merge base {}, {} file(s) or policies could not be processed (first: \
                 {}); findings there are reported as new",
                short(&mb.base),
                base_errors.len(),
                first.message
            ),
        ));
        result.notifications.sort();
    }

    compare(&mut result.findings, &base.findings);
    let against = format!(
        "merge base {} of {} and {base_rev}",
        short(&mb.base),
        if opts.worktree {
            "the working tree (HEAD)"
        } else {
            head_rev
        }
    );
    let mut comparison = count(&result.findings, against);
    comparison.changed_files = Some(result.stats.files);
    if !show_preexisting {
        let before = result.findings.len();
        result
            .findings
            .retain(|f| f.baseline_state == Some(BaselineState::New));
        comparison.not_shown = before - result.findings.len();
    }
    result.stats.comparison = Some(comparison);
    Ok(result)
}

/// `--baseline FILE`: compares the scan with an earlier JSON or SARIF report. A report with
/// several analyses (SARIF runs) is matched on `category`.
pub fn apply_baseline(result: &mut ScanResult, file: &Path, category: &str) -> Result<(), String> {
    let reports = read::read(file).map_err(|e| format!("--baseline: {e}"))?;
    let chosen: Vec<&read::LoadedReport> = if reports.len() <= 1 {
        reports.iter().collect()
    } else {
        let matching: Vec<_> = reports.iter().filter(|r| r.category == category).collect();
        if matching.is_empty() {
            let names: BTreeSet<&str> = reports.iter().map(|r| r.category.as_str()).collect();
            return Err(format!(
                "--baseline {}: the report holds {} analyses ({}) and none has the category \
                 {category:?}; give the matching --category",
                file.display(),
                reports.len(),
                names.into_iter().collect::<Vec<_>>().join(", ")
            ));
        }
        matching
    };
    let baseline: Vec<Finding> = chosen
        .iter()
        .flat_map(|r| r.findings.iter().cloned())
        .collect();
    compare(&mut result.findings, &baseline);
    result.stats.comparison = Some(count(
        &result.findings,
        format!("baseline {}", file.display()),
    ));
    Ok(())
}

/// How many new findings the merge-request summary lists.
const TOP_NEW: usize = 10;

/// The merge-request log summary, at most about 20 lines: new findings by severity,
/// pre-existing, fixed, the most severe new findings (`file:line rule message`), and the
/// verdict. `None` when nothing was compared. Names, paths and messages in it are escaped
/// ([`crate::textsafe`]): it is printed to the terminal or the CI log as it is.
pub fn summary(result: &ScanResult, fail_on: FailOn) -> Option<String> {
    let c = result.stats.comparison.as_ref()?;
    let mut out = String::new();
    let scope = match c.changed_files {
        Some(1) => " (1 changed file scanned)".to_string(),
        Some(n) => format!(" ({n} changed files scanned)"),
        None => String::new(),
    };
    let _ = writeln!(
        out,
        "Plumbline gate: compared with {}{scope}",
        Escaped(&c.against)
    );
    let mut new: Vec<&Finding> = result.findings.iter().filter(|f| f.is_active()).collect();
    new.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.sort_key().cmp(&b.sort_key()))
    });
    let _ = writeln!(
        out,
        "  new findings:  {}",
        count_by_severity(new.iter().map(|f| f.severity))
    );
    let waived_new = result
        .findings
        .iter()
        .filter(|f| f.is_suppressed() && f.baseline_state == Some(BaselineState::New))
        .count();
    if waived_new > 0 {
        let _ = writeln!(out, "  new, waived:   {waived_new}");
    }
    let shown = if c.not_shown > 0 {
        " (not shown; --show-preexisting lists them)"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "  pre-existing:  {} ({} unchanged, {} updated){shown}",
        c.preexisting(),
        c.unchanged,
        c.updated
    );
    let _ = writeln!(out, "  fixed:         {}", c.fixed);
    if !new.is_empty() {
        let _ = writeln!(out, "  New findings:");
        for f in new.iter().take(TOP_NEW) {
            let _ = writeln!(
                out,
                "    {:<8} {}:{}  {}  {}",
                f.severity.as_str(),
                Escaped(&f.file),
                f.region.start.line,
                Escaped(&f.rule_id),
                Escaped(&one_line(&f.message))
            );
        }
        if new.len() > TOP_NEW {
            let _ = writeln!(out, "    … and {} more in the report", new.len() - TOP_NEW);
        }
    }
    let verdict = match triage::exit_code(&result.findings, result.incomplete(), fail_on) {
        triage::exit::INCOMPLETE => {
            "INCOMPLETE: some files or policies could not be processed (exit 3)".to_string()
        }
        triage::exit::FINDINGS => match fail_on {
            FailOn::Severity(s) => format!(
                "FAIL: new findings at or above {} (exit 1)",
                s.as_str().to_ascii_lowercase()
            ),
            FailOn::Never => "FAIL (exit 1)".to_string(),
        },
        _ => match fail_on {
            FailOn::Severity(s) => format!(
                "PASS: no new finding at or above {}",
                s.as_str().to_ascii_lowercase()
            ),
            FailOn::Never => "PASS: --fail-on never".to_string(),
        },
    };
    let _ = writeln!(out, "  Result: {verdict}");
    Some(out)
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

/// A message on one log line.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FindingLevel, Pos, Region};

    fn finding(fp: &str, line: u32, message: &str) -> Finding {
        Finding {
            rule_id: "R".into(),
            severity: Severity::High,
            level: FindingLevel::Error,
            message: message.into(),
            file: "a.yaml".into(),
            region: Region {
                start: Pos::new(line, 1),
                end: Pos::new(line, 2),
            },
            resource: None,
            subject: None,
            document: 0,
            field_path: Vec::new(),
            fingerprint: fp.into(),
            suppressions: Vec::new(),
            live: None,
            baseline_state: None,
        }
    }

    #[test]
    fn states_by_fingerprint() {
        let baseline = vec![
            finding("moved", 3, "m"),
            finding("reworded", 4, "old words"),
            finding("fixed", 5, "f"),
            {
                let mut f = finding("fixed-long-ago", 6, "x");
                f.baseline_state = Some(BaselineState::Absent);
                f
            },
        ];
        let mut current = vec![
            finding("moved", 30, "m"),
            finding("reworded", 4, "new words"),
            finding("brand-new", 1, "n"),
        ];
        compare(&mut current, &baseline);
        let states: BTreeMap<&str, BaselineState> = current
            .iter()
            .map(|f| (f.fingerprint.as_str(), f.baseline_state.unwrap()))
            .collect();
        assert_eq!(
            states,
            BTreeMap::from([
                ("brand-new", BaselineState::New),
                ("moved", BaselineState::Unchanged),
                ("reworded", BaselineState::Updated),
                ("fixed", BaselineState::Absent),
            ])
        );
        let active: Vec<_> = current.iter().filter(|f| f.is_active()).collect();
        assert_eq!(active.len(), 1);
        let c = count(&current, String::new());
        assert_eq!((c.new, c.unchanged, c.updated, c.fixed), (1, 1, 1, 1));
    }

    #[test]
    fn severity_counts() {
        assert_eq!(count_by_severity(std::iter::empty()), "0");
        assert_eq!(
            count_by_severity([Severity::Low, Severity::High, Severity::Low].into_iter()),
            "3 (1 high, 2 low)"
        );
    }
}
