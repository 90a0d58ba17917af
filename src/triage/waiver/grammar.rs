//! The waiver grammar, independent of any file format:
//!
//! ```text
//! plumbline:ignore RULE-ID[,RULE-ID…] reason="…" [until=YYYY-MM-DD]
//! ```
//!
//! [`parse_comment`] takes the text of one comment *without* its comment marker, so every
//! loader can reuse it: the YAML loader hands it what follows `#`; the Terraform loader
//! (HCL) will hand it what follows `#` or `//` (or the inside of `/* … */`). [`parse_spec`]
//! parses the same grammar without the `plumbline:ignore` marker, as written in the
//! `plumbline.dev/ignore` annotation.
//!
//! Rule ids may be globs (`PL-K8S-*`, or `*` for every rule); a reason is required all the
//! same. `until` is the last day the waiver applies (inclusive).

use crate::date::Date;

/// The marker that starts a waiver comment.
pub const MARKER: &str = "plumbline:ignore";

/// A parsed waiver: which rules, why, and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// Rule ids or globs, as written.
    pub rules: Vec<String>,
    pub reason: String,
    pub until: Option<Date>,
}

/// Why a waiver could not be read; the message says what to write instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct GrammarError(pub String);

fn err<T>(msg: impl Into<String>) -> Result<T, GrammarError> {
    Err(GrammarError(msg.into()))
}

const FORM: &str = "write `plumbline:ignore RULE-ID[,RULE-ID] reason=\"why\" [until=YYYY-MM-DD]`";

/// Parses one comment's text (without `#` or `//`). `None` when the comment is not a waiver
/// (it does not start with `plumbline:ignore`); `Some(Err(_))` when it is one, malformed.
pub fn parse_comment(comment: &str) -> Option<Result<Directive, GrammarError>> {
    let rest = comment.trim_start().strip_prefix(MARKER)?;
    if !(rest.is_empty() || rest.starts_with(char::is_whitespace)) {
        // `plumbline:ignored`, `plumbline:ignore-foo`: a waiver with a typo in the marker
        // must not pass unnoticed, and must not apply.
        let word: String = rest.chars().take_while(|c| !c.is_whitespace()).collect();
        return Some(err(format!("unknown directive `{MARKER}{word}`: {FORM}")));
    }
    Some(parse_spec(rest))
}

/// Parses `RULE-ID[,RULE-ID] reason="…" [until=YYYY-MM-DD]` (no marker).
pub fn parse_spec(text: &str) -> Result<Directive, GrammarError> {
    let text = text.trim();
    let (rules_part, mut rest) = match text.find(char::is_whitespace) {
        Some(i) => (&text[..i], text[i..].trim_start()),
        None => (text, ""),
    };
    if rules_part.is_empty() {
        return err(format!("no rule id: {FORM}"));
    }
    if rules_part.contains('=') {
        return err(format!("the rule ids come first: {FORM}"));
    }
    let mut rules = Vec::new();
    for id in rules_part.split(',') {
        if id.is_empty() {
            return err(format!(
                "empty rule id in {rules_part:?}: separate rule ids with commas, no spaces"
            ));
        }
        check_rule_id(id)?;
        rules.push(id.to_string());
    }
    let mut reason: Option<String> = None;
    let mut until: Option<Date> = None;
    while !rest.is_empty() {
        let Some(eq) = rest.find('=') else {
            let word = rest.split_whitespace().next().unwrap_or(rest);
            return err(format!(
                "unexpected {word:?}: separate rule ids with commas and no spaces, and give \
                 options as key=value; {FORM}"
            ));
        };
        let key = &rest[..eq];
        if key.is_empty() || key.contains(char::is_whitespace) {
            let word = rest.split_whitespace().next().unwrap_or(rest);
            return err(format!("unexpected {word:?}: {FORM}"));
        }
        let (value, tail) = value(&rest[eq + 1..])?;
        rest = tail.trim_start();
        match key {
            "reason" => {
                if reason.replace(value).is_some() {
                    return err("`reason` is given twice");
                }
            }
            "until" => {
                let date =
                    Date::parse_exact(&value).map_err(|e| GrammarError(format!("until: {e}")))?;
                if until.replace(date).is_some() {
                    return err("`until` is given twice");
                }
            }
            other => {
                return err(format!(
                    "unknown option `{other}`: the options are reason=\"…\" and until=YYYY-MM-DD"
                ))
            }
        }
    }
    let reason = match reason {
        Some(r) if !r.trim().is_empty() => r.trim().to_string(),
        Some(_) => {
            return err(format!(
                "the reason is empty: say why the rule does not apply; {FORM}"
            ))
        }
        None => return err(format!("a reason is required: {FORM}")),
    };
    Ok(Directive {
        rules,
        reason,
        until,
    })
}

