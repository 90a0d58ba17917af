//! The shared vocabulary of the pipeline: positions, documents, resource identity, findings
//! and notifications. Every stage takes and returns these plain values.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A 1-based line and column (columns count Unicode code points).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

impl Pos {
    pub const fn new(line: u32, column: u32) -> Self {
        Self { line, column }
    }
}

/// A region of a file, start inclusive, end exclusive (SARIF semantics).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Region {
    pub start: Pos,
    pub end: Pos,
}

/// One element of a field path: an object key or an array index.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PathSeg {
    Index(usize),
    Key(String),
}

impl fmt::Display for PathSeg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathSeg::Index(i) => write!(f, "[{i}]"),
            PathSeg::Key(k) => write!(f, "{k}"),
        }
    }
}

/// Renders a field path the way kubectl explain does: `spec.containers[0].image`.
pub fn render_path(path: &[PathSeg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            PathSeg::Index(i) => {
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
            PathSeg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
        }
    }
    out
}

/// Parses what [`render_path`] writes: `spec.containers[0].image`. Keys holding `.` or `[`
/// cannot be told apart once rendered; they come back split, which only matters for
/// display.
pub fn parse_rendered_path(s: &str) -> Vec<PathSeg> {
    let mut out = Vec::new();
    for part in s.split('.').filter(|p| !p.is_empty()) {
        let mut rest = part;
        if let Some(i) = rest.find('[') {
            if i > 0 {
                out.push(PathSeg::Key(rest[..i].to_string()));
            }
            rest = &rest[i..];
            while let Some(stripped) = rest.strip_prefix('[') {
                match stripped.split_once(']') {
                    Some((n, tail)) => {
                        match n.parse() {
                            Ok(i) => out.push(PathSeg::Index(i)),
                            Err(_) => out.push(PathSeg::Key(n.to_string())),
                        }
                        rest = tail;
                    }
                    None => {
                        out.push(PathSeg::Key(rest.to_string()));
                        rest = "";
                    }
                }
            }
            if !rest.is_empty() {
                out.push(PathSeg::Key(rest.to_string()));
            }
        } else {
            out.push(PathSeg::Key(rest.to_string()));
        }
    }
    out
}

/// Identity of a Kubernetes resource: `apiVersion/kind/namespace/name`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ResourceId {
    pub api_version: String,
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}/{}/{}",
            self.api_version,
            self.kind,
            self.namespace.as_deref().unwrap_or(""),
            self.name
        )
    }
}

/// Identity of a declared resource that is not a Kubernetes object: a Terraform resource
/// (from HCL or a plan), a CloudFormation resource, a Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Subject {
    /// Where it was declared: `terraform`, `terraform-plan`, `cloudformation`, `dockerfile`.
    pub source: String,
    /// Resource type as policies see it (`aws_s3_bucket`, `Dockerfile`).
    #[serde(rename = "type")]
    pub kind: String,
    /// Terraform address (`module.logs.aws_s3_bucket.this[0]`), CloudFormation logical id, or
    /// the Dockerfile's path.
    pub address: String,
    /// Module calls from the root module to the one that declares the resource, outermost
    /// first, each `file:line module.name` (empty at the root).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub via: Vec<String>,
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.address)
    }
}

/// Severity of a rule, ordered from least to most severe.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    Info,
    Low,
    #[default]
    Medium,
    High,
    Critical,
}

impl Severity {
    /// Every severity, most severe first (the order reports list them in).
    pub const DESCENDING: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_uppercase().as_str() {
            "INFO" | "NONE" | "NOTE" => Some(Self::Info),
            "LOW" => Some(Self::Low),
            "MEDIUM" | "MODERATE" | "WARNING" => Some(Self::Medium),
            "HIGH" | "ERROR" => Some(Self::High),
            "CRITICAL" => Some(Self::Critical),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "INFO",
            Self::Low => "LOW",
            Self::Medium => "MEDIUM",
            Self::High => "HIGH",
            Self::Critical => "CRITICAL",
        }
    }

    /// The CVSS-like score GitHub code scanning reads from `security-severity`.
    pub fn security_score(self) -> &'static str {
        match self {
            Self::Info => "0.0",
            Self::Low => "3.0",
            Self::Medium => "5.5",
            Self::High => "8.0",
            Self::Critical => "9.5",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rule as shown in reports: built-in or user policy, from its `# METADATA`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleMeta {
    pub id: String,
    pub title: String,
    pub description: String,
    pub severity: Severity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remediation: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub frameworks: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related_resources: Vec<String>,
    /// The Rego package that implements the rule (`data.` prefix omitted).
    pub package: String,
    /// Policy file the rule comes from (`builtin:` prefix for the embedded library).
    pub source: String,
}

/// The kind of a finding: a policy violation now; drift kinds later share the same shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FindingLevel {
    /// `deny` / `violation`: a failure.
    Error,
    /// `warn`: reported, lower level.
    Warning,
}

