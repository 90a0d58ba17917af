//! `plumbline merge`: combines plumbline reports — the shards of one scan, or the scans of
//! several repositories and clusters — into one report, deduplicated by fingerprint.
//!
//! Reports are grouped into analyses by category (SARIF `automationDetails.id`, JSON
//! `category`): the reports of one category become one analysis (one SARIF run), different
//! categories stay separate runs, as GitHub code scanning expects. Within an analysis:
//!
//! - rules are unioned by id; findings are deduplicated by fingerprint, keeping the most
//!   severe copy (then the first in report order: file, position, rule, message), with the
//!   suppressions of every copy, so a finding waived anywhere stays waived;
//! - notifications are unioned; the analysis is incomplete when any report was, and when its
//!   reports are shards that do not cover every part of the files (`shard-missing`);
//! - the scanned commit and description are kept when the reports agree; otherwise the
//!   description lists the targets and the commit is left out;
//! - the summary is recomputed from the merged findings; the files, documents and other
//!   counters of the JSON summaries, and their comparison with a merge base or baseline,
//!   are added up over distinct scans (two reports of the same target, commit and shard
//!   count once).

use super::read::LoadedReport;
use super::TOOL_NAME;
use crate::findings::Comparison;
use crate::findings::{self, ScanResult, Stats};
use crate::model::{Finding, NoteLevel, Notification, RuleMeta};
use crate::source::shard::Shard;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};

/// One merged analysis: its category and its combined result.
#[derive(Debug)]
pub struct Analysis {
    pub category: String,
    /// How many reports (SARIF runs count one each) went into it.
    pub reports: usize,
    pub result: ScanResult,
}

/// Merges reports into analyses, sorted by category. With `category`, every report joins
/// one analysis of that name. Reports of other tools are refused: the result is written as
/// plumbline's, and their findings have no plumbline fingerprints to deduplicate by.
pub fn merge(reports: Vec<LoadedReport>, category: Option<&str>) -> Result<Vec<Analysis>, String> {
    let mut groups: BTreeMap<String, Vec<LoadedReport>> = BTreeMap::new();
    for r in reports {
        if r.tool != TOOL_NAME {
            return Err(format!(
                "{}: written by {:?}, not plumbline: merge combines plumbline reports only",
                r.source, r.tool
            ));
        }
        let name = category.map_or_else(|| r.category.clone(), str::to_string);
        groups.entry(name).or_default().push(r);
    }
    Ok(groups
        .into_iter()
        .map(|(category, reports)| Analysis {
            result: merge_analysis(&category, &reports),
            reports: reports.len(),
            category,
        })
        .collect())
}

fn merge_analysis(category: &str, reports: &[LoadedReport]) -> ScanResult {
    let mut notifications: Vec<Notification> = Vec::new();
    for r in reports {
        notifications.extend(r.notifications.iter().cloned());
        let says_why = r.notifications.iter().any(|n| n.level == NoteLevel::Error);
        if r.incomplete && !says_why {
            notifications.push(Notification::new(
                NoteLevel::Error,
                "input-incomplete",
                format!(
                    "{}: the report says its scan was incomplete, without a notification \
                     saying why",
                    r.source
                ),
            ));
        }
    }
    let shard = common_shard(reports);
    if shard.is_none() {
        notifications.extend(missing_shards(category, reports));
    }
    let mut findings = merge_findings(reports);
    findings::sort_findings(&mut findings);
    notifications.sort();
    notifications.dedup();
    let (description, commit, commit_time) = target(reports);
    let rules = merge_rules(reports);
    // Rules loaded: the most any scan loaded (shards of one scan all load the same).
    let stats = Stats {
        rules: reports
            .iter()
            .filter_map(|r| r.counts.map(|c| c.rules))
            .max()
            .unwrap_or(rules.len()),
        ..add_up(reports)
    };
    ScanResult {
        description,
        commit,
        commit_time,
        shard,
        rules,
        findings,
        notifications,
        stats,
        sources: BTreeMap::new(),
    }
}

