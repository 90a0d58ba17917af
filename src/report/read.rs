//! Reading reports back: plumbline's JSON (`--format json`) and SARIF 2.1.0 (plumbline's own,
//! and other tools' on a best-effort basis). Baselines, `merge` and the HTML report start here.

use crate::findings::Comparison;
use crate::model::{
    fingerprint, parse_rendered_path, BaselineState, Finding, FindingLevel, NoteLevel,
    Notification, Pos, Region, RelatedLocation, ResourceId, RuleMeta, Severity, Suppression,
    SuppressionKind,
};
use crate::source::shard::Shard;
use serde_json::Value;
use std::path::Path;

/// One analysis read from a report file (a SARIF file may hold several runs).
#[derive(Debug, Clone)]
pub struct LoadedReport {
    /// The file it was read from, as given.
    pub source: String,
    /// `json` or `sarif`.
    pub format: &'static str,
    pub tool: String,
    pub tool_version: String,
    /// The analysis name (`--category`, SARIF `automationDetails.id` without the run part).
    pub category: String,
    pub description: String,
    pub commit: Option<String>,
    /// Committer time of the scanned commit (`target.commitTime`, SARIF
    /// `run.properties.commitTime`), ISO 8601 UTC.
    pub commit_time: Option<String>,
    /// When the analysis ended, as other tools write it (SARIF `invocations[0].endTimeUtc`);
    /// plumbline writes none, to keep its reports byte-identical.
    pub end_time: Option<String>,
    pub rules: Vec<RuleMeta>,
    pub findings: Vec<Finding>,
    pub notifications: Vec<Notification>,
    pub incomplete: bool,
    /// The part of the files scanned (`--shard`: JSON `target.shard`, SARIF
    /// `run.properties.shard`), when the report says.
    pub shard: Option<Shard>,
    /// The scan's counters (JSON `summary`); SARIF carries none.
    pub counts: Option<Counts>,
    /// What a `--base`/`--baseline` scan was compared with, and its counts (JSON
    /// `summary.baseline`); SARIF carries none.
    pub comparison: Option<Comparison>,
}

fn comparison_of(v: Option<&Value>) -> Option<Comparison> {
    let b = v.filter(|b| b.is_object())?;
    let n = |k: &str| b.get(k).and_then(Value::as_u64).unwrap_or(0) as usize;
    Some(Comparison {
        against: s(b, "against").unwrap_or_default(),
        changed_files: b
            .get("changedFiles")
            .and_then(Value::as_u64)
            .map(|n| n as usize),
        new: n("new"),
        unchanged: n("unchanged"),
        updated: n("updated"),
        fixed: n("absent"),
        not_shown: n("notShown"),
    })
}

/// The counters of a scan's JSON summary that findings alone do not give.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub files: usize,
    pub documents: usize,
    pub resources: usize,
    pub rules: usize,
    pub evaluations: usize,
}

fn counts_of(summary: Option<&Value>) -> Option<Counts> {
    let summary = summary?;
    let n = |k: &str| summary.get(k).and_then(Value::as_u64).map(|n| n as usize);
    Some(Counts {
        files: n("files")?,
        documents: n("documents")?,
        resources: n("resources")?,
        rules: n("rules")?,
        evaluations: n("evaluations")?,
    })
}

/// A shard named in a report; one that does not parse is treated as none.
fn shard_of(v: Option<&Value>) -> Option<Shard> {
    v.and_then(Value::as_str).and_then(|s| s.parse().ok())
}

/// Reads a report file, recognising its format by content.
pub fn read(path: &Path) -> Result<Vec<LoadedReport>, String> {
    let bytes = crate::bounded::read(path, crate::bounded::DATA_BYTES)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    parse(&bytes, &path.display().to_string())
}

/// Parses report bytes; `source` names them in errors.
pub fn parse(bytes: &[u8], source: &str) -> Result<Vec<LoadedReport>, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let doc: Value = serde_json::from_slice(bytes).map_err(|e| {
        format!(
            "{source}:{}:{}: not a JSON or SARIF report: {e}. Give a file written by \
             `plumbline scan --format json` or `--format sarif`",
            e.line(),
            e.column()
        )
    })?;
    if doc.get("runs").is_some() {
        read_sarif(&doc, source)
    } else if doc.get("schemaVersion").is_some() && doc.get("findings").is_some() {
        read_json(&doc, source).map(|r| vec![r])
    } else {
        Err(format!(
            "{source}: neither a SARIF log (no `runs`) nor a plumbline JSON report (no \
             `schemaVersion` and `findings`)"
        ))
    }
}

