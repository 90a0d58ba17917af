//! `--format gitlab-sast`: GitLab's security report format for SAST (schema 15.2.1), which
//! GitLab shows in the merge-request security widget and the vulnerability report.
//!
//! GitLab has no notion of a suppressed finding: everything in `vulnerabilities` is shown as
//! open. So waived findings, and findings a baseline says are gone (`absent`), are left out;
//! findings kept by the gate (`--base`, `--baseline`) are written as the gate keeps them.

use super::{INFORMATION_URI, TOOL_NAME};
use crate::findings::ScanResult;
use crate::model::{BaselineState, Finding, NoteLevel, Notification, RuleMeta, Severity};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

pub const SCHEMA_VERSION: &str = "15.2.1";
pub const SCHEMA_URI: &str = "https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/v15.2.1/dist/sast-report-format.json";
/// The type of the primary identifier: GitLab tracks a vulnerability by it across pipelines.
pub const RULE_IDENTIFIER: &str = "plumbline_rule_id";
pub const FRAMEWORK_IDENTIFIER: &str = "plumbline_framework";

/// Limits of the schema (characters are counted, so truncation is by character).
const NAME_MAX: usize = 255;
const DESCRIPTION_MAX: usize = 1_048_576;
const SOLUTION_MAX: usize = 7000;

/// A finding GitLab can show: not waived, and not fixed according to a baseline.
pub fn exported(f: &Finding) -> bool {
    !f.is_suppressed() && f.baseline_state != Some(BaselineState::Absent)
}

/// The exported findings, each with a fingerprint unique within the report: GitLab needs
/// one per issue. Two findings sharing a fingerprint (rare: same rule, resource and field)
/// keep the first as it is; the n-th repeat gets a hash of the fingerprint and n, so the
/// result is still stable from run to run.
pub fn exported_with_fingerprints(result: &ScanResult) -> Vec<(&Finding, String)> {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    result
        .findings
        .iter()
        .filter(|f| exported(f))
        .map(|f| {
            let n = seen.entry(f.fingerprint.as_str()).or_insert(0);
            let fp = if *n == 0 {
                f.fingerprint.clone()
            } else {
                hex32(&format!("{}\0{n}", f.fingerprint))
            };
            *n += 1;
            (f, fp)
        })
        .collect()
}

/// The first 16 bytes of SHA-256, in hex.
fn hex32(text: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes())[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A UUID (RFC 9562 version 8, "custom") made from a fingerprint: our fingerprints are 32
/// hex digits, used as they are but for the version and variant bits; anything else is
/// hashed first.
pub fn uuid_from_fingerprint(fingerprint: &str) -> String {
    let hex = if fingerprint.len() == 32 && fingerprint.bytes().all(|b| b.is_ascii_hexdigit()) {
        fingerprint.to_ascii_lowercase()
    } else {
        hex32(fingerprint)
    };
    let mut bytes: Vec<u8> = (0..16)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex digits"))
        .collect();
    bytes[6] = (bytes[6] & 0x0f) | 0x80;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let h: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Why the report's time could not be chosen.
#[derive(Debug, thiserror::Error)]
#[error(
    "SOURCE_DATE_EPOCH is {0:?}, not a number of seconds since 1970-01-01T00:00:00Z: set it \
     to an integer such as the commit time (`git log -1 --format=%ct`), or unset it"
)]
pub struct BadSourceDateEpoch(pub String);

/// `scan.start_time` and `scan.end_time`, which the schema requires, as
/// `yyyy-mm-ddThh:mm:ss` (UTC). Reports must be deterministic, so the time is, in order:
/// `SOURCE_DATE_EPOCH` when set, the scanned commit's committer time, the current time.
pub fn scan_time(
    source_date_epoch: Option<&str>,
    commit_time: Option<&str>,
    now_unix: i64,
) -> Result<String, BadSourceDateEpoch> {
    // An empty value is unset (CI systems often export variables empty).
    if let Some(s) = source_date_epoch.filter(|s| !s.trim().is_empty()) {
        let secs: i64 = s
            .trim()
            .parse()
            .map_err(|_| BadSourceDateEpoch(s.to_string()))?;
        return Ok(without_zone(&crate::date::iso8601_utc(secs)));
    }
    Ok(match commit_time {
        Some(t) => without_zone(t),
        None => without_zone(&crate::date::iso8601_utc(now_unix)),
    })
}

/// `2024-05-01T12:00:00Z` → `2024-05-01T12:00:00` (the schema's pattern has no zone: UTC).
fn without_zone(t: &str) -> String {
    t.trim_end_matches('Z').to_string()
}

fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => {
            let cut = text[..i].char_indices().nth_back(0).map_or(0, |(j, _)| j);
            format!("{}…", &text[..cut])
        }
        None => text.to_string(),
    }
}

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "Critical",
        Severity::High => "High",
        Severity::Medium => "Medium",
        Severity::Low => "Low",
        Severity::Info => "Info",
    }
}

/// The schema's URL pattern for identifiers and links.
fn is_web_url(u: &str) -> bool {
    ["https://", "http://", "ftp://"]
        .iter()
        .any(|p| u.len() > p.len() && u.starts_with(p))
}

/// The rule id first (the primary identifier), then the rule's frameworks.
fn identifiers(f: &Finding, rule: Option<&RuleMeta>) -> Vec<Value> {
    let mut primary = json!({ "type": RULE_IDENTIFIER, "name": f.rule_id, "value": f.rule_id });
    if let Some(url) = rule
        .and_then(|r| r.related_resources.first())
        .filter(|u| is_web_url(u))
    {
        primary["url"] = json!(url);
    }
    let mut ids = vec![primary];
    let frameworks: BTreeSet<&str> = rule
        .map(|r| r.frameworks.iter().map(String::as_str).collect())
        .unwrap_or_default();
    ids.extend(
        frameworks
            .into_iter()
            .filter(|fw| !fw.trim().is_empty())
            .map(|fw| json!({ "type": FRAMEWORK_IDENTIFIER, "name": fw, "value": fw })),
    );
    ids
}