/// One finding: a rule that matched a place in Git.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub rule_id: String,
    pub severity: Severity,
    pub level: FindingLevel,
    pub message: String,
    /// Repository-relative path with `/` separators.
    pub file: String,
    pub region: Region,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<ResourceId>,
    /// The declared resource, when it is not a Kubernetes object (Terraform, CloudFormation,
    /// Dockerfile).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Subject>,
    /// Index of the document within the file (0-based), for multi-document files.
    pub document: usize,
    /// The field path the policy named (empty: the whole resource).
    pub field_path: Vec<PathSeg>,
    pub fingerprint: String,
    /// Drift findings: where the live object is, `cluster/namespace/kind/name` (namespace
    /// empty for a cluster-scoped kind). A live object nothing in Git declares
    /// (`PL-DRIFT-0003`) has only this: its `file` is empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live: Option<String>,
    /// Waivers that apply to this finding (inline comment, annotation or waiver file). A
    /// suppressed finding stays in every report but no longer fails the run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suppressions: Vec<Suppression>,
    /// Other places that explain the finding (SARIF `relatedLocations`): the template line
    /// that emitted a value a Helm values file set.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<RelatedLocation>,
    /// Set when the scan was compared with a baseline (`--baseline`, `--base`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_state: Option<BaselineState>,
}

/// A place related to a finding: where else to look, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelatedLocation {
    /// Repository-relative path with `/` separators.
    pub file: String,
    pub region: Region,
    /// What the place is ("emitted by this template line").
    pub message: String,
}

/// Where a suppression was declared (SARIF `suppression.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SuppressionKind {
    /// In the scanned file itself: a comment or an annotation.
    InSource,
    /// Outside it: the waiver file or the configuration.
    External,
}

/// A waiver applied to a finding, with its justification (SARIF `suppressions[]`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Suppression {
    pub kind: SuppressionKind,
    pub justification: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Expiry date, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// Where the waiver is written: `path:line`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

/// A finding compared with a baseline (SARIF `result.baselineState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BaselineState {
    /// Not in the baseline.
    New,
    /// In the baseline, same message (its line may have moved).
    Unchanged,
    /// In the baseline (same fingerprint), but its message changed. A finding that only
    /// moved to another line is unchanged: fingerprints never contain line numbers.
    Updated,
    /// In the baseline, no longer found.
    Absent,
}

impl BaselineState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Unchanged => "unchanged",
            Self::Updated => "updated",
            Self::Absent => "absent",
        }
    }
}

impl Finding {
    /// A waiver applies: reported, but does not fail the run.
    pub fn is_suppressed(&self) -> bool {
        !self.suppressions.is_empty()
    }

    /// Counts towards the exit code and the summary: not waived, and, when a baseline was
    /// given, new against it (an unchanged or updated finding was already known; an absent
    /// one is fixed).
    pub fn is_active(&self) -> bool {
        !self.is_suppressed() && matches!(self.baseline_state, None | Some(BaselineState::New))
    }

    /// Sort key giving a deterministic report order (findings without a file, about live
    /// objects nothing declares, sort by where they live).
    pub fn sort_key(&self) -> (&str, Region, &str, &str, &str) {
        (
            &self.file,
            self.region,
            self.live.as_deref().unwrap_or(""),
            &self.rule_id,
            &self.message,
        )
    }

    /// Where the finding is, for people: `file:line`, or the live location of an object
    /// that no file declares.
    pub fn place(&self) -> String {
        if self.file.is_empty() {
            self.live.clone().unwrap_or_default()
        } else {
            format!("{}:{}", self.file, self.region.start.line)
        }
    }
}

/// Severity of a notification about the tool's own execution (SARIF levels).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NoteLevel {
    /// Something could not be processed: the scan is incomplete.
    Error,
    /// Processed with a caveat, or deliberately not processed (the scan stays complete).
    Warning,
    Note,
}

/// Something the user must know about the scan itself: a file that could not be parsed, a
/// policy that failed, a file too large. Errors make the scan incomplete (exit 3).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Notification {
    pub level: NoteLevel,
    /// Stable machine-readable code, e.g. `parse-error`, `policy-error`, `file-too-large`.
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<Pos>,
    pub message: String,
}

