//! Waivers: accepted findings, with a reason, an optional owner and an expiry date.
//!
//! Three places declare them, all with the same rule-id and reason grammar
//! ([`grammar`]): comments in the scanned files ([`inline`]), the `plumbline.dev/ignore`
//! annotation on Kubernetes objects ([`inline`] too), and the waiver file
//! `.plumbline/waivers.yaml` ([`file`]). A waived finding stays in every report with its
//! suppression and no longer fails the run. A waiver past its date stops applying and is
//! reported (`waiver-expired`); one that matches nothing is reported (`waiver-stale`); one
//! that cannot be read never applies (`waiver-invalid`, or exit 2 for the waiver file).

pub mod file;
pub mod grammar;
pub mod inline;

use crate::date::Date;
use crate::model::{
    Finding, NoteLevel, Notification, Pos, ResourceId, RuleMeta, Suppression, SuppressionKind,
};
use globset::{Glob, GlobMatcher};
use std::path::PathBuf;

/// How the scan treats waivers.
#[derive(Debug, Clone)]
pub struct Options {
    /// The day expiry dates are compared with (`PLUMBLINE_TODAY`, else the clock, UTC).
    pub today: Date,
    /// `--waivers FILE`, read from disk; `None`: `.plumbline/waivers.yaml` at the root of
    /// the scanned repository, read from the same revision or directory as the scan.
    pub file: Option<PathBuf>,
    /// Only part of the tree is scanned (`--include`/`--exclude`): a waiver-file entry is
    /// reported stale only when a scanned file is within its `path`.
    pub filtered: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            today: Date::today().unwrap_or(Date {
                year: 1970,
                month: 1,
                day: 1,
            }),
            file: None,
            filtered: false,
        }
    }
}

/// What a waiver covers.
#[derive(Debug, Clone)]
pub enum Target {
    /// Findings that start on this line of this file (a comment on or above the line), or
    /// whose related location is there.
    Line { file: String, line: u32 },
    /// Every finding of one YAML document (a comment at the top of the document).
    Document { file: String, document: usize },
    /// Every finding of one resource of a document (an annotation, or a comment at the top of
    /// an item of a `kind: List`).
    Resource {
        file: String,
        document: usize,
        resource: Option<ResourceId>,
    },
    /// Every finding of one resource block of a Terraform, CloudFormation or Dockerfile
    /// file (a comment on or directly above its first line): the findings in that file whose
    /// subject address, without module path and instance key, is `local` — every instance of
    /// the block, and nothing declared elsewhere.
    Block { file: String, local: String },
    /// An entry of the waiver file.
    Selector(file::Selector),
}

impl Target {
    fn matches(&self, f: &Finding) -> bool {
        match self {
            // Also the line a finding's related location names: a waiver on a Helm
            // template's line covers a finding placed on the values line that set the field.
            Target::Line { file, line } => {
                (f.file == *file && f.region.start.line == *line)
                    || f.related
                        .iter()
                        .any(|r| r.file == *file && r.region.start.line == *line)
            }
            Target::Document { file, document } => f.file == *file && f.document == *document,
            Target::Resource {
                file,
                document,
                resource,
            } => f.file == *file && f.document == *document && f.resource == *resource,
            Target::Block { file, local } => {
                f.file == *file
                    && f.subject
                        .as_ref()
                        .is_some_and(|s| local_address(&s.address) == local)
            }
            Target::Selector(s) => s.matches(f),
        }
    }
}

/// A resource address without its module path and instance key, as its block is written in
/// its file: `module.a["x.y"].aws_s3_bucket.b[0]` → `aws_s3_bucket.b`.
pub fn local_address(address: &str) -> &str {
    /// Skips an instance key `[…]` (quotes respected) at the start of `s`.
    fn skip_key(s: &str) -> &str {
        if !s.starts_with('[') {
            return s;
        }
        let mut quoted = false;
        for (i, c) in s.char_indices() {
            match c {
                '"' => quoted = !quoted,
                ']' if !quoted => return &s[i + 1..],
                _ => {}
            }
        }
        ""
    }
    let mut rest = address;
    while let Some(after) = rest.strip_prefix("module.") {
        let name_end = after.find(['.', '[']).unwrap_or(after.len());
        let after_key = skip_key(&after[name_end..]);
        match after_key.strip_prefix('.') {
            Some(r) => rest = r,
            None => break,
        }
    }
    match rest.find('[') {
        Some(i) if rest.ends_with(']') => &rest[..i],
        _ => rest,
    }
}

