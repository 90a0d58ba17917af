//! `# METADATA` annotations (OPA's format: YAML in comments before the `package` line) and
//! the discovery of the rules a policy file declares. regorus does not parse annotations, so
//! we do; the YAML goes through the same parser as the manifests.

use crate::load::{parse_documents, LoadOptions};
use crate::model::Severity;
use serde_json::Value as J;

/// Package-level annotations of one policy file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Annotations {
    pub title: Option<String>,
    pub description: Option<String>,
    pub id: Option<String>,
    pub severity: Option<Severity>,
    pub remediation: Option<String>,
    pub frameworks: Vec<String>,
    pub related_resources: Vec<String>,
    /// `custom.kinds`: the document kinds the rules apply to (empty: every document).
    pub kinds: Vec<String>,
    /// `custom.related_kinds`: the rules compare a Kubernetes object with the other objects
    /// of these kinds in its namespace (`input.related`), once the whole scan is loaded.
    pub related_kinds: Vec<String>,
    /// `custom.related_by`: which of those objects each checked object sees.
    pub related_by: Option<RelatedBy>,
}

/// `custom.related_by` of a namespace rule: the relation that narrows `input.related` from
/// every object of the related kinds in the namespace to those that bear on the checked one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RelatedBy {
    /// `pod-selector`: between a NetworkPolicy and a pod-making object, only the pairs where
    /// the policy's `podSelector` selects the object's pod labels (other pairs are kept).
    PodSelector,
}

/// What one policy file says about itself, read from its text.
#[derive(Debug, Clone, Default)]
pub struct FileInfo {
    pub package: Option<String>,
    pub package_line: u32,
    pub annotations: Option<Annotations>,
    /// Top-level rule names in declaration order, without duplicates.
    pub rules: Vec<String>,
}

/// A problem in a `# METADATA` block: the line and what is wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct MetadataError {
    pub line: u32,
    pub message: String,
}

/// Reads the package name, package annotations and rule names of a Rego file.
pub fn scan_file(text: &str) -> Result<FileInfo, MetadataError> {
    let mut info = FileInfo::default();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    let mut pending: Option<(u32, String)> = None;
    while i < lines.len() {
        let line = lines[i];
        let trimmed = line.trim_start();
        if trimmed.starts_with("# METADATA") && trimmed["# METADATA".len()..].trim().is_empty() {
            let start = i as u32 + 1;
            let mut yaml = String::new();
            i += 1;
            while i < lines.len() && lines[i].trim_start().starts_with('#') {
                let body = lines[i].trim_start().trim_start_matches('#');
                yaml.push_str(body.strip_prefix(' ').unwrap_or(body));
                yaml.push('\n');
                i += 1;
            }
            pending = Some((start, yaml));
            continue;
        }
        if let Some(rest) = line.strip_prefix("package ") {
            info.package = Some(rest.trim().to_string());
            info.package_line = i as u32 + 1;
            if let Some((start, yaml)) = pending.take() {
                info.annotations = Some(parse_annotations(&yaml, start)?);
            }
        } else if !trimmed.is_empty() && !trimmed.starts_with('#') {
            pending = None;
            if let Some(name) = rule_name(line) {
                if !info.rules.iter().any(|r| r == name) {
                    info.rules.push(name.to_string());
                }
            }
        }
        i += 1;
    }
    Ok(info)
}

/// The rule a top-level line declares (`deny contains …`, `default allow := …`, `f(x) := …`).
fn rule_name(line: &str) -> Option<&str> {
    if line.starts_with(char::is_whitespace) {
        return None;
    }
    let line = line.strip_prefix("default ").unwrap_or(line);
    let end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(line.len());
    let name = &line[..end];
    let first = name.chars().next()?;
    if !(first.is_ascii_alphabetic() || first == '_') {
        return None;
    }
    if matches!(
        name,
        "package" | "import" | "not" | "some" | "every" | "if" | "else"
    ) {
        return None;
    }
    Some(name)
}

