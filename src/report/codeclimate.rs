//! `--format codeclimate`: GitLab's code quality report, the subset of the Code Climate issue
//! format that GitLab reads (a JSON array of issues), shown in the merge-request widget and
//! the changes view.
//!
//! As in the SAST report, waived findings and findings a baseline says are gone (`absent`)
//! are left out: the format has no suppression, and GitLab would show them as open. The
//! format has no place for notifications; a file that cannot be parsed is a finding
//! (`PL-PARSE-0001`) and so an issue, and an incomplete scan still exits 3.

use super::gitlab::exported_with_fingerprints;
use crate::findings::ScanResult;
use crate::model::{Finding, RuleMeta, Severity};
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
            // A live object nothing in Git declares has no file: its path is where it lives.
            "path": if f.file.is_empty() { f.live.as_deref().unwrap_or("") } else { &f.file },
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

pub fn render(result: &ScanResult) -> String {
    let rules: BTreeMap<&str, &RuleMeta> =
        result.rules.iter().map(|r| (r.id.as_str(), r)).collect();
    let issues: Vec<Value> = exported_with_fingerprints(result)
        .into_iter()
        .map(|(f, fp)| issue(f, fp, rules.get(f.rule_id.as_str()).copied()))
        .collect();
    // C1 controls and bidi overrides as `\uXXXX`: the same strings, inert in a terminal.
    let mut out =
        crate::textsafe::escape_json_text(serde_json::to_string_pretty(&issues).expect("JSON"));
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
