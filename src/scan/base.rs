//! `--base` and `--baseline`: the merge-request gate as a mode of the scan. For `--base`, the
//! files a change affects are listed and evaluated at both ends (the scanned revision and the
//! merge base) and compared by fingerprint; for `--baseline`, an earlier report is read back
//! and compared with the scan. The comparison itself is triage's (`triage::baseline`).

use super::{list, plan_listing, run_listed, ScanError, ScanOptions, Target};
use crate::findings::ScanResult;
use crate::model::{BaselineState, Finding, NoteLevel, Notification};
use crate::policy::PolicySet;
use crate::report::read;
use crate::source::{diff, git, Listing, SourceError};
use crate::triage::baseline::{compare, count};
use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

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
    let (mut listing, repo) = list(opts)?;
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
    let head_plan = plan_listing(&listing, repo.as_ref(), opts);
    let mut affected = affected_files(&changed, &head_plan);
    let base_opts = ScanOptions {
        rev: mb.base.to_string(),
        worktree: false,
        profile_rules: false,
        drift: None,
        aws: None,
        ..opts.clone()
    };
    let (mut base_listing, base_repo) = list(&base_opts)?;
    let base_plan = plan_listing(&base_listing, base_repo.as_ref(), &base_opts);
    affected.extend(affected_files(&changed, &base_plan));
    narrow(&mut listing, &affected);
    let mut result = run_listed(listing, repo, listing_started.elapsed(), opts, policies)?;

    narrow(&mut base_listing, &affected);
    let base = run_listed(
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
