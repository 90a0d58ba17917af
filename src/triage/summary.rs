//! The merge-request summary printed to the CI log after a comparison with a baseline or a
//! merge base.

use crate::findings::{self, count_by_severity, exit, FailOn, ScanResult};
use crate::model::{BaselineState, Finding};
use crate::textsafe::Escaped;
use std::fmt::Write;

/// How many new findings the merge-request summary lists.
const TOP_NEW: usize = 10;

/// The merge-request log summary, at most about 20 lines: new findings by severity,
/// pre-existing, fixed, the most severe new findings (`file:line rule message`), and the
/// verdict. `None` when nothing was compared. Names, paths and messages in it are escaped
/// ([`crate::textsafe`]): it is printed to the terminal or the CI log as it is.
pub fn render(result: &ScanResult, fail_on: FailOn) -> Option<String> {
    let c = result.stats.comparison.as_ref()?;
    let mut out = String::new();
    let scope = match c.changed_files {
        Some(1) => " (1 changed file scanned)".to_string(),
        Some(n) => format!(" ({n} changed files scanned)"),
        None => String::new(),
    };
    let _ = writeln!(
        out,
        "Plumbline gate: compared with {}{scope}",
        Escaped(&c.against)
    );
    let mut new: Vec<&Finding> = result.findings.iter().filter(|f| f.is_active()).collect();
    new.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.sort_key().cmp(&b.sort_key()))
    });
    let _ = writeln!(
        out,
        "  new findings:  {}",
        count_by_severity(new.iter().map(|f| f.severity))
    );
    let waived_new = result
        .findings
        .iter()
        .filter(|f| f.is_suppressed() && f.baseline_state == Some(BaselineState::New))
        .count();
    if waived_new > 0 {
        let _ = writeln!(out, "  new, waived:   {waived_new}");
    }
    let shown = if c.not_shown > 0 {
        " (not shown; --show-preexisting lists them)"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "  pre-existing:  {} ({} unchanged, {} updated){shown}",
        c.preexisting(),
        c.unchanged,
        c.updated
    );
    let _ = writeln!(out, "  fixed:         {}", c.fixed);
    if !new.is_empty() {
        let _ = writeln!(out, "  New findings:");
        for f in new.iter().take(TOP_NEW) {
            let _ = writeln!(
                out,
                "    {:<8} {}:{}  {}  {}",
                f.severity.as_str(),
                Escaped(&f.file),
                f.region.start.line,
                Escaped(&f.rule_id),
                Escaped(&one_line(&f.message))
            );
        }
        if new.len() > TOP_NEW {
            let _ = writeln!(out, "    … and {} more in the report", new.len() - TOP_NEW);
        }
    }
    let verdict = match findings::exit_code(&result.findings, result.incomplete(), fail_on) {
        exit::INCOMPLETE => {
            "INCOMPLETE: some files or policies could not be processed (exit 3)".to_string()
        }
        exit::FINDINGS => match fail_on {
            FailOn::Severity(s) => format!(
                "FAIL: new findings at or above {} (exit 1)",
                s.as_str().to_ascii_lowercase()
            ),
            FailOn::Never => "FAIL (exit 1)".to_string(),
        },
        _ => match fail_on {
            FailOn::Severity(s) => format!(
                "PASS: no new finding at or above {}",
                s.as_str().to_ascii_lowercase()
            ),
            FailOn::Never => "PASS: --fail-on never".to_string(),
        },
    };
    let _ = writeln!(out, "  Result: {verdict}");
    Some(out)
}

/// A message on one log line.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
