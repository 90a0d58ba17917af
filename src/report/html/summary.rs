//! What the security-team page shows, computed from dated reports: no HTML here.
//!
//! The **current view** is the latest report of each analysis (its `category`): several
//! repositories scanned under their own categories appear side by side, and earlier reports
//! of the same analysis only feed the trend. Of several reports of one analysis on one day,
//! the latest (by commit or end time) speaks for that day; the others are superseded. Counts are of **open** findings: not waived, and
//! not absent from a baseline comparison (fixed). Waived findings are listed with their
//! waivers.

use super::DatedReport;
use crate::date::Date;
use crate::model::{BaselineState, Finding, RuleMeta, Severity, Suppression};
use crate::report::read::LoadedReport;
use std::collections::BTreeMap;

/// Days before its expiry from which a waiver is flagged as expiring soon.
pub const EXPIRY_WARNING_DAYS: i64 = 30;

/// How many rules the "top rules" chart shows.
pub const TOP_RULES: usize = 15;

/// Where a finding stands for the security team.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Open,
    /// A waiver applies.
    Waived,
    /// Compared with a baseline, it is no longer found.
    Fixed,
}

impl Status {
    pub fn of(f: &Finding) -> Self {
        if f.is_suppressed() {
            Self::Waived
        } else if f.baseline_state == Some(BaselineState::Absent) {
            Self::Fixed
        } else {
            Self::Open
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Waived => "waived",
            Self::Fixed => "fixed",
        }
    }
}

/// Counts per severity, most severe first (the order of [`Severity::DESCENDING`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts(pub [usize; 5]);

impl Counts {
    fn index(s: Severity) -> usize {
        Severity::DESCENDING
            .iter()
            .position(|x| *x == s)
            .expect("every severity")
    }

    pub fn add(&mut self, s: Severity) {
        self.0[Self::index(s)] += 1;
    }

    pub fn get(&self, s: Severity) -> usize {
        self.0[Self::index(s)]
    }

    pub fn total(&self) -> usize {
        self.0.iter().sum()
    }

    pub fn max(&self) -> usize {
        self.0.iter().copied().max().unwrap_or(0)
    }
}

/// A finding of the current view with the report it comes from.
#[derive(Debug, Clone, Copy)]
pub struct Item<'a> {
    pub report: &'a DatedReport,
    pub finding: &'a Finding,
    pub status: Status,
}

impl<'a> Item<'a> {
    pub fn rule(&self) -> Option<&'a RuleMeta> {
        rule_meta(&self.report.report, &self.finding.rule_id)
    }
}

fn rule_meta<'r>(report: &'r LoadedReport, id: &str) -> Option<&'r RuleMeta> {
    report.rules.iter().find(|r| r.id == id)
}

/// What findings are grouped by in the charts. A finding has zero, one or several keys along
/// a dimension (a rule may belong to several frameworks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    Rule,
    Framework,
    Repository,
    Cluster,
    Account,
}

/// The keys of a finding along `dim`. This is the one place to extend when reports carry
/// more: findings of live drift scans will name the cluster and the cloud account they were
/// read from; no report carries them today, so those dimensions have no keys (and the page
/// says so rather than guessing).
pub fn keys(dim: Dimension, report: &LoadedReport, finding: &Finding) -> Vec<String> {
    match dim {
        Dimension::Rule => vec![finding.rule_id.clone()],
        Dimension::Framework => {
            let frameworks = rule_meta(report, &finding.rule_id)
                .map(|r| r.frameworks.as_slice())
                .unwrap_or_default();
            if frameworks.is_empty() {
                vec!["(no framework)".to_string()]
            } else {
                let mut names: Vec<String> = frameworks.iter().map(|f| framework_name(f)).collect();
                names.sort();
                names.dedup();
                names
            }
        }
        Dimension::Repository => vec![repository(report)],
        Dimension::Cluster | Dimension::Account => Vec::new(),
    }
}

/// The repository a report describes, as far as it says: its analysis name (`--category`),
/// which CI gives one per repository; the default category falls back to the description.
pub fn repository(report: &LoadedReport) -> String {
    if report.category != "plumbline" || report.description.is_empty() {
        report.category.clone()
    } else {
        report.description.clone()
    }
}

