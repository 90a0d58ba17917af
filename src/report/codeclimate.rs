//! `--format codeclimate`: GitLab's code quality report, the subset of the Code Climate issue
//! format that GitLab reads (a JSON array of issues), shown in the merge-request widget and
//! the changes view.
//!
//! As in the SAST report, waived findings and findings a baseline says are gone (`absent`)
//! are left out: the format has no suppression, and GitLab would show them as open. Errors
//! about the scan itself (a file that cannot be parsed, a policy that failed) that concern a
//! file are issues too, in the `Bug Risk` category, so an incomplete scan is visible in the
//! merge request.

use super::gitlab::exported_with_fingerprints;
use crate::model::{Finding, NoteLevel, Notification, RuleMeta, Severity};
use crate::scan::ScanResult;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Code Climate severities: info, minor, major, critical, blocker.
fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "blocker",
        Severity::High => "critical",
        Severity::Medium => "major",
        Severity::Low => "minor",
        Severity::Info => "info",
    }
}

/// The spec asks for a description on a single line.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn issue(f: &Finding, fingerprint: String, rule: Option<&RuleMeta>) -> Value {
    let mut v = json!({
        "type": "issue",
        "check_name": f.rule_id,
        "description": one_line(&f.message),
        "categories": ["Security"],
        "severity": severity(f.severity),
        "fingerprint": fingerprint,
        "location": {
            "path": f.file,
            "lines": {
                "begin": f.region.start.line,
                "end": f.region.end.line.max(f.region.start.line),
            },
        },
    });
    // The rule's help in Markdown (title, description, remediation, frameworks, links).
    if let Some(r) = rule {
        v["content"] = json!({ "body": super::sarif::help_markdown(r) });
    }
    v
}

/// An error about a file: the scan of that file is incomplete.
fn notification_issue(n: &Notification, file: &str) -> Value {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for part in ["notification", &n.code, file, &n.message] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    let fingerprint: String = h.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let line = n.position.map_or(1, |p| p.line.max(1));
    json!({
        "type": "issue",
        "check_name": format!("plumbline/{}", n.code),
        "description": one_line(&format!("Not scanned completely: {}", n.message)),
        "categories": ["Bug Risk"],
        "severity": "major",
        "fingerprint": fingerprint,
        "location": { "path": file, "lines": { "begin": line, "end": line } },
    })
}

pub fn render(result: &ScanResult) -> String {
    let rules: BTreeMap<&str, &RuleMeta> =
        result.rules.iter().map(|r| (r.id.as_str(), r)).collect();
    let mut issues: Vec<Value> = exported_with_fingerprints(result)
        .into_iter()
        .map(|(f, fp)| issue(f, fp, rules.get(f.rule_id.as_str()).copied()))
        .collect();
    issues.extend(result.notifications.iter().filter_map(|n| {
        let file = n.file.as_deref()?;
        (n.level == NoteLevel::Error).then(|| notification_issue(n, file))
    }));
    let mut out = serde_json::to_string_pretty(&issues).expect("JSON");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_map_onto_code_climate() {
        let all: Vec<&str> = Severity::DESCENDING.iter().map(|s| severity(*s)).collect();
        assert_eq!(all, ["blocker", "critical", "major", "minor", "info"]);
    }

    #[test]
    fn descriptions_are_one_line() {
        assert_eq!(one_line("a\n  b\tc "), "a b c");
    }
}