/// Rules by id; of two different descriptions of one rule, the more severe, then the one
/// that sorts first as JSON (so the choice does not depend on the order of the inputs).
fn merge_rules(reports: &[LoadedReport]) -> Vec<RuleMeta> {
    let mut by_id: BTreeMap<String, RuleMeta> = BTreeMap::new();
    let key = |r: &RuleMeta| {
        (
            Reverse(r.severity),
            serde_json::to_string(r).unwrap_or_default(),
        )
    };
    for rule in reports.iter().flat_map(|r| &r.rules) {
        match by_id.get(&rule.id) {
            Some(kept) if key(kept) <= key(rule) => {}
            _ => {
                by_id.insert(rule.id.clone(), rule.clone());
            }
        }
    }
    by_id.into_values().collect()
}

/// Findings by fingerprint: the most severe copy, then the first by file, position, rule and
/// message, carrying the suppressions of all copies.
fn merge_findings(reports: &[LoadedReport]) -> Vec<Finding> {
    let mut by_fp: BTreeMap<String, Finding> = BTreeMap::new();
    for f in reports.iter().flat_map(|r| &r.findings) {
        match by_fp.get_mut(&f.fingerprint) {
            None => {
                by_fp.insert(f.fingerprint.clone(), f.clone());
            }
            Some(kept) => {
                let mut suppressions = std::mem::take(&mut kept.suppressions);
                suppressions.extend(f.suppressions.iter().cloned());
                if (Reverse(f.severity), f.sort_key()) < (Reverse(kept.severity), kept.sort_key()) {
                    *kept = f.clone();
                }
                suppressions.sort();
                suppressions.dedup();
                kept.suppressions = suppressions;
            }
        }
    }
    by_fp.into_values().collect()
}

/// The shard all reports share (merging, say, shard 2/4 of several repositories), if any.
fn common_shard(reports: &[LoadedReport]) -> Option<Shard> {
    let first = reports.first()?.shard?;
    reports
        .iter()
        .all(|r| r.shard == Some(first))
        .then_some(first)
}

/// When every report is a shard, the shards of at least one count N must all be there;
/// otherwise the files of the missing shards are silently absent, which is an error.
fn missing_shards(category: &str, reports: &[LoadedReport]) -> Option<Notification> {
    if reports.iter().any(|r| r.shard.is_none()) {
        return None;
    }
    let mut present: BTreeMap<u32, BTreeSet<u32>> = BTreeMap::new();
    for s in reports.iter().filter_map(|r| r.shard) {
        present.entry(s.count).or_default().insert(s.index);
    }
    let missing_per_count: Vec<Vec<String>> = present
        .iter()
        .map(|(&count, indexes)| {
            (1..=count)
                .filter(|i| !indexes.contains(i))
                .map(|index| Shard { index, count }.to_string())
                .collect()
        })
        .collect();
    // One complete set of shards covers every file, whatever else was given.
    let complete = missing_per_count.iter().any(Vec::is_empty);
    (!complete).then(|| {
        let missing = missing_per_count.concat();
        Notification::new(
            NoteLevel::Error,
            "shard-missing",
            format!(
                "analysis {category:?}: the reports of shard(s) {} were not given, so the files \
                 assigned to them are missing from the merged report; merge every shard's \
                 report",
                missing.join(", ")
            ),
        )
    })
}

/// Description, commit and commit time when the reports agree; otherwise the description
/// lists the targets (sorted) and the commit is left out. SARIF carries no description, so
/// an empty one agrees with any.
fn target(reports: &[LoadedReport]) -> (String, Option<String>, Option<String>) {
    let commits: BTreeSet<Option<&str>> = reports.iter().map(|r| r.commit.as_deref()).collect();
    let times: BTreeSet<Option<&str>> = reports.iter().map(|r| r.commit_time.as_deref()).collect();
    let descriptions: BTreeSet<&str> = reports
        .iter()
        .map(|r| r.description.as_str())
        .filter(|d| !d.is_empty())
        .collect();
    if commits.len() <= 1 && descriptions.len() <= 1 {
        let commit = commits.into_iter().next().flatten().map(str::to_string);
        let time = match times.len() {
            1 => times.into_iter().next().flatten().map(str::to_string),
            _ => None,
        };
        let description = descriptions
            .into_iter()
            .next()
            .unwrap_or_default()
            .to_string();
        return (description, commit, time);
    }
    let labels: BTreeSet<String> = reports
        .iter()
        .map(|r| match (&r.description, &r.commit) {
            (d, _) if !d.is_empty() => d.clone(),
            (_, Some(c)) => format!("commit {c}"),
            (_, None) => r.source.clone(),
        })
        .collect();
    (
        format!(
            "merged reports of {} different targets: {}",
            labels.len(),
            labels.into_iter().collect::<Vec<_>>().join("; ")
        ),
        None,
        None,
    )
}