/// A rule id or glob: letters, digits and `-_.:/`, with `*`, `?` as wildcards.
pub fn check_rule_id(id: &str) -> Result<(), GrammarError> {
    let ok = id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.:/*?".contains(c));
    if ok && !id.is_empty() {
        Ok(())
    } else {
        err(format!(
            "{id:?} is not a rule id: use ids such as PL-K8S-0003, globs such as PL-K8S-*, or *"
        ))
    }
}

/// A value: `"double quoted"` (with `\"` and `\\` escapes), `'single quoted'`, or a bare
/// word up to the next space. Returns the value and what follows it.
fn value(s: &str) -> Result<(String, &str), GrammarError> {
    let mut chars = s.char_indices();
    match chars.next() {
        Some((_, q @ ('"' | '\''))) => {
            let mut out = String::new();
            let mut escaped = false;
            for (i, c) in chars {
                if escaped {
                    out.push(c);
                    escaped = false;
                } else if c == '\\' && q == '"' {
                    escaped = true;
                } else if c == q {
                    let tail = &s[i + c.len_utf8()..];
                    if !(tail.is_empty() || tail.starts_with(char::is_whitespace)) {
                        return err(format!("expected a space after the closing {q}"));
                    }
                    return Ok((out, tail));
                } else {
                    out.push(c);
                }
            }
            err(format!("unterminated quoted value: close it with {q}"))
        }
        Some(_) => {
            let end = s.find(char::is_whitespace).unwrap_or(s.len());
            Ok((s[..end].to_string(), &s[end..]))
        }
        None => Ok((String::new(), "")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_full_form() {
        let d = parse_comment(r#" plumbline:ignore PL-K8S-0003,TEST-* reason="needs \"raw\" sockets" until=2025-01-31"#)
            .unwrap()
            .unwrap();
        assert_eq!(d.rules, ["PL-K8S-0003", "TEST-*"]);
        assert_eq!(d.reason, "needs \"raw\" sockets");
        assert_eq!(d.until.unwrap().to_string(), "2025-01-31");
        let d = parse_spec("* reason=legacy").unwrap();
        assert_eq!((d.rules[0].as_str(), d.reason.as_str()), ("*", "legacy"));
    }

    #[test]
    fn other_comments_are_not_waivers() {
        assert!(parse_comment(" just a comment").is_none());
        assert!(parse_comment(" see plumbline:ignore docs").is_none());
    }

    #[test]
    fn malformed_waivers_are_errors() {
        for bad in [
            " plumbline:ignore",
            " plumbline:ignore PL-1",
            " plumbline:ignore PL-1 reason=\"\"",
            " plumbline:ignore PL-1 reason=\"  \"",
            " plumbline:ignore PL-1, PL-2 reason=x",
            " plumbline:ignore PL-1 reason=\"open",
            " plumbline:ignore PL-1 reason=x until=2025-02-30",
            " plumbline:ignore PL-1 reason=x until=tomorrow",
            " plumbline:ignore PL-1 reason=x owner=me",
            " plumbline:ignore PL-1 reason=x reason=y",
            " plumbline:ignored PL-1 reason=x",
            " plumbline:ignore reason=x",
        ] {
            assert!(parse_comment(bad).unwrap().is_err(), "{bad}");
        }
    }
}
