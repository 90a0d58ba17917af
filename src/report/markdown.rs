//! `--format markdown`: a merge-request comment. A headline with counts, a table of the
//! findings (only the new ones when compared with a merge base or a baseline) linked to
//! their lines, and each rule's description and remediation in a collapsed section.
//!
//! Everything that comes from policies or files (messages, paths, rule texts) is escaped,
//! so a message cannot break the table or inject HTML. No source lines are shown.

use crate::findings::severity_breakdown;
use crate::findings::ScanResult;
use crate::model::{BaselineState, Finding};
use std::collections::BTreeSet;
use std::fmt::Write;

/// Most rows in the table: comments have size limits, and the full list is in the report.
const MAX_ROWS: usize = 100;

/// Where links point: `{base}/{path}#L{line}`. `explicit` is `--link-base` (`{commit}` in it
/// is replaced by the scanned commit); otherwise GitHub Actions or GitLab CI variables are
/// used when present, with the scanned commit when known. `None`: plain `path:line`.
pub fn link_base(
    explicit: Option<&str>,
    commit: Option<&str>,
    env: impl Fn(&str) -> Option<String>,
) -> Option<String> {
    let var = |k: &str| env(k).filter(|v| !v.trim().is_empty());
    let base = match explicit {
        Some(url) => match commit {
            Some(sha) => url.replace("{commit}", sha),
            None => url.to_string(),
        },
        None => {
            if let (Some(server), Some(repo)) = (var("GITHUB_SERVER_URL"), var("GITHUB_REPOSITORY"))
            {
                let sha = commit.map(str::to_string).or_else(|| var("GITHUB_SHA"))?;
                format!("{}/{repo}/blob/{sha}", server.trim_end_matches('/'))
            } else if let Some(project) = var("CI_PROJECT_URL") {
                let sha = commit
                    .map(str::to_string)
                    .or_else(|| var("CI_COMMIT_SHA"))?;
                format!("{}/-/blob/{sha}", project.trim_end_matches('/'))
            } else {
                return None;
            }
        }
    };
    Some(base.trim_end_matches('/').to_string())
}

/// Escapes text for a Markdown table cell or paragraph: HTML, table pipes, code spans,
/// emphasis and link syntax; line breaks and tabs become spaces. Other control and
/// invisible characters (ESC, C1 controls, bidi overrides: see [`crate::textsafe`]) are
/// shown as their escapes (`\x1b`, `\u{202e}`), so a comment read raw in a terminal or
/// rendered cannot be reordered or carry a terminal sequence.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '|' => out.push_str("\\|"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            c if crate::textsafe::is_unsafe(c) => {
                // `\x1b` in Markdown: the backslash escaped so that it shows.
                let mut visible = String::new();
                crate::textsafe::push_visible(&mut visible, c);
                out.push('\\');
                out.push_str(&visible);
            }
            c => out.push(c),
        }
    }
    out
}

/// `<https://…>` for a plain web address, escaped text for anything else.
fn autolink(link: &str) -> String {
    let plain = (link.starts_with("https://") || link.starts_with("http://"))
        && !link
            .chars()
            .any(|c| c.is_whitespace() || crate::textsafe::is_unsafe(c) || "<>\"`".contains(c));
    if plain {
        format!("<{link}>")
    } else {
        escape(link)
    }
}

