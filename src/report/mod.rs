//! One module per output format; SARIF is the reference format.

pub mod codeclimate;
pub mod gitlab;
pub mod html;
pub mod json;
pub mod markdown;
pub mod merge;
pub mod read;
pub mod sarif;
pub mod text;

use std::path::Path;

pub const TOOL_NAME: &str = "plumbline";
pub const INFORMATION_URI: &str = "https://github.com/plumbline-dev/plumbline";

/// Output formats of `scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Sarif,
    /// A merge-request comment (`.md`).
    Markdown,
    /// GitLab's SAST security report (`artifacts:reports:sast`); only `--format` selects it.
    GitlabSast,
    /// GitLab's code quality report, Code Climate issues (`artifacts:reports:codequality`);
    /// only `--format` selects it.
    Codeclimate,
}

/// Colour in text output (`--color`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl Format {
    /// The format a file name implies (`report.sarif` → SARIF). GitLab's reports are JSON
    /// files too (`gl-sast-report.json`), so no extension implies them.
    pub fn from_extension(path: &Path) -> Option<Self> {
        let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
        if name.ends_with(".sarif") || name.ends_with(".sarif.json") {
            Some(Self::Sarif)
        } else if name.ends_with(".json") {
            Some(Self::Json)
        } else if name.ends_with(".md") || name.ends_with(".markdown") {
            Some(Self::Markdown)
        } else {
            None
        }
    }
}

/// Replaces the value of a source line that may hold a credential, for text output.
pub fn redact_line(line: &str, secret_resource: bool) -> String {
    const WORDS: [&str; 9] = [
        "password",
        "passwd",
        "secret",
        "token",
        "apikey",
        "api_key",
        "private",
        "credential",
        "auth",
    ];
    let lower = line.to_ascii_lowercase();
    let keyed_secret = lower
        .split_once(':')
        .is_some_and(|(k, _)| WORDS.iter().any(|w| k.contains(w)));
    if secret_resource || keyed_secret {
        if let Some((k, v)) = line.split_once(':') {
            if !v.trim().is_empty() {
                return format!("{k}: ****");
            }
        }
    }
    // A line that names a credential anywhere (`- name: DB_PASSWORD`, `ENV API_TOKEN=…`,
    // `{name: X_TOKEN, value: …}`) or holds a well-known credential format: mask everything
    // after the first `:` or `=` (after the first word when there is neither).
    const NAMED: [&str; 8] = [
        "password",
        "passwd",
        "secret",
        "token",
        "apikey",
        "api_key",
        "credential",
        "private_key",
    ];
    if NAMED.iter().any(|w| lower.contains(w)) || has_credential_format(line) {
        if let Some(i) = line.find([':', '=']) {
            if !line[i + 1..].trim().is_empty() {
                let sep = if line[i..].starts_with(':') {
                    ": "
                } else {
                    "="
                };
                return format!("{}{sep}****", &line[..i]);
            }
        } else {
            let indent = line.len() - line.trim_start().len();
            if let Some(i) = line[indent..].find(char::is_whitespace) {
                return format!("{} ****", &line[..indent + i]);
            }
        }
    }
    line.to_string()
}

/// Whether a line holds a value in a well-known credential format: a PEM private key, an
/// AWS access key id, a GitHub, GitLab or Slack token.
fn has_credential_format(line: &str) -> bool {
    if line.contains("PRIVATE KEY-----") {
        return true;
    }
    let words = line.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'));
    words.into_iter().any(|w| {
        let aws = (w.starts_with("AKIA") || w.starts_with("ASIA"))
            && w.len() == 20
            && w.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        let prefixed = [
            "ghp_",
            "gho_",
            "ghu_",
            "ghs_",
            "ghr_",
            "github_pat_",
            "glpat-",
            "xoxb-",
            "xoxp-",
            "xoxa-",
            "xoxs-",
        ]
        .iter()
        .any(|p| w.starts_with(p) && w.len() >= p.len() + 10);
        aws || prefixed
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_credential_lines() {
        assert_eq!(
            redact_line("  password: hunter2", false),
            "  password: ****"
        );
        assert_eq!(redact_line("  tls.key: LS0t", true), "  tls.key: ****");
        assert_eq!(
            redact_line("  image: nginx:1.25", false),
            "  image: nginx:1.25"
        );
        assert_eq!(redact_line("  stringData:", true), "  stringData:");
    }

    #[test]
    fn redacts_lines_that_name_or_hold_a_credential() {
        assert_eq!(
            redact_line("        - name: DB_PASSWORD", false),
            "        - name: ****"
        );
        assert_eq!(
            redact_line("        - {name: API_TOKEN, value: tok-123}", false),
            "        - {name: ****"
        );
        assert_eq!(
            redact_line("ENV DB_PASSWORD=hunter2", false),
            "ENV DB_PASSWORD=****"
        );
        assert_eq!(
            redact_line("ARG DEPLOY=AKIAIOSFODNN7EXAMPLE", false),
            "ARG DEPLOY=****"
        );
        assert_eq!(
            redact_line("RUN echo ghp_0123456789abcdefghij > /t", false),
            "RUN ****"
        );
        assert_eq!(redact_line("ARG GITHUB_TOKEN", false), "ARG ****");
        assert_eq!(redact_line("      env:", false), "      env:");
        assert_eq!(redact_line("FROM alpine:3.20", false), "FROM alpine:3.20");
    }
}