/// The JSON summaries' counters and comparisons added up over distinct scans: reports of
/// the same target, commit and shard are one scan read twice, and count once.
fn add_up(reports: &[LoadedReport]) -> Stats {
    let mut distinct: BTreeMap<(&str, Option<&str>, Option<Shard>), &LoadedReport> =
        BTreeMap::new();
    for r in reports.iter().filter(|r| r.counts.is_some()) {
        let key = (r.description.as_str(), r.commit.as_deref(), r.shard);
        distinct.entry(key).or_insert(r);
    }
    let mut stats = Stats::default();
    for c in distinct.values().filter_map(|r| r.counts) {
        stats.files += c.files;
        stats.documents += c.documents;
        stats.resources += c.resources;
        stats.evaluations += c.evaluations;
    }
    let comparisons: Vec<&Comparison> = distinct
        .values()
        .filter_map(|r| r.comparison.as_ref())
        .collect();
    if !comparisons.is_empty() {
        let against: BTreeSet<&str> = comparisons.iter().map(|c| c.against.as_str()).collect();
        let mut total = Comparison {
            against: against.into_iter().collect::<Vec<_>>().join("; "),
            ..Comparison::default()
        };
        for c in comparisons {
            if let Some(n) = c.changed_files {
                *total.changed_files.get_or_insert(0) += n;
            }
            total.new += c.new;
            total.unchanged += c.unchanged;
            total.updated += c.updated;
            total.fixed += c.fixed;
            total.not_shown += c.not_shown;
        }
        stats.comparison = Some(total);
    }
    stats
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(source: &str, commit: Option<&str>, shard: Option<&str>) -> LoadedReport {
        LoadedReport {
            source: source.into(),
            format: "json",
            tool: TOOL_NAME.into(),
            tool_version: String::new(),
            category: "k8s".into(),
            description: commit
                .map(|c| format!("git revision {c}"))
                .unwrap_or_default(),
            commit: commit.map(str::to_string),
            commit_time: None,
            end_time: None,
            rules: Vec::new(),
            findings: Vec::new(),
            notifications: Vec::new(),
            incomplete: false,
            shard: shard.map(|s| s.parse().unwrap()),
            counts: None,
            comparison: None,
        }
    }

    #[test]
    fn targets_that_differ_are_named_in_order() {
        let a = report("a.json", Some("aaa"), None);
        let b = report("b.json", Some("bbb"), None);
        let (d1, c1, _) = target(&[a.clone(), b.clone()]);
        let (d2, c2, _) = target(&[b, a.clone()]);
        assert_eq!(d1, d2);
        assert_eq!(
            d1,
            "merged reports of 2 different targets: git revision aaa; git revision bbb"
        );
        assert_eq!((c1, c2), (None, None));
        let (d, c, _) = target(&[a.clone(), a]);
        assert_eq!(
            (d.as_str(), c.as_deref()),
            ("git revision aaa", Some("aaa"))
        );
    }

    #[test]
    fn one_complete_set_of_shards_is_enough() {
        let r = |s| report("x.json", Some("aaa"), Some(s));
        assert!(missing_shards("k8s", &[r("1/2"), r("2/2")]).is_none());
        assert!(missing_shards("k8s", &[r("1/2"), r("2/2"), r("1/3")]).is_none());
        let n = missing_shards("k8s", &[r("1/2"), r("2/3")]).unwrap();
        assert_eq!(n.level, NoteLevel::Error);
        assert!(n.message.contains("2/2, 1/3, 3/3"), "{}", n.message);
        // An unsharded report covers everything.
        let whole = report("y.json", Some("aaa"), None);
        assert!(missing_shards("k8s", &[r("1/2"), whole]).is_none());
        // The same shard everywhere is that shard, not a gap.
        assert_eq!(
            common_shard(&[r("2/4"), r("2/4")]).map(|s| s.to_string()),
            Some("2/4".into())
        );
    }
}
