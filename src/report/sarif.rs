//! SARIF 2.1.0: the reference output, shaped for GitHub code scanning and validated with
//! Microsoft's SARIF multitool (rule kinds Sarif and Ghas) in CI.

use super::{INFORMATION_URI, TOOL_NAME};
use crate::findings::ScanResult;
use crate::model::{
    render_path, FindingLevel, NoteLevel, RuleMeta, Severity, Suppression, SuppressionKind,
};
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
pub const FINGERPRINT_KEY: &str = "plumbline/v1";

/// SARIF level of a result: severity decides, `warn` rules never exceed `warning`.
fn level(severity: Severity, kind: FindingLevel) -> &'static str {
    let by_severity = match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    };
    match (kind, by_severity) {
        (FindingLevel::Warning, "error") => "warning",
        (_, l) => l,
    }
}

/// `PL-K8S-0003` + "Privileged containers" → `PrivilegedContainers`.
fn rule_name(rule: &RuleMeta) -> String {
    let name: String = rule
        .title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect();
    if name.is_empty() {
        rule.id.clone()
    } else {
        name
    }
}

/// The rule's help in Markdown; the code quality report's `content` too.
pub(crate) fn help_markdown(rule: &RuleMeta) -> String {
    let mut md = format!(
        "**{}** ({})\n\n{}\n",
        rule.title, rule.severity, rule.description
    );
    if let Some(r) = &rule.remediation {
        md.push_str(&format!("\n**Remediation:** {r}\n"));
    }
    if !rule.frameworks.is_empty() {
        md.push_str(&format!(
            "\n**Frameworks:** {}\n",
            rule.frameworks.join(", ")
        ));
    }
    for link in &rule.related_resources {
        md.push_str(&format!("\n- <{link}>"));
    }
    md
}

fn help_text(rule: &RuleMeta) -> String {
    let mut t = rule.description.clone();
    if let Some(r) = &rule.remediation {
        t.push_str(&format!("\nRemediation: {r}"));
    }
    t
}

fn descriptor(rule: &RuleMeta) -> Value {
    let mut tags = vec!["security".to_string()];
    tags.extend(rule.frameworks.iter().cloned());
    json!({
        "id": rule.id,
        "name": rule_name(rule),
        "shortDescription": { "text": rule.title },
        "fullDescription": { "text": rule.description },
        "help": { "text": help_text(rule), "markdown": help_markdown(rule) },
        "helpUri": rule.related_resources.first().cloned()
            .unwrap_or_else(|| format!("{INFORMATION_URI}#rules")),
        "defaultConfiguration": { "level": level(rule.severity, FindingLevel::Error) },
        "properties": {
            "tags": tags,
            "security-severity": rule.severity.security_score(),
            "precision": "high",
            "problem.severity": match rule.severity {
                Severity::Critical | Severity::High => "error",
                Severity::Medium => "warning",
                _ => "recommendation",
            },
            "severity": rule.severity,
            "package": rule.package,
        }
    })
}

fn physical(uri: &str, region: Option<&crate::model::Region>) -> Value {
    let mut p = json!({
        "artifactLocation": { "uri": encode_uri(uri), "uriBaseId": "%SRCROOT%" }
    });
    if let Some(r) = region {
        p["region"] = json!({
            "startLine": r.start.line,
            "startColumn": r.start.column,
            "endLine": r.end.line,
            "endColumn": r.end.column,
        });
    }
    p
}

/// SARIF `suppression`: accepted waivers, with their justification; owner, expiry and the
/// waiver's own place in properties.
fn suppression(s: &Suppression) -> Value {
    let mut v = json!({
        "kind": match s.kind {
            SuppressionKind::InSource => "inSource",
            SuppressionKind::External => "external",
        },
        "status": "accepted",
        "justification": s.justification,
    });
    let mut props = serde_json::Map::new();
    if let Some(o) = &s.owner {
        props.insert("owner".into(), json!(o));
    }
    if let Some(e) = &s.expires {
        props.insert("expires".into(), json!(e));
    }
    if let Some(l) = &s.location {
        props.insert("waiver".into(), json!(l));
    }
    if !props.is_empty() {
        v["properties"] = Value::Object(props);
    }
    v
}