fn parse_annotations(yaml: &str, start_line: u32) -> Result<Annotations, MetadataError> {
    let err = |line: u32, message: String| MetadataError {
        line: start_line + line,
        message,
    };
    let docs = parse_documents(yaml, &LoadOptions::default()).map_err(|e| {
        err(
            e.pos.map_or(0, |p| p.line),
            format!("invalid METADATA YAML: {}", e.message),
        )
    })?;
    let Some(root) = docs.first() else {
        return Ok(Annotations::default());
    };
    let json = root.to_json();
    let J::Object(map) = &json else {
        return Err(err(1, "METADATA must be a YAML mapping".into()));
    };
    let text = |v: Option<&J>| v.and_then(J::as_str).map(|s| s.trim().to_string());
    let custom = map.get("custom").and_then(J::as_object);
    let c = |k: &str| custom.and_then(|c| c.get(k));
    let severity = match c("severity") {
        None => None,
        Some(v) => {
            let s = v.as_str().unwrap_or_default();
            Some(Severity::parse(s).ok_or_else(|| {
                err(
                    1,
                    format!("custom.severity {v} is not one of CRITICAL, HIGH, MEDIUM, LOW, INFO"),
                )
            })?)
        }
    };
    let id = match c("id") {
        None => None,
        Some(J::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(v) => {
            return Err(err(
                1,
                format!("custom.id must be a non-empty string, got {v}"),
            ))
        }
    };
    let related_by = match c("related_by") {
        None => None,
        Some(J::String(s)) if s == "pod-selector" => Some(RelatedBy::PodSelector),
        Some(v) => {
            return Err(err(
                1,
                format!("custom.related_by {v} is not a known relation (pod-selector)"),
            ))
        }
    };
    let related_kinds = string_list(c("related_kinds"));
    if related_by.is_some() && related_kinds.is_empty() {
        return Err(err(
            1,
            "custom.related_by narrows custom.related_kinds: name the related kinds too".into(),
        ));
    }
    Ok(Annotations {
        title: text(map.get("title")),
        description: text(map.get("description")),
        id,
        severity,
        remediation: text(c("remediation")),
        frameworks: string_list(c("frameworks")),
        related_resources: related(map.get("related_resources")),
        kinds: string_list(c("kinds")),
        related_kinds,
        related_by,
    })
}

/// A list of strings, or a map `{framework: [controls]}` flattened to `framework` names.
fn string_list(v: Option<&J>) -> Vec<String> {
    match v {
        Some(J::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
        Some(J::Object(map)) => map.keys().cloned().collect(),
        Some(J::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// `related_resources` entries are URLs or `{ref: URL, description: …}`.
fn related(v: Option<&J>) -> Vec<String> {
    match v {
        Some(J::Array(items)) => items
            .iter()
            .filter_map(|i| match i {
                J::String(s) => Some(s.clone()),
                J::Object(o) => o.get("ref").and_then(J::as_str).map(str::to_string),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_package_annotations_and_rules() {
        let text = "# METADATA\n# title: No privileged\n# description: Nope.\n# custom:\n#   id: PL-1\n#   severity: high\n#   frameworks: [PSS-baseline]\npackage a.b\n\nimport rego.v1\n\ndeny contains msg if {\n  true\n}\n\ndeny_extra contains x if { x := 1 }\nhelper(x) := y if { y := x }\ndefault allow := false\n";
        let info = scan_file(text).unwrap();
        assert_eq!(info.package.as_deref(), Some("a.b"));
        assert_eq!(info.package_line, 8);
        let a = info.annotations.unwrap();
        assert_eq!(a.id.as_deref(), Some("PL-1"));
        assert_eq!(a.severity, Some(Severity::High));
        assert_eq!(a.frameworks, ["PSS-baseline"]);
        assert_eq!(info.rules, ["deny", "deny_extra", "helper", "allow"]);
    }

    #[test]
    fn bad_severity_names_the_line() {
        let text = "# METADATA\n# custom:\n#   severity: urgent\npackage a\n";
        let e = scan_file(text).unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("urgent"));
    }

    #[test]
    fn related_by_is_read_and_checked() {
        let ok = "# METADATA\n# custom:\n#   related_kinds: [NetworkPolicy]\n#   related_by: pod-selector\npackage a\n";
        let a = scan_file(ok).unwrap().annotations.unwrap();
        assert_eq!(a.related_by, Some(RelatedBy::PodSelector));
        let unknown = "# METADATA\n# custom:\n#   related_kinds: [Service]\n#   related_by: owner\npackage a\n";
        let e = scan_file(unknown).unwrap_err();
        assert!(
            e.message.contains("owner") && e.message.contains("pod-selector"),
            "{e:?}"
        );
        let alone = "# METADATA\n# custom:\n#   related_by: pod-selector\npackage a\n";
        let e = scan_file(alone).unwrap_err();
        assert!(e.message.contains("related_kinds"), "{e:?}");
    }

    #[test]
    fn metadata_not_followed_by_package_is_ignored() {
        let text = "package a\n# METADATA\n# title: rule-level\ndeny contains 1 if { true }\n";
        let info = scan_file(text).unwrap();
        assert!(info.annotations.is_none());
        assert_eq!(info.rules, ["deny"]);
    }
}
