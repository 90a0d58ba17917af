//! `--format json`: a stable, documented schema (see README, "JSON output").

use super::TOOL_NAME;
use crate::model::Severity;
use crate::scan::ScanResult;
use serde_json::{json, Value};

pub const SCHEMA_VERSION: &str = "1";

pub fn render(result: &ScanResult) -> String {
    let mut by_severity = serde_json::Map::new();
    for s in Severity::DESCENDING {
        let n = result.findings.iter().filter(|f| f.severity == s).count();
        by_severity.insert(s.as_str().to_string(), json!(n));
    }
    let doc = json!({
        "schemaVersion": SCHEMA_VERSION,
        "tool": { "name": TOOL_NAME, "version": env!("CARGO_PKG_VERSION") },
        "target": { "description": result.description, "commit": result.commit },
        "summary": {
            "files": result.stats.files,
            "documents": result.stats.documents,
            "resources": result.stats.resources,
            "rules": result.stats.rules,
            "evaluations": result.stats.evaluations,
            "findings": result.findings.len(),
            "bySeverity": Value::Object(by_severity),
            "notifications": result.notifications.len(),
            "incomplete": result.incomplete(),
        },
        "rules": result.rules,
        "findings": result.findings.iter().map(|f| json!({
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
        })).collect::<Vec<_>>(),
        "notifications": result.notifications,
    });
    let mut out = serde_json::to_string_pretty(&doc).expect("JSON");
    out.push('\n');
    out
}