/// Percent-encodes what a relative URI reference cannot hold literally. `:` is encoded too:
/// in a first segment (`https:…`, `C:…`) it would make the reference an absolute URI.
fn encode_uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        let c = b as char;
        if c.is_ascii_alphanumeric() || "-._~/!$&'()*+,;=@".contains(c) {
            out.push(c);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The URI base of live objects that no file declares (`PL-DRIFT-0003`).
pub const LIVE_BASE: &str = "%LIVE%";

/// `cluster/namespace/kind/name` as a relative URI: empty parts dropped, and everything but
/// unreserved characters percent-encoded (a cluster named like an ARN holds `:`, which would
/// make the URI absolute).
pub fn live_uri(live: &str) -> String {
    live.split('/')
        .filter(|p| !p.is_empty())
        .map(|part| {
            let mut out = String::with_capacity(part.len());
            for b in part.bytes() {
                let c = b as char;
                if c.is_ascii_alphanumeric() || "-._~".contains(c) {
                    out.push(c);
                } else {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            out
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// A SARIF log with one run: the scan's.
pub fn render(result: &ScanResult, category: &str) -> String {
    render_runs(&[(result, category)])
}

/// A SARIF log with one run per analysis (`plumbline merge` of several categories: GitHub
/// code scanning wants one run per category).
pub fn render_runs(analyses: &[(&ScanResult, &str)]) -> String {
    let log = json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": analyses.iter().map(|(r, c)| run(r, c)).collect::<Vec<_>>(),
    });
    // C1 controls and bidi overrides as `\uXXXX`: the same strings, inert in a terminal.
    let mut out =
        crate::textsafe::escape_json_text(serde_json::to_string_pretty(&log).expect("SARIF"));
    out.push('\n');
    out
}

/// `%SRCROOT%`, and `%LIVE%` when some finding is about a live object with no file.
fn base_ids(result: &ScanResult) -> Value {
    let mut ids = json!({
        "%SRCROOT%": { "description": { "text": "The root of the scanned repository or directory." } }
    });
    if result
        .findings
        .iter()
        .any(|f| f.file.is_empty() && f.live.is_some())
    {
        ids[LIVE_BASE] = json!({ "description": { "text":
            "Live objects that nothing in Git declares, as cluster/namespace/kind/name: not \
             files of the repository." } });
    }
    ids
}

/// One SARIF run: rules, results, notifications and the scanned revision.
/// `apiVersion/kind/namespace/name` of a resource.
fn qualified(r: &crate::model::ResourceId) -> String {
    let ns = r.namespace.as_deref().unwrap_or("");
    format!("{}/{}/{}/{}", r.api_version, r.kind, ns, r.name)
}

/// One finding as a SARIF result; `index` gives each rule's position in the driver's list.
fn result_of(f: &crate::model::Finding, index: &BTreeMap<&str, usize>) -> Value {
    let location = location_of(f);
    let mut res = json!({
        "ruleId": f.rule_id,
        "level": level(f.severity, f.level),
        "message": { "text": f.message },
        "locations": [location],
        "partialFingerprints": { FINGERPRINT_KEY: f.fingerprint },
        "properties": {
            "severity": f.severity,
            "fieldPath": render_path(&f.field_path),
            "document": f.document,
        },
    });
    if let Some(i) = index.get(f.rule_id.as_str()) {
        res["ruleIndex"] = json!(i);
    }
    if !f.suppressions.is_empty() {
        res["suppressions"] = Value::Array(f.suppressions.iter().map(suppression).collect());
    }
    if !f.related.is_empty() {
        res["relatedLocations"] = Value::Array(
            f.related
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    json!({
                        "id": i + 1,
                        "physicalLocation": physical(&r.file, Some(&r.region)),
                        "message": { "text": r.message },
                    })
                })
                .collect(),
        );
    }
    if let Some(state) = f.baseline_state {
        res["baselineState"] = json!(state.as_str());
    }
    if let Some(s) = f.subject.as_ref().filter(|s| !s.via.is_empty()) {
        // The module calls from the root to the declaring module, outermost first.
        res["properties"]["moduleCalls"] = json!(s.via);
    }
    if let Some(live) = &f.live {
        res["properties"]["liveLocation"] = json!(live);
        if let Some(r) = f.resource.as_ref().filter(|_| f.file.is_empty()) {
            res["properties"]["resource"] = json!(qualified(r));
        }
    }
    res
}

/// Where a finding is: its file and region, with the resource (and, for drift, where it
/// lives) as logical locations; a live object nothing declares is located at the object.
fn location_of(f: &crate::model::Finding) -> Value {
    match (f.file.is_empty(), &f.live) {
        // A live object nothing in Git declares: no file, only where it lives. GitHub
        // code scanning shows no result without an artifact URI and a region (the
        // multitool's GH1001, GH1003), so the artifact is the object itself, under the `%LIVE%` base:
        // never a path in the repository, never an empty one.
        (true, Some(live)) => json!({
            "physicalLocation": {
                "artifactLocation": { "uri": live_uri(live), "uriBaseId": LIVE_BASE },
                // GitHub needs a region (GH1003): the object's first line.
                "region": { "startLine": 1 },
            },
            "logicalLocations": [{
                "name": f.resource.as_ref().map_or(live.as_str(), |r| r.name.as_str()),
                "fullyQualifiedName": live,
                "kind": "resource",
            }],
        }),
        _ => {
            let mut location = json!({ "physicalLocation": physical(&f.file, Some(&f.region)) });
            if let Some(r) = &f.resource {
                location["logicalLocations"] = json!([{
                    "name": r.name,
                    "fullyQualifiedName": qualified(r),
                    "kind": "resource",
                }]);
            } else if let Some(s) = &f.subject {
                location["logicalLocations"] = json!([{
                    "name": s.address,
                    "fullyQualifiedName": format!("{}:{}", s.source, s.address),
                    "kind": "resource",
                }]);
            }
            if let Some(live) = &f.live {
                // Drift: where the resource lives (cluster path or ARN) beside where
                // it is declared.
                let entry = json!({
                    "name": live.rsplit(['/', ':']).next().unwrap_or(live),
                    "fullyQualifiedName": live,
                    "kind": "resource",
                });
                match location["logicalLocations"].as_array_mut() {
                    Some(list) => list.push(entry),
                    None => location["logicalLocations"] = json!([entry]),
                }
            }
            location
        }
    }
}

/// A notification as a SARIF tool execution notification.
fn notification_of(n: &crate::model::Notification) -> Value {
    let mut v = json!({
        "level": match n.level {
            NoteLevel::Error => "error",
            NoteLevel::Warning => "warning",
            NoteLevel::Note => "note",
        },
        "message": { "text": n.message },
        "descriptor": { "id": n.code },
    });
    if let Some(file) = &n.file {
        let region = n.position.map(|p| crate::model::Region {
            start: p,
            end: crate::model::Pos::new(p.line, p.column + 1),
        });
        v["locations"] = json!([{ "physicalLocation": physical(file, region.as_ref()) }]);
    }
    v
}

fn run(result: &ScanResult, category: &str) -> Value {
    let index: BTreeMap<&str, usize> = result
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let results: Vec<Value> = result
        .findings
        .iter()
        .map(|f| result_of(f, &index))
        .collect();
    let notifications: Vec<Value> = result.notifications.iter().map(notification_of).collect();
    let mut run = json!({
        "tool": { "driver": {
            "name": TOOL_NAME,
            "version": env!("CARGO_PKG_VERSION"),
            "semanticVersion": env!("CARGO_PKG_VERSION"),
            "informationUri": INFORMATION_URI,
            "rules": result.rules.iter().map(descriptor).collect::<Vec<_>>(),
        }},
        "automationDetails": { "id": format!("{}/", category.trim_end_matches('/')) },
        "originalUriBaseIds": base_ids(result),
        "columnKind": "unicodeCodePoints",
        "invocations": [{
            "executionSuccessful": !result.incomplete(),
            "toolExecutionNotifications": notifications,
        }],
        "results": results,
    });
    let mut properties = serde_json::Map::new();
    if let Some(commit) = &result.commit {
        // versionControlProvenance needs the repository URI, which is not known offline.
        properties.insert("revision".into(), json!(commit));
        if let Some(time) = &result.commit_time {
            properties.insert("commitTime".into(), json!(time));
        }
    }
    if let Some(shard) = &result.shard {
        properties.insert("shard".into(), json!(shard.to_string()));
    }
    if !properties.is_empty() {
        run["properties"] = Value::Object(properties);
    }
    run
}