/// Percent-encodes a repository path for a URL (keeps `/`). Parentheses are encoded too: a
/// `)` in a file name would otherwise end the Markdown link early.
fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        let c = b as char;
        if c.is_ascii_alphanumeric() || "-._~/!$'*+,;=:@".contains(c) {
            out.push(c);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn location(f: &Finding, links: Option<&str>) -> String {
    if f.file.is_empty() {
        // A live object nothing in Git declares: where it lives, no link.
        return escape(&f.place());
    }
    let text = escape(&format!("{}:{}", f.file, f.region.start.line));
    match links {
        Some(base) => format!(
            "[{text}]({base}/{}#L{})",
            encode_path(&f.file),
            f.region.start.line
        ),
        None => text,
    }
}

/// Renders the comment. `links` comes from [`link_base`].
pub fn render(result: &ScanResult, links: Option<&str>) -> String {
    let comparison = result.stats.comparison.as_ref();
    // The table lists what needs attention: active findings (new ones when compared).
    let mut shown: Vec<&Finding> = result.findings.iter().filter(|f| f.is_active()).collect();
    shown.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.sort_key().cmp(&b.sort_key()))
    });
    let mut out = String::new();
    let noun = if comparison.is_some() {
        "new finding"
    } else {
        "finding"
    };
    let headline = match shown.len() {
        0 => format!("no {noun}s"),
        n => format!(
            "{n} {noun}{} ({})",
            if n == 1 { "" } else { "s" },
            severity_breakdown(shown.iter().map(|f| f.severity))
        ),
    };
    let _ = writeln!(out, "### Plumbline: {headline}\n");
    let mut facts = Vec::new();
    if let Some(c) = comparison {
        facts.push(format!("Compared with {}", escape(&c.against)));
        if let Some(n) = c.changed_files {
            facts.push(format!(
                "{n} changed file{} scanned",
                if n == 1 { "" } else { "s" }
            ));
        }
        let mut known = format!("{} pre-existing", c.preexisting());
        if c.not_shown > 0 {
            known.push_str(" (not shown)");
        }
        facts.push(known);
        facts.push(format!("{} fixed", c.fixed));
    } else {
        facts.push(escape(&result.description));
    }
    let waived = result.findings.iter().filter(|f| f.is_suppressed()).count();
    if waived > 0 {
        facts.push(format!("{waived} waived"));
    }
    if result.incomplete() {
        facts.push("**incomplete**: some files or policies could not be processed".to_string());
    }
    let _ = writeln!(out, "{}.\n", facts.join(" · "));
    if !shown.is_empty() {
        let _ = writeln!(out, "| Severity | Rule | Location | Message |");
        let _ = writeln!(out, "|---|---|---|---|");
        for f in shown.iter().take(MAX_ROWS) {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                f.severity.as_str(),
                escape(&f.rule_id),
                location(f, links),
                escape(&f.message)
            );
        }
        if shown.len() > MAX_ROWS {
            let _ = writeln!(
                out,
                "\n… and {} more: see the full report.",
                shown.len() - MAX_ROWS
            );
        }
        out.push('\n');
        let ids: BTreeSet<&str> = shown.iter().map(|f| f.rule_id.as_str()).collect();
        for rule in result.rules.iter().filter(|r| ids.contains(r.id.as_str())) {
            let _ = writeln!(
                out,
                "<details><summary>{} — {} ({})</summary>\n",
                escape(&rule.id),
                escape(&rule.title),
                rule.severity.as_str()
            );
            if !rule.description.is_empty() {
                let _ = writeln!(out, "{}\n", escape(&rule.description));
            }
            if let Some(r) = &rule.remediation {
                let _ = writeln!(out, "**Remediation:** {}\n", escape(r));
            }
            for link in &rule.related_resources {
                let _ = writeln!(out, "- {}", autolink(link));
            }
            if !rule.related_resources.is_empty() {
                out.push('\n');
            }
            let _ = writeln!(out, "</details>\n");
        }
    }
    let fixed: Vec<&Finding> = result
        .findings
        .iter()
        .filter(|f| f.baseline_state == Some(BaselineState::Absent))
        .collect();
    if !fixed.is_empty() && comparison.is_some_and(|c| c.not_shown == 0) {
        let _ = writeln!(
            out,
            "<details><summary>Fixed: {} finding{}</summary>\n",
            fixed.len(),
            if fixed.len() == 1 { "" } else { "s" }
        );
        for f in fixed.iter().take(MAX_ROWS) {
            let _ = writeln!(
                out,
                "- {} {}: {}",
                escape(&f.rule_id),
                escape(&f.place()),
                escape(&f.message)
            );
        }
        let _ = writeln!(out, "\n</details>\n");
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    // A last guard: every untrusted part was escaped above; nothing else may carry a control.
    crate::textsafe::escape_lines(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_would_break_a_table_or_inject_html() {
        assert_eq!(
            escape("a | b <img src=x> `c` *d*\nline"),
            "a \\| b &lt;img src=x&gt; \\`c\\` \\*d\\* line"
        );
        assert_eq!(
            autolink("https://example.com/a_b"),
            "<https://example.com/a_b>"
        );
        assert_eq!(autolink("javascript:<x>"), "javascript:&lt;x&gt;");
    }

    #[test]
    fn terminal_controls_and_bidi_overrides_become_visible() {
        let e = escape("web\x1b[2K\r| x | y |\x1b]52;c;SGk=\x07\u{202e}fdp.exe");
        assert_eq!(
            e,
            "web\\\\x1b\\[2K \\| x \\| y \\|\\\\x1b\\]52;c;SGk=\\\\x07\\\\u{202e}fdp.exe"
        );
        assert!(!e.contains(crate::textsafe::is_unsafe), "{e:?}");
    }

    #[test]
    fn a_parenthesis_in_a_path_cannot_end_a_link() {
        assert_eq!(encode_path("a)b(c.yaml"), "a%29b%28c.yaml");
    }

    #[test]
    fn link_base_from_flag_or_ci_variables() {
        let none = |_: &str| None;
        assert_eq!(link_base(None, Some("abc"), none), None);
        assert_eq!(
            link_base(Some("https://h/o/r/blob/{commit}/"), Some("abc"), none).as_deref(),
            Some("https://h/o/r/blob/abc")
        );
        let github = |k: &str| {
            match k {
                "GITHUB_SERVER_URL" => Some("https://github.com"),
                "GITHUB_REPOSITORY" => Some("org/repo"),
                "GITHUB_SHA" => Some("fromenv"),
                _ => None,
            }
            .map(str::to_string)
        };
        assert_eq!(
            link_base(None, Some("abc"), github).as_deref(),
            Some("https://github.com/org/repo/blob/abc")
        );
        assert_eq!(
            link_base(None, None, github).as_deref(),
            Some("https://github.com/org/repo/blob/fromenv")
        );
        let gitlab = |k: &str| {
            match k {
                "CI_PROJECT_URL" => Some("https://gitlab.example.com/g/p"),
                "CI_COMMIT_SHA" => Some("def"),
                _ => None,
            }
            .map(str::to_string)
        };
        assert_eq!(
            link_base(None, None, gitlab).as_deref(),
            Some("https://gitlab.example.com/g/p/-/blob/def")
        );
        assert_eq!(encode_path("a b/c#d.yaml"), "a%20b/c%23d.yaml");
    }
}