/// One waiver, wherever it was declared.
#[derive(Debug, Clone)]
pub struct Waiver {
    /// Rule ids or globs, as written.
    pub rules: Vec<String>,
    matchers: Vec<GlobMatcher>,
    pub target: Target,
    pub reason: String,
    pub owner: Option<String>,
    pub expires: Option<Date>,
    pub kind: SuppressionKind,
    /// Where the waiver is written (a scanned file, or the waiver file).
    pub file: String,
    pub pos: Pos,
    /// Whether what the waiver covers was scanned: only then is an unused waiver stale.
    pub in_scope: bool,
}

impl Waiver {
    /// A waiver for `rules` (already checked by [`grammar::check_rule_id`]).
    pub fn new(
        rules: Vec<String>,
        target: Target,
        reason: String,
        kind: SuppressionKind,
        file: String,
        pos: Pos,
    ) -> Result<Self, String> {
        let matchers = rules
            .iter()
            .map(|r| rule_matcher(r))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            rules,
            matchers,
            target,
            reason,
            owner: None,
            expires: None,
            kind,
            file,
            pos,
            in_scope: true,
        })
    }

    pub fn covers_rule(&self, id: &str) -> bool {
        self.matchers.iter().any(|m| m.is_match(id))
    }

    fn location(&self) -> String {
        format!("{}:{}", self.file, self.pos.line)
    }

    fn suppression(&self) -> Suppression {
        Suppression {
            kind: self.kind,
            justification: self.reason.clone(),
            owner: self.owner.clone(),
            expires: self.expires.map(|d| d.to_string()),
            location: Some(self.location()),
        }
    }
}

/// A glob over rule ids (`*` matches any id; ids hold no `/`-separated parts to protect).
pub fn rule_matcher(rule: &str) -> Result<GlobMatcher, String> {
    Glob::new(rule)
        .map(|g| g.compile_matcher())
        .map_err(|e| format!("{rule:?} is not a valid rule glob: {e}"))
}

/// Applies `waivers` to `findings` (adding their suppressions) and returns what must be
/// reported: expired waivers, and unused ones whose scope was scanned. `rules` is the
/// catalog of the scan: a waiver for a rule that did not run is not stale.
pub fn apply(
    findings: &mut [Finding],
    waivers: &[Waiver],
    today: Date,
    rules: &[RuleMeta],
) -> Vec<Notification> {
    let mut notes = Vec::new();
    // The same comment can be read twice: a release's manifest is loaded on its own and as
    // the values file of the chart it renders.
    let mut seen = std::collections::BTreeSet::new();
    for w in waivers {
        if !seen.insert((w.file.as_str(), w.pos, &w.rules)) {
            continue;
        }
        let rules_text = w.rules.join(",");
        if let Some(expires) = w.expires.filter(|d| *d < today) {
            notes.push(
                Notification::new(
                    NoteLevel::Warning,
                    "waiver-expired",
                    format!(
                        "{}: the waiver for {rules_text} expired on {expires} (today is \
                         {today}), so it no longer applies and its findings are active again; \
                         fix them, or renew the waiver with a later date",
                        w.location()
                    ),
                )
                .at(w.file.clone(), Some(w.pos)),
            );
            continue;
        }
        let mut used = false;
        for f in findings.iter_mut() {
            if w.covers_rule(&f.rule_id) && w.target.matches(f) {
                f.suppressions.push(w.suppression());
                used = true;
            }
        }
        let ran = rules.iter().any(|r| w.covers_rule(&r.id))
            || w.covers_rule(crate::findings::PARSE_RULE_ID);
        if !used && w.in_scope && ran {
            notes.push(
                Notification::new(
                    NoteLevel::Warning,
                    "waiver-stale",
                    format!(
                        "{}: the waiver for {rules_text} matches no finding; remove it (the \
                         finding it was written for is gone, or it names the wrong rule or \
                         place)",
                        w.location()
                    ),
                )
                .at(w.file.clone(), Some(w.pos)),
            );
        }
    }
    for f in findings.iter_mut() {
        f.suppressions.sort();
        f.suppressions.dedup();
    }
    notes
}

/// A waiver that cannot be read, in a scanned file: it never applies, and is reported where
/// it is written.
pub(crate) fn invalid(file: &str, pos: Pos, message: &str) -> Notification {
    Notification::new(
        NoteLevel::Warning,
        "waiver-invalid",
        format!("{file}:{}: this waiver is not applied: {message}", pos.line),
    )
    .at(file, Some(pos))
}