fn vulnerability(f: &Finding, fingerprint: &str, rule: Option<&RuleMeta>) -> Value {
    let name = rule.map_or(f.rule_id.as_str(), |r| r.title.as_str());
    let mut v = json!({
        "id": uuid_from_fingerprint(fingerprint),
        "name": truncate(if name.trim().is_empty() { &f.rule_id } else { name }, NAME_MAX),
        "description": truncate(&f.message, DESCRIPTION_MAX),
        "severity": severity(f.severity),
        "identifiers": identifiers(f, rule),
        "location": {
            "file": f.file,
            "start_line": f.region.start.line,
            "end_line": f.region.end.line.max(f.region.start.line),
        },
    });
    // A live object nothing in Git declares has no file: no file or line is given, and
    // the description says where the object lives.
    if f.file.is_empty() {
        v["location"] = json!({});
    }
    if let Some(r) = rule.and_then(|r| r.remediation.as_deref()) {
        v["solution"] = json!(truncate(r, SOLUTION_MAX));
    }
    let links: Vec<Value> = rule
        .map(|r| r.related_resources.as_slice())
        .unwrap_or_default()
        .iter()
        .filter(|u| is_web_url(u))
        .map(|u| json!({ "url": u }))
        .collect();
    if !links.is_empty() {
        v["links"] = Value::Array(links);
    }
    v
}

/// Notifications become scan messages: GitLab's `fatal` means the scan halted, which ours
/// never does for one file or one policy, so errors (which make the scan incomplete, and the
/// status `failure`) and warnings are `warn`.
fn message(n: &Notification) -> Value {
    let level = match n.level {
        NoteLevel::Error | NoteLevel::Warning => "warn",
        NoteLevel::Note => "info",
    };
    // Most messages already name their file; the others get it in front.
    let place = match (&n.file, n.position) {
        (Some(file), _) if n.message.contains(file.as_str()) => String::new(),
        (Some(file), Some(p)) => format!("{file}:{}: ", p.line),
        (Some(file), None) => format!("{file}: "),
        _ => String::new(),
    };
    json!({ "level": level, "value": format!("[{}] {place}{}", n.code, n.message) })
}

fn tool() -> Value {
    json!({
        "id": TOOL_NAME,
        "name": "Plumbline",
        "url": INFORMATION_URI,
        "version": env!("CARGO_PKG_VERSION"),
        "vendor": { "name": "Plumbline" },
    })
}

/// `time` comes from [`scan_time`].
pub fn render(result: &ScanResult, time: &str) -> String {
    let rules: BTreeMap<&str, &RuleMeta> =
        result.rules.iter().map(|r| (r.id.as_str(), r)).collect();
    let vulnerabilities: Vec<Value> = exported_with_fingerprints(result)
        .into_iter()
        .map(|(f, fp)| vulnerability(f, &fp, rules.get(f.rule_id.as_str()).copied()))
        .collect();
    let doc = json!({
        "version": SCHEMA_VERSION,
        "schema": SCHEMA_URI,
        "scan": {
            "analyzer": tool(),
            "scanner": tool(),
            "type": "sast",
            "start_time": time,
            "end_time": time,
            "status": if result.incomplete() { "failure" } else { "success" },
            "messages": result.notifications.iter().map(message).collect::<Vec<_>>(),
        },
        "vulnerabilities": vulnerabilities,
    });
    // C1 controls and bidi overrides as `\uXXXX`: the same strings, inert in a terminal.
    let mut out =
        crate::textsafe::escape_json_text(serde_json::to_string_pretty(&doc).expect("JSON"));
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_come_from_fingerprints() {
        let u = uuid_from_fingerprint("0123456789abcdef0123456789abcdef");
        assert_eq!(u, "01234567-89ab-8def-8123-456789abcdef");
        // Not one of ours: hashed, still well formed and stable.
        let other = uuid_from_fingerprint("sarif/other-tool:xyz");
        assert_eq!(other, uuid_from_fingerprint("sarif/other-tool:xyz"));
        let parts: Vec<usize> = other.split('-').map(str::len).collect();
        assert_eq!(parts, [8, 4, 4, 4, 12]);
        assert_eq!(&other[14..15], "8");
    }

    #[test]
    fn the_scan_time_prefers_source_date_epoch_then_the_commit() {
        let commit = Some("2024-05-01T12:00:00Z");
        assert_eq!(
            scan_time(Some("0"), commit, 5).unwrap(),
            "1970-01-01T00:00:00"
        );
        assert_eq!(scan_time(None, commit, 5).unwrap(), "2024-05-01T12:00:00");
        assert_eq!(
            scan_time(None, None, 1_714_566_896).unwrap(),
            "2024-05-01T12:34:56"
        );
        assert_eq!(
            scan_time(Some(""), commit, 5).unwrap(),
            "2024-05-01T12:00:00"
        );
        assert!(scan_time(Some("yesterday"), commit, 5).is_err());
    }

    #[test]
    fn long_texts_are_cut_by_character() {
        assert_eq!(truncate("abc", 3), "abc");
        assert_eq!(truncate("ééééé", 3), "éé…");
        assert_eq!(truncate("ééééé", 3).chars().count(), 3);
    }
}