impl Notification {
    pub fn new(level: NoteLevel, code: &str, message: impl Into<String>) -> Self {
        Self {
            level,
            code: code.to_string(),
            file: None,
            position: None,
            message: message.into(),
        }
    }

    pub fn at(mut self, file: impl Into<String>, position: Option<Pos>) -> Self {
        self.file = Some(file.into());
        self.position = position;
        self
    }
}

/// A fingerprint that survives moving code: rule, file, resource identity and field path —
/// never line numbers. When a rule names no field, its message tells results apart.
pub fn fingerprint(
    rule_id: &str,
    file: &str,
    resource: Option<&ResourceId>,
    subject: Option<&Subject>,
    document: usize,
    field_path: &[PathSeg],
    message: &str,
) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for part in [rule_id, file] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    match (resource, subject) {
        (Some(r), _) => h.update(r.to_string().as_bytes()),
        (None, Some(s)) => h.update(format!("{}:{}:{}", s.source, s.kind, s.address).as_bytes()),
        // A document that is not a Kubernetes object is known by its place in the file.
        (None, None) => h.update(format!("#doc{document}").as_bytes()),
    }
    h.update([0]);
    if field_path.is_empty() {
        h.update(message.as_bytes());
    } else {
        h.update(render_path(field_path).as_bytes());
    }
    let digest = h.finalize();
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// A file that was read, kept for positions and source lines in reports.
#[derive(Debug)]
pub struct SourceFile {
    /// Repository-relative path with `/` separators (what reports show).
    pub path: String,
    pub text: String,
    pub lines: LineIndex,
}

impl SourceFile {
    pub fn new(path: String, text: String) -> Self {
        let lines = LineIndex::new(&text);
        Self { path, text, lines }
    }

    pub fn pos(&self, byte: u32) -> Pos {
        self.lines.pos(&self.text, byte)
    }
}

/// Byte offsets of line starts, to turn byte offsets into line/column.
#[derive(Debug, Clone, Default)]
pub struct LineIndex {
    starts: Vec<u32>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0u32];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| (i + 1) as u32),
        );
        Self { starts }
    }

    /// Line/column (1-based, code points) of a byte offset.
    pub fn pos(&self, text: &str, byte: u32) -> Pos {
        let line = self.starts.partition_point(|&s| s <= byte).max(1);
        let start = self.starts[line - 1] as usize;
        let end = (byte as usize).min(text.len());
        let column = text
            .get(start..end)
            .map_or(end.saturating_sub(start), |s| s.chars().count());
        Pos::new(line as u32, column as u32 + 1)
    }

    /// The text of a 1-based line, without its line break.
    pub fn line_text<'t>(&self, text: &'t str, line: u32) -> Option<&'t str> {
        let i = (line as usize).checked_sub(1)?;
        let start = *self.starts.get(i)? as usize;
        let end = self.starts.get(i + 1).map_or(text.len(), |&e| e as usize);
        text.get(start..end)
            .map(|s| s.trim_end_matches(['\n', '\r']))
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }
}

/// Shard `index` of `count` (1 ≤ index ≤ count).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// The shard a repository-relative path belongs to (1-based).
    pub fn of(path: &str, count: u32) -> u32 {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(path.as_bytes());
        let mut head = [0u8; 8];
        head.copy_from_slice(&digest[..8]);
        (u64::from_be_bytes(head) % u64::from(count)) as u32 + 1
    }

    /// Whether `path` is in this shard.
    pub fn contains(&self, path: &str) -> bool {
        Self::of(path, self.count) == self.index
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "{s:?} is not a shard: give I/N with 1 ≤ I ≤ N, e.g. 2/4 for the second of \
                 four shards"
            )
        };
        let (i, n) = s.trim().split_once('/').ok_or_else(bad)?;
        let index: u32 = i.trim().parse().map_err(|_| bad())?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Self { index, count })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rendered_paths_parse_back() {
        let p = vec![
            PathSeg::Key("spec".into()),
            PathSeg::Key("containers".into()),
            PathSeg::Index(0),
            PathSeg::Key("ports".into()),
            PathSeg::Index(12),
            PathSeg::Index(1),
            PathSeg::Key("hostPort".into()),
        ];
        assert_eq!(parse_rendered_path(&render_path(&p)), p);
        assert!(parse_rendered_path("").is_empty());
    }
}