fn s(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

fn u32_of(v: &Value, key: &str) -> Option<u32> {
    v.get(key)
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
}

fn severity_of(v: Option<&Value>) -> Option<Severity> {
    v.and_then(Value::as_str).and_then(Severity::parse)
}

fn resource_from_json(v: &Value) -> Option<ResourceId> {
    if v.is_null() {
        return None;
    }
    Some(ResourceId {
        api_version: s(v, "apiVersion").unwrap_or_default(),
        kind: s(v, "kind").unwrap_or_default(),
        namespace: s(v, "namespace"),
        name: s(v, "name").unwrap_or_default(),
    })
}

/// `apiVersion/kind/namespace/name`, where apiVersion may itself hold a `/` (`apps/v1`).
fn resource_from_qualified(fqn: &str) -> Option<ResourceId> {
    let mut parts = fqn.rsplitn(4, '/');
    let name = parts.next()?;
    let ns = parts.next()?;
    let kind = parts.next()?;
    let api_version = parts.next()?;
    Some(ResourceId {
        api_version: api_version.to_string(),
        kind: kind.to_string(),
        namespace: (!ns.is_empty()).then(|| ns.to_string()),
        name: name.to_string(),
    })
}

fn suppressions_of(v: Option<&Value>) -> Vec<Suppression> {
    let Some(list) = v.and_then(Value::as_array) else {
        return Vec::new();
    };
    list.iter()
        .filter(|x| {
            // SARIF: only accepted suppressions suppress.
            x.get("status")
                .and_then(Value::as_str)
                .is_none_or(|st| st == "accepted")
        })
        .map(|x| {
            let props = x.get("properties").cloned().unwrap_or(Value::Null);
            Suppression {
                kind: match x.get("kind").and_then(Value::as_str) {
                    Some("inSource") => SuppressionKind::InSource,
                    _ => SuppressionKind::External,
                },
                justification: s(x, "justification").unwrap_or_default(),
                owner: s(x, "owner").or_else(|| s(&props, "owner")),
                expires: s(x, "expires").or_else(|| s(&props, "expires")),
                location: s(x, "location")
                    .filter(|_| x.get("location").is_some_and(Value::is_string))
                    .or_else(|| s(&props, "waiver")),
            }
        })
        .collect()
}

fn baseline_of(v: Option<&Value>) -> Option<BaselineState> {
    match v.and_then(Value::as_str)? {
        "new" => Some(BaselineState::New),
        "unchanged" => Some(BaselineState::Unchanged),
        "updated" => Some(BaselineState::Updated),
        "absent" => Some(BaselineState::Absent),
        _ => None,
    }
}

fn notifications_from_json(v: Option<&Value>) -> Vec<Notification> {
    v.and_then(|n| serde_json::from_value::<Vec<Notification>>(n.clone()).ok())
        .unwrap_or_default()
}

fn read_json(doc: &Value, source: &str) -> Result<LoadedReport, String> {
    let version = s(doc, "schemaVersion").unwrap_or_default();
    if version != super::json::SCHEMA_VERSION {
        return Err(format!(
            "{source}: JSON report schema version {version:?} is not supported (this \
             plumbline reads version {})",
            super::json::SCHEMA_VERSION
        ));
    }
    let rules: Vec<RuleMeta> = doc
        .get("rules")
        .and_then(|r| serde_json::from_value(r.clone()).ok())
        .unwrap_or_default();
    let empty = Vec::new();
    let mut findings = Vec::new();
    for (i, f) in doc
        .get("findings")
        .and_then(Value::as_array)
        .unwrap_or(&empty)
        .iter()
        .enumerate()
    {
        let rule_id = s(f, "ruleId")
            .ok_or_else(|| format!("{source}: finding {i} has no ruleId: is the file complete?"))?;
        let file = s(f, "file").unwrap_or_default();
        let message = s(f, "message").unwrap_or_default();
        let resource = f.get("resource").and_then(resource_from_json);
        let subject: Option<crate::model::Subject> = f
            .get("subject")
            .and_then(|v| serde_json::from_value(v.clone()).ok());
        let document = f.get("document").and_then(Value::as_u64).unwrap_or(0) as usize;
        let field_path = parse_rendered_path(&s(f, "fieldPath").unwrap_or_default());
        let start = Pos::new(
            u32_of(f, "startLine").unwrap_or(1),
            u32_of(f, "startColumn").unwrap_or(1),
        );
        let end = Pos::new(
            u32_of(f, "endLine").unwrap_or(start.line),
            u32_of(f, "endColumn").unwrap_or(start.column + 1),
        );
        let fp = s(f, "fingerprint").unwrap_or_else(|| {
            fingerprint(
                &rule_id,
                &file,
                resource.as_ref(),
                subject.as_ref(),
                document,
                &field_path,
                &message,
            )
        });
        findings.push(Finding {
            severity: severity_of(f.get("severity")).unwrap_or_default(),
            level: match f.get("level").and_then(Value::as_str) {
                Some("warning") => FindingLevel::Warning,
                _ => FindingLevel::Error,
            },
            rule_id,
            message,
            file,
            region: Region { start, end },
            resource,
            subject,
            document,
            field_path,
            fingerprint: fp,
            suppressions: suppressions_of(f.get("suppressions")),
            related: Vec::new(),
            live: s(f, "live"),
            baseline_state: baseline_of(f.get("baselineState")),
        });
    }
    let notifications = notifications_from_json(doc.get("notifications"));
    let target = doc.get("target").cloned().unwrap_or(Value::Null);
    let tool = doc.get("tool").cloned().unwrap_or(Value::Null);
    Ok(LoadedReport {
        source: source.to_string(),
        format: "json",
        tool: s(&tool, "name").unwrap_or_else(|| "plumbline".into()),
        tool_version: s(&tool, "version").unwrap_or_default(),
        category: s(doc, "category").unwrap_or_else(|| "plumbline".into()),
        description: s(&target, "description").unwrap_or_default(),
        commit: s(&target, "commit"),
        commit_time: s(&target, "commitTime"),
        end_time: None,
        incomplete: doc
            .pointer("/summary/incomplete")
            .and_then(Value::as_bool)
            .unwrap_or_else(|| notifications.iter().any(|n| n.level == NoteLevel::Error)),
        rules,
        findings,
        notifications,
        shard: shard_of(target.get("shard")),
        counts: counts_of(doc.get("summary")),
        comparison: comparison_of(doc.pointer("/summary/baseline")),
    })
}

/// Reverses the percent-encoding of a SARIF artifact URI.
fn decode_uri(uri: &str) -> String {
    let bytes = uri.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn rule_from_sarif(d: &Value) -> Option<RuleMeta> {
    let id = s(d, "id")?;
    let props = d.get("properties").cloned().unwrap_or(Value::Null);
    let severity = severity_of(props.get("severity"))
        .or_else(|| {
            props
                .get("security-severity")
                .and_then(Value::as_str)
                .and_then(|x| x.parse::<f64>().ok())
                .map(|score| match score {
                    x if x >= 9.0 => Severity::Critical,
                    x if x >= 7.0 => Severity::High,
                    x if x >= 4.0 => Severity::Medium,
                    x if x > 0.0 => Severity::Low,
                    _ => Severity::Info,
                })
        })
        .unwrap_or_else(|| level_severity(d.pointer("/defaultConfiguration/level")));
    let help = d
        .pointer("/help/text")
        .and_then(Value::as_str)
        .unwrap_or("");
    let remediation = help
        .split_once("Remediation: ")
        .map(|(_, r)| r.trim().to_string());
    let frameworks = props
        .get("tags")
        .and_then(Value::as_array)
        .map(|t| {
            t.iter()
                .filter_map(Value::as_str)
                .filter(|t| *t != "security")
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    Some(RuleMeta {
        title: d
            .pointer("/shortDescription/text")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| s(d, "name"))
            .unwrap_or_else(|| id.clone()),
        description: d
            .pointer("/fullDescription/text")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        severity,
        remediation,
        frameworks,
        related_resources: s(d, "helpUri").into_iter().collect(),
        package: s(&props, "package").unwrap_or_default(),
        source: "sarif".to_string(),
        id,
    })
}

fn level_severity(level: Option<&Value>) -> Severity {
    match level.and_then(Value::as_str) {
        Some("error") => Severity::High,
        Some("warning") => Severity::Medium,
        Some("note") => Severity::Low,
        _ => Severity::Medium,
    }
}

fn read_sarif(doc: &Value, source: &str) -> Result<Vec<LoadedReport>, String> {
    let runs = doc
        .get("runs")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("{source}: `runs` is not an array"))?;
    let mut out = Vec::new();
    for run in runs {
        let driver = run.pointer("/tool/driver").cloned().unwrap_or(Value::Null);
        let rules_raw = driver
            .get("rules")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let rules: Vec<RuleMeta> = rules_raw.iter().filter_map(rule_from_sarif).collect();
        let mut findings = Vec::new();
        for r in run
            .get("results")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
        {
            findings.push(finding_from_sarif(&r, &rules_raw, &rules));
        }
        let invocation = run
            .pointer("/invocations/0")
            .cloned()
            .unwrap_or(Value::Null);
        let notifications: Vec<Notification> = invocation
            .get("toolExecutionNotifications")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(notification_from_sarif)
            .collect();
        let category = run
            .pointer("/automationDetails/id")
            .and_then(Value::as_str)
            .map(|id| match id.rsplit_once('/') {
                Some((cat, _)) => cat.to_string(),
                None => id.to_string(),
            })
            .unwrap_or_else(|| "plumbline".into());
        let incomplete = invocation
            .get("executionSuccessful")
            .and_then(Value::as_bool)
            .map(|ok| !ok)
            .unwrap_or_else(|| notifications.iter().any(|n| n.level == NoteLevel::Error));
        out.push(LoadedReport {
            source: source.to_string(),
            format: "sarif",
            tool: s(&driver, "name").unwrap_or_default(),
            tool_version: s(&driver, "version")
                .or_else(|| s(&driver, "semanticVersion"))
                .unwrap_or_default(),
            category,
            description: String::new(),
            commit: run
                .pointer("/properties/revision")
                .and_then(Value::as_str)
                .map(str::to_string),
            commit_time: run
                .pointer("/properties/commitTime")
                .and_then(Value::as_str)
                .map(str::to_string),
            end_time: s(&invocation, "endTimeUtc"),
            rules,
            findings,
            notifications,
            incomplete,
            shard: shard_of(run.pointer("/properties/shard")),
            counts: None,
            comparison: None,
        });
    }
    Ok(out)
}

/// One SARIF result as a finding; `rules_raw` are the driver's rule descriptors (for a
/// result that names its rule by index) and `rules` their catalog entries (for severities).
fn finding_from_sarif(r: &Value, rules_raw: &[Value], rules: &[RuleMeta]) -> Finding {
    let rule_id = s(r, "ruleId")
        .or_else(|| {
            r.get("ruleIndex")
                .and_then(Value::as_u64)
                .and_then(|i| rules_raw.get(i as usize))
                .and_then(|d| s(d, "id"))
        })
        .unwrap_or_else(|| "unknown".into());
    let props = r.get("properties").cloned().unwrap_or(Value::Null);
    let loc = r.pointer("/locations/0").cloned().unwrap_or(Value::Null);
    // An artifact under `%LIVE%` is a live object, not a file.
    let in_git = loc
        .pointer("/physicalLocation/artifactLocation/uriBaseId")
        .and_then(Value::as_str)
        != Some(super::sarif::LIVE_BASE);
    let file = loc
        .pointer("/physicalLocation/artifactLocation/uri")
        .and_then(Value::as_str)
        .filter(|_| in_git)
        .map(decode_uri)
        .unwrap_or_default();
    let Region { start, end } = region_from_sarif(&loc);
    let live = s(&props, "liveLocation");
    // A live object with no file: its logical location is where it lives, and its
    // identity is in the properties.
    let resource = if file.is_empty() && live.is_some() {
        props
            .get("resource")
            .and_then(Value::as_str)
            .and_then(resource_from_qualified)
    } else {
        loc.pointer("/logicalLocations/0/fullyQualifiedName")
            .and_then(Value::as_str)
            .and_then(resource_from_qualified)
    };
    let message = r
        .pointer("/message/text")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let document = props.get("document").and_then(Value::as_u64).unwrap_or(0) as usize;
    let field_path = parse_rendered_path(&s(&props, "fieldPath").unwrap_or_default());
    let rule_severity = rules.iter().find(|x| x.id == rule_id).map(|x| x.severity);
    let severity = severity_of(props.get("severity"))
        .or(rule_severity)
        .unwrap_or_else(|| level_severity(r.get("level")));
    let fp = r
        .pointer(&format!(
            "/partialFingerprints/{}",
            super::sarif::FINGERPRINT_KEY
                .replace('~', "~0")
                .replace('/', "~1")
        ))
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| {
            fingerprint(
                &rule_id,
                &file,
                resource.as_ref(),
                None,
                document,
                &field_path,
                &message,
            )
        });
    Finding {
        rule_id,
        severity,
        level: match r.get("level").and_then(Value::as_str) {
            Some("warning") | Some("note") if severity >= Severity::High => FindingLevel::Warning,
            _ => FindingLevel::Error,
        },
        message,
        file,
        region: Region { start, end },
        resource,
        subject: None,
        document,
        field_path,
        fingerprint: fp,
        suppressions: suppressions_of(r.get("suppressions")),
        related: related_from_sarif(r.get("relatedLocations")),
        live,
        baseline_state: baseline_of(r.get("baselineState")),
    }
}

/// The region of a SARIF location (line 1 when it has none).
fn region_from_sarif(loc: &Value) -> Region {
    let region = loc
        .pointer("/physicalLocation/region")
        .cloned()
        .unwrap_or(Value::Null);
    let start = Pos::new(
        u32_of(&region, "startLine").unwrap_or(1),
        u32_of(&region, "startColumn").unwrap_or(1),
    );
    let end = Pos::new(
        u32_of(&region, "endLine").unwrap_or(start.line),
        u32_of(&region, "endColumn").unwrap_or(start.column + 1),
    );
    Region { start, end }
}

/// A result's `relatedLocations` in the repository.
fn related_from_sarif(v: Option<&Value>) -> Vec<RelatedLocation> {
    let Some(Value::Array(items)) = v else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|loc| {
            let file = loc
                .pointer("/physicalLocation/artifactLocation/uri")
                .and_then(Value::as_str)
                .map(decode_uri)?;
            let message = loc
                .pointer("/message/text")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            Some(RelatedLocation {
                file,
                region: region_from_sarif(loc),
                message,
            })
        })
        .collect()
}

