//! Human output: findings grouped by file, with the source line, and a one-line summary.

use crate::model::{BaselineState, NoteLevel, Severity};
use crate::scan::ScanResult;
use std::fmt::Write;

struct Style {
    color: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn severity(&self, s: Severity) -> String {
        let code = match s {
            Severity::Critical => "1;35",
            Severity::High => "1;31",
            Severity::Medium => "33",
            Severity::Low => "36",
            Severity::Info => "2",
        };
        self.paint(code, &format!("{:<8}", s.as_str()))
    }
}

pub fn render(result: &ScanResult, color: bool) -> String {
    let st = Style { color };
    let mut out = String::new();
    let mut current: Option<&str> = None;
    for f in &result.findings {
        if current != Some(f.file.as_str()) {
            if current.is_some() {
                out.push('\n');
            }
            let header = if f.file.is_empty() {
                "(live objects that no file declares)"
            } else {
                &f.file
            };
            let _ = writeln!(out, "{}", st.paint("1;4", header));
            current = Some(&f.file);
        }
        let resource = f
            .resource
            .as_ref()
            .map(|r| match &r.namespace {
                Some(ns) => format!(" [{}/{}/{}]", r.kind, ns, r.name),
                None => format!(" [{}/{}]", r.kind, r.name),
            })
            .or_else(|| {
                f.subject.as_ref().map(|s| {
                    if s.via.is_empty() {
                        format!(" [{}]", s.address)
                    } else {
                        format!(" [{} via {}]", s.address, s.via.join(" → "))
                    }
                })
            })
            .unwrap_or_default();
        let state = match f.baseline_state {
            Some(BaselineState::New) => st.paint("1", " (new)"),
            Some(BaselineState::Absent) => st.paint("32", " (fixed)"),
            Some(s) => st.paint("2", &format!(" ({})", s.as_str())),
            None => String::new(),
        };
        let place = if f.file.is_empty() {
            f.live.clone().unwrap_or_default()
        } else {
            format!("{:>4}:{:<3}", f.region.start.line, f.region.start.column)
        };
        let _ = writeln!(
            out,
            "  {place} {} {}  {}{}{}",
            st.severity(f.severity),
            st.paint("2", &f.rule_id),
            f.message,
            st.paint("2", &resource),
            state
        );
        for w in &f.suppressions {
            let until = w
                .expires
                .as_deref()
                .map(|d| format!(", until {d}"))
                .unwrap_or_default();
            let place = w.location.as_deref().unwrap_or("");
            let _ = writeln!(
                out,
                "  {} {}",
                st.paint("1;32", "         waived:"),
                st.paint("2", &format!("{} ({place}{until})", w.justification))
            );
        }
        // A fixed finding is not in the current file: its old line would mislead.
        let fixed = f.baseline_state == Some(BaselineState::Absent);
        if let Some(src) = result.sources.get(&f.file).filter(|_| !fixed) {
            if let Some(line) = src.lines.line_text(&src.text, f.region.start.line) {
                let secret = f.resource.as_ref().is_some_and(|r| r.kind == "Secret");
                let shown = super::redact_line(line, secret);
                let _ = writeln!(
                    out,
                    "  {} {}",
                    st.paint("2", &format!("{:>8} |", f.region.start.line)),
                    shown.trim_end()
                );
            }
        }
    }
    if !result.notifications.is_empty() {
        if !out.is_empty() {
            out.push('\n');
        }
        let _ = writeln!(out, "{}", st.paint("1", "Notifications"));
        for n in &result.notifications {
            let tag = match n.level {
                NoteLevel::Error => st.paint("1;31", "error  "),
                NoteLevel::Warning => st.paint("33", "warning"),
                NoteLevel::Note => st.paint("2", "note   "),
            };
            let _ = writeln!(out, "  {tag} {} ({})", n.message, n.code);
        }
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out.push_str(&summary(result));
    out.push('\n');
    out
}

/// One line: counts by severity of the active findings (waived and baseline-known ones are
/// counted apart), files, resources, and whether the scan was complete.
pub fn summary(result: &ScanResult) -> String {
    let mut counts = Vec::new();
    for s in Severity::DESCENDING {
        let n = result
            .findings
            .iter()
            .filter(|f| f.is_active() && f.severity == s)
            .count();
        if n > 0 {
            counts.push(format!("{n} {}", s.as_str().to_ascii_lowercase()));
        }
    }
    let active = result.findings.iter().filter(|f| f.is_active()).count();
    let noun = if result.stats.comparison.is_some() {
        "new finding"
    } else {
        "finding"
    };
    let mut findings = match active {
        0 => format!("no {noun}s"),
        1 => format!("1 {noun} ({})", counts.join(", ")),
        n => format!("{n} {noun}s ({})", counts.join(", ")),
    };
    let suppressed = result.findings.iter().filter(|f| f.is_suppressed()).count();
    if suppressed > 0 {
        findings.push_str(&format!(" and {suppressed} waived"));
    }
    let fixed = |f: &&crate::model::Finding| f.baseline_state == Some(BaselineState::Absent);
    let known = result
        .findings
        .iter()
        .filter(|f| !f.is_suppressed() && !f.is_active() && !fixed(f))
        .count();
    let not_shown = result.stats.comparison.as_ref().map_or(0, |c| c.not_shown);
    if not_shown > 0 {
        findings.push_str(&format!(" ({not_shown} pre-existing or fixed not shown)"));
    }
    if known > 0 {
        findings.push_str(&format!(" and {known} already in the baseline"));
    }
    let fixed = result.findings.iter().filter(fixed).count();
    if fixed > 0 {
        findings.push_str(&format!(", {fixed} fixed"));
    }
    let errors = result
        .notifications
        .iter()
        .filter(|n| n.level == NoteLevel::Error)
        .count();
    let state = if errors > 0 {
        format!("; INCOMPLETE: {errors} input(s) or policies could not be processed")
    } else {
        String::new()
    };
    format!(
        "{findings} in {} files, {} documents, {} resources, {} rules — {}{state}",
        result.stats.files,
        result.stats.documents,
        result.stats.resources,
        result.stats.rules,
        result.description
    )
}
