//! Human output: findings grouped by file, with the source line, and a one-line summary.
//!
//! Names, paths, messages and source lines come from the scanned repository, so everything
//! is written through [`Out`], which escapes it ([`crate::textsafe`]): a line ends only where
//! this renderer ends it, and colours are only those it paints.

use crate::findings::ScanResult;
use crate::model::{BaselineState, NoteLevel, Severity};
use crate::textsafe;
use std::fmt::{self, Write};

/// The report being written. Text written to it (`write!`) is escaped, line breaks
/// included; [`Out::end_line`] ends a line and [`Out::paint`] adds colour, so no text from a
/// scanned file can add either.
struct Out {
    text: String,
    color: bool,
}

impl Write for Out {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.text.push_str(&textsafe::escape(s));
        Ok(())
    }
}

impl Out {
    fn end_line(&mut self) {
        self.text.push('\n');
    }

    /// Writes `s` (escaped) in the SGR colour `code` when colour is on.
    fn paint(&mut self, code: &str, s: impl fmt::Display) {
        if self.color {
            self.text.push_str(&format!("\x1b[{code}m"));
        }
        let _ = write!(self, "{s}");
        if self.color {
            self.text.push_str("\x1b[0m");
        }
    }

    fn severity(&mut self, s: Severity) {
        let code = match s {
            Severity::Critical => "1;35",
            Severity::High => "1;31",
            Severity::Medium => "33",
            Severity::Low => "36",
            Severity::Info => "2",
        };
        self.paint(code, format_args!("{:<8}", s.as_str()));
    }
}

pub fn render(result: &ScanResult, color: bool) -> String {
    let mut out = Out {
        text: String::new(),
        color,
    };
    let mut current: Option<&str> = None;
    for f in &result.findings {
        if current != Some(f.file.as_str()) {
            if current.is_some() {
                out.end_line();
            }
            let header = if f.file.is_empty() {
                "(live objects that no file declares)"
            } else {
                &f.file
            };
            out.paint("1;4", header);
            out.end_line();
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
        let place = if f.file.is_empty() {
            f.live.clone().unwrap_or_default()
        } else {
            format!("{:>4}:{:<3}", f.region.start.line, f.region.start.column)
        };
        let _ = write!(out, "  {place} ");
        out.severity(f.severity);
        out.text.push(' ');
        out.paint("2", &f.rule_id);
        let _ = write!(out, "  {}", f.message);
        out.paint("2", &resource);
        match f.baseline_state {
            Some(BaselineState::New) => out.paint("1", " (new)"),
            Some(BaselineState::Absent) => out.paint("32", " (fixed)"),
            Some(s) => out.paint("2", format_args!(" ({})", s.as_str())),
            None => {}
        }
        out.end_line();
        for r in &f.related {
            out.text.push_str("  ");
            out.paint(
                "2",
                format_args!(
                    "         {} ({}:{})",
                    r.message, r.file, r.region.start.line
                ),
            );
            out.end_line();
        }
        for w in &f.suppressions {
            let until = w
                .expires
                .as_deref()
                .map(|d| format!(", until {d}"))
                .unwrap_or_default();
            let place = w.location.as_deref().unwrap_or("");
            out.text.push_str("  ");
            out.paint("1;32", "         waived:");
            out.text.push(' ');
            out.paint("2", format_args!("{} ({place}{until})", w.justification));
            out.end_line();
        }
        // A fixed finding is not in the current file: its old line would mislead.
        let fixed = f.baseline_state == Some(BaselineState::Absent);
        if let Some(src) = result.sources.get(&f.file).filter(|_| !fixed) {
            if let Some(line) = src.lines.line_text(&src.text, f.region.start.line) {
                let secret = f.resource.as_ref().is_some_and(|r| r.kind == "Secret");
                // Tabs are indentation in a source line: spaces show it without escapes.
                let shown = super::redact_line(line, secret).replace('\t', "    ");
                out.text.push_str("  ");
                out.paint("2", format_args!("{:>8} |", f.region.start.line));
                let _ = write!(out, " {}", shown.trim_end());
                out.end_line();
            }
        }
    }
    if !result.notifications.is_empty() {
        if !out.text.is_empty() {
            out.end_line();
        }
        out.paint("1", "Notifications");
        out.end_line();
        for n in &result.notifications {
            out.text.push_str("  ");
            match n.level {
                NoteLevel::Error => out.paint("1;31", "error  "),
                NoteLevel::Warning => out.paint("33", "warning"),
                NoteLevel::Note => out.paint("2", "note   "),
            }
            let _ = write!(out, " {} ({})", n.message, n.code);
            out.end_line();
        }
    }
    if !out.text.is_empty() {
        out.end_line();
    }
    let _ = write!(out, "{}", summary(result));
    out.end_line();
    out.text
}

/// One line: counts by severity of the active findings (waived and baseline-known ones are
/// counted apart), files, resources, and whether the scan was complete. Escaped (the
/// description names the scanned path or revision), so it can go to stderr as it is.
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
        textsafe::Escaped(&result.description)
    )
}