/// One tool execution notification of a SARIF run.
fn notification_from_sarif(n: &Value) -> Notification {
    let level = match n.get("level").and_then(Value::as_str) {
        Some("error") => NoteLevel::Error,
        Some("note") | Some("none") => NoteLevel::Note,
        _ => NoteLevel::Warning,
    };
    let mut note = Notification::new(
        level,
        n.pointer("/descriptor/id")
            .and_then(Value::as_str)
            .unwrap_or("notification"),
        n.pointer("/message/text")
            .and_then(Value::as_str)
            .unwrap_or(""),
    );
    if let Some(uri) = n
        .pointer("/locations/0/physicalLocation/artifactLocation/uri")
        .and_then(Value::as_str)
    {
        let pos = n
            .pointer("/locations/0/physicalLocation/region")
            .and_then(|r| {
                Some(Pos::new(
                    u32_of(r, "startLine")?,
                    u32_of(r, "startColumn").unwrap_or(1),
                ))
            });
        note = note.at(decode_uri(uri), pos);
    }
    note
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualified_names_split_from_the_right() {
        let r = resource_from_qualified("apps/v1/Deployment/shop/web").unwrap();
        assert_eq!(r.api_version, "apps/v1");
        assert_eq!(r.kind, "Deployment");
        assert_eq!(r.namespace.as_deref(), Some("shop"));
        assert_eq!(r.name, "web");
        let r = resource_from_qualified("v1/Namespace//shop").unwrap();
        assert_eq!(r.namespace, None);
    }

    #[test]
    fn uris_decode() {
        assert_eq!(decode_uri("a%20b/c.yaml"), "a b/c.yaml");
        assert_eq!(decode_uri("100%"), "100%");
    }

    #[test]
    fn rejects_other_json() {
        let e = parse(b"{\"a\": 1}", "x.json").unwrap_err();
        assert!(e.contains("neither a SARIF log"), "{e}");
        let e = parse(b"{\n  oops", "x.json").unwrap_err();
        assert!(e.starts_with("x.json:2:"), "{e}");
    }
}