/// Readable names of the framework tags the built-in library uses; others are shown as
/// written.
pub fn framework_name(tag: &str) -> String {
    match tag {
        "PSS-baseline" => "Pod Security Standards (baseline)".to_string(),
        "PSS-restricted" => "Pod Security Standards (restricted)".to_string(),
        other => other.to_string(),
    }
}

/// Drift (declared vs live) or policy: drift rules have ids `PL-DRIFT…` or live in the
/// `plumbline.drift` package tree.
pub fn is_drift(report: &LoadedReport, finding: &Finding) -> bool {
    finding.rule_id.starts_with("PL-DRIFT")
        || rule_meta(report, &finding.rule_id).is_some_and(|r| {
            r.package == "plumbline.drift" || r.package.starts_with("plumbline.drift.")
        })
}

/// A waiver's expiry relative to its report's date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    None,
    /// Not a `YYYY-MM-DD` date.
    Unreadable,
    /// Expired this many days before the report's date (0: expired that day).
    Expired(i64),
    /// Expires within [`EXPIRY_WARNING_DAYS`] days of the report's date.
    Soon(i64),
    Valid(i64),
}

impl Expiry {
    /// A waiver is valid until the end of its expiry day.
    pub fn of(s: &Suppression, report_date: Date) -> Self {
        let Some(text) = s.expires.as_deref() else {
            return Self::None;
        };
        let Some(day) = Date::parse(text).filter(|_| text.trim().len() == 10) else {
            return Self::Unreadable;
        };
        let left = day.days() - report_date.days();
        if left < 0 {
            Self::Expired(-left)
        } else if left <= EXPIRY_WARNING_DAYS {
            Self::Soon(left)
        } else {
            Self::Valid(left)
        }
    }
}

/// One waiver applied to one finding.
#[derive(Debug, Clone, Copy)]
pub struct Waiver<'a> {
    pub item: Item<'a>,
    pub suppression: &'a Suppression,
    pub expiry: Expiry,
}

/// What a report is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The latest report of its analysis: counted everywhere.
    Current,
    /// An earlier day of its analysis: counted in the trend.
    Trend,
    /// A later report of the same analysis on the same day replaces it.
    Superseded,
}

impl Role {
    pub fn describe(self) -> &'static str {
        match self {
            Self::Current => "latest of its analysis",
            Self::Trend => "trend only",
            Self::Superseded => "superseded by a later report of the same day",
        }
    }
}

/// Everything the page shows.
#[derive(Debug)]
pub struct Summary<'a> {
    pub reports: &'a [DatedReport],
    /// Per report (same index): what it is used for.
    pub roles: Vec<Role>,
    /// The latest report date, if there is any report.
    pub as_of: Option<Date>,
    /// Findings of the current view, most severe first.
    pub items: Vec<Item<'a>>,
    pub open: Counts,
    pub waived: usize,
    pub fixed: usize,
    /// Open findings per report date, over every report given (oldest first).
    pub trend: Vec<(Date, Counts)>,
}

pub fn summarize(reports: &[DatedReport]) -> Summary<'_> {
    let roles = roles(reports);
    let mut items: Vec<Item> = reports
        .iter()
        .zip(&roles)
        .filter(|(_, role)| **role == Role::Current)
        .flat_map(|(r, _)| {
            r.report.findings.iter().map(move |f| Item {
                report: r,
                finding: f,
                status: Status::of(f),
            })
        })
        .collect();
    items.sort_by(|a, b| {
        b.finding
            .severity
            .cmp(&a.finding.severity)
            .then_with(|| a.status.cmp(&b.status))
            .then_with(|| repository(&a.report.report).cmp(&repository(&b.report.report)))
            .then_with(|| a.finding.sort_key().cmp(&b.finding.sort_key()))
    });
    let mut open = Counts::default();
    for i in items.iter().filter(|i| i.status == Status::Open) {
        open.add(i.finding.severity);
    }
    let count = |s: Status| items.iter().filter(|i| i.status == s).count();
    let (waived, fixed) = (count(Status::Waived), count(Status::Fixed));
    let mut trend: BTreeMap<Date, Counts> = BTreeMap::new();
    for (r, _) in reports
        .iter()
        .zip(&roles)
        .filter(|(_, x)| **x != Role::Superseded)
    {
        let c = trend.entry(r.date).or_default();
        for f in r.report.findings.iter() {
            if Status::of(f) == Status::Open {
                c.add(f.severity);
            }
        }
    }
    Summary {
        reports,
        roles,
        as_of: reports.iter().map(|r| r.date).max(),
        items,
        open,
        waived,
        fixed,
        trend: trend.into_iter().collect(),
    }
}

