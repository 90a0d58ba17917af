//! The comparison with what came before: a scan's findings against the findings at the merge
//! base of a branch (`--base`) or in an earlier report (`--baseline`), by fingerprint, so
//! that only what a change introduces fails the run.
//!
//! A finding is `New` when its fingerprint is not in what it is compared with, `Unchanged`
//! when it is there with the same message, `Updated` when the message changed. Fingerprints
//! never contain line numbers, so a finding that merely moved is not new. Baseline findings
//! that are gone are `Absent` (fixed). `Finding::is_active` makes only new findings count
//! towards the exit code.

use crate::findings::Comparison;
use crate::model::{BaselineState, Finding};
use std::collections::{BTreeMap, BTreeSet};

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
    crate::findings::sort_findings(current);
}

/// Counts the states [`compare`] assigned.
pub fn count(findings: &[Finding], against: String) -> Comparison {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::count_by_severity;
    use crate::model::{FindingLevel, Pos, Region, Severity};

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
            related: Vec::new(),
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
