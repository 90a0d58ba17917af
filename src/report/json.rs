//! `--format json`: a stable, documented schema (see README, "JSON output").

use super::TOOL_NAME;
use crate::findings::ScanResult;
use crate::model::Severity;
use serde_json::{json, Value};

pub const SCHEMA_VERSION: &str = "1";

/// `target {description, commit, commitTime?, shard?}`: `commitTime` only when a revision was
/// scanned, `shard` (`I/N`) only for a `--shard` scan.
fn target(result: &ScanResult) -> Value {
    let mut t = json!({ "description": result.description, "commit": result.commit });
    if let Some(time) = &result.commit_time {
        t["commitTime"] = json!(time);
    }
    if let Some(shard) = &result.shard {
        t["shard"] = json!(shard.to_string());
    }
    t
}

/// `category` is the analysis name (`--category`), kept so that merged reports and the
/// HTML report can tell analyses apart.
pub fn render(result: &ScanResult, category: &str) -> String {
    let mut by_severity = serde_json::Map::new();
    for s in Severity::DESCENDING {
        let n = result
            .findings
            .iter()
            .filter(|f| f.is_active() && f.severity == s)
            .count();
        by_severity.insert(s.as_str().to_string(), json!(n));
    }
    let doc = json!({
        "schemaVersion": SCHEMA_VERSION,
        "tool": { "name": TOOL_NAME, "version": env!("CARGO_PKG_VERSION") },
        "target": target(result),
        "category": category,
        "summary": {
            "files": result.stats.files,
            "documents": result.stats.documents,
            "resources": result.stats.resources,
            "rules": result.stats.rules,
            "evaluations": result.stats.evaluations,
            "findings": result.findings.len(),
            "active": result.findings.iter().filter(|f| f.is_active()).count(),
            "suppressed": result.findings.iter().filter(|f| f.is_suppressed()).count(),
            "bySeverity": Value::Object(by_severity),
            "notifications": result.notifications.len(),
            "incomplete": result.incomplete(),
            "baseline": result.stats.comparison.as_ref().map(|c| json!({
                "against": c.against,
                "changedFiles": c.changed_files,
                "new": c.new,
                "unchanged": c.unchanged,
                "updated": c.updated,
                "absent": c.fixed,
                "notShown": c.not_shown,
            })),
        },
        "rules": result.rules,
        "findings": result.findings.iter().map(|f| {
            let mut v = json!({
            "ruleId": f.rule_id,
            "severity": f.severity,
            "level": f.level,
            "message": f.message,
            "file": f.file,
            "startLine": f.region.start.line,
            "startColumn": f.region.start.column,
            "endLine": f.region.end.line,
            "endColumn": f.region.end.column,
            "resource": f.resource.as_ref().map(|r| json!({
                "apiVersion": r.api_version, "kind": r.kind,
                "namespace": r.namespace, "name": r.name,
            })),
            "document": f.document,
            "fieldPath": crate::model::render_path(&f.field_path),
            "fingerprint": f.fingerprint,
            "suppressions": f.suppressions,
            "baselineState": f.baseline_state,
            });
            if let Some(live) = &f.live {
                v["live"] = json!(live);
            }
            if let Some(subject) = &f.subject {
                v["subject"] = json!(subject);
            }
            if !f.related.is_empty() {
                v["related"] = json!(f.related.iter().map(|r| json!({
                    "file": r.file,
                    "startLine": r.region.start.line,
                    "startColumn": r.region.start.column,
                    "endLine": r.region.end.line,
                    "endColumn": r.region.end.column,
                    "message": r.message,
                })).collect::<Vec<_>>());
            }
            v
        }).collect::<Vec<_>>(),
        "notifications": result.notifications,
    });
    // C1 controls and bidi overrides as `\uXXXX`: the same strings, inert in a terminal.
    let mut out =
        crate::textsafe::escape_json_text(serde_json::to_string_pretty(&doc).expect("JSON"));
    out.push('\n');
    out
}