/// Per analysis and day, the latest report (ties all kept); per analysis, its latest day.
fn roles(reports: &[DatedReport]) -> Vec<Role> {
    let mut day_latest: BTreeMap<(&str, Date), Option<&str>> = BTreeMap::new();
    let mut latest_day: BTreeMap<&str, Date> = BTreeMap::new();
    for r in reports {
        let analysis = r.report.category.as_str();
        let t = day_latest.entry((analysis, r.date)).or_default();
        *t = (*t).max(r.time.as_deref());
        let d = latest_day.entry(analysis).or_insert(r.date);
        *d = (*d).max(r.date);
    }
    reports
        .iter()
        .map(|r| {
            let analysis = r.report.category.as_str();
            if day_latest[&(analysis, r.date)] != r.time.as_deref() {
                Role::Superseded
            } else if latest_day[analysis] == r.date {
                Role::Current
            } else {
                Role::Trend
            }
        })
        .collect()
}

impl<'a> Summary<'a> {
    /// Open findings grouped along `dim`, largest group first (ties by name).
    pub fn group_open(&self, dim: Dimension) -> Vec<(String, Counts)> {
        let mut groups: BTreeMap<String, Counts> = BTreeMap::new();
        for i in self.items.iter().filter(|i| i.status == Status::Open) {
            for k in keys(dim, &i.report.report, i.finding) {
                groups.entry(k).or_default().add(i.finding.severity);
            }
        }
        let mut out: Vec<_> = groups.into_iter().collect();
        out.sort_by(|a, b| b.1.total().cmp(&a.1.total()).then_with(|| a.0.cmp(&b.0)));
        out
    }

    /// Open findings per severity, and waived ones, for policy and for drift.
    pub fn policy_and_drift(&self) -> [(Counts, usize); 2] {
        let mut out = [(Counts::default(), 0), (Counts::default(), 0)];
        for i in &self.items {
            let side = &mut out[usize::from(is_drift(&i.report.report, i.finding))];
            match i.status {
                Status::Open => side.0.add(i.finding.severity),
                Status::Waived => side.1 += 1,
                Status::Fixed => {}
            }
        }
        out
    }

    /// Every waiver of the current view: expired first, then by expiry, then by finding.
    pub fn waivers(&self) -> Vec<Waiver<'a>> {
        let mut out: Vec<Waiver> = self
            .items
            .iter()
            .filter(|i| i.status == Status::Waived)
            .flat_map(|i| {
                i.finding.suppressions.iter().map(move |s| Waiver {
                    item: *i,
                    suppression: s,
                    expiry: Expiry::of(s, i.report.date),
                })
            })
            .collect();
        let rank = |w: &Waiver| match w.expiry {
            Expiry::Expired(d) => (0, -d),
            Expiry::Unreadable => (1, 0),
            Expiry::Soon(d) => (2, d),
            Expiry::Valid(d) => (3, d),
            Expiry::None => (4, 0),
        };
        out.sort_by_key(|w| rank(w));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SuppressionKind;

    fn waiver(expires: Option<&str>) -> Suppression {
        Suppression {
            kind: SuppressionKind::External,
            justification: "j".into(),
            owner: None,
            expires: expires.map(str::to_string),
            location: None,
        }
    }

    #[test]
    fn expiry_is_relative_to_the_report_date() {
        let day = Date::parse("2024-05-01").unwrap();
        let e = |x| Expiry::of(&waiver(x), day);
        assert_eq!(e(None), Expiry::None);
        assert_eq!(e(Some("2024-04-30")), Expiry::Expired(1));
        assert_eq!(e(Some("2024-05-01")), Expiry::Soon(0));
        assert_eq!(e(Some("2024-05-31")), Expiry::Soon(30));
        assert_eq!(e(Some("2024-06-01")), Expiry::Valid(31));
        assert_eq!(e(Some("soon")), Expiry::Unreadable);
    }

    #[test]
    fn counts_follow_severity_order() {
        let mut c = Counts::default();
        c.add(Severity::High);
        c.add(Severity::High);
        c.add(Severity::Info);
        assert_eq!(c.0, [0, 2, 0, 0, 1]);
        assert_eq!((c.total(), c.max()), (3, 2));
    }
}
