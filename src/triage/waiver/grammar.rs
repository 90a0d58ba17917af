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

use std::fmt;

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
                let date = Date::parse(&value).map_err(|e| GrammarError(format!("until: {e}")))?;
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

/// A calendar date (`YYYY-MM-DD`), for expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// Parses `YYYY-MM-DD`, checking that the day exists.
    pub fn parse(s: &str) -> Result<Self, String> {
        let bad = || format!("{s:?} is not a date: write YYYY-MM-DD, e.g. 2025-06-30");
        let parts: Vec<&str> = s.trim().split('-').collect();
        if parts.len() != 3
            || parts[0].len() != 4
            || parts[1].len() != 2
            || parts[2].len() != 2
            || !parts.iter().all(|p| p.chars().all(|c| c.is_ascii_digit()))
        {
            return Err(bad());
        }
        let year: i32 = parts[0].parse().map_err(|_| bad())?;
        let month: u32 = parts[1].parse().map_err(|_| bad())?;
        let day: u32 = parts[2].parse().map_err(|_| bad())?;
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return Err(format!("{s:?} is not a day of the calendar"));
        }
        Ok(Self { year, month, day })
    }

    /// Today's date (UTC) from the clock, or `PLUMBLINE_TODAY` when it is set.
    pub fn today() -> Result<Self, String> {
        if let Some(v) = std::env::var_os("PLUMBLINE_TODAY") {
            let v = v.to_string_lossy();
            return Self::parse(&v).map_err(|e| format!("PLUMBLINE_TODAY: {e}"));
        }
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_err(|e| format!("the system clock is before 1970: {e}"))?
            .as_secs();
        Ok(Self::from_days((secs / 86_400) as i64))
    }

    /// The civil date `days` after 1970-01-01 (Howard Hinnant's algorithm).
    fn from_days(days: i64) -> Self {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Self { year, month, day }
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
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

    #[test]
    fn dates() {
        assert!(Date::parse("2024-02-29").is_ok());
        assert!(Date::parse("2023-02-29").is_err());
        assert!(Date::parse("2024-1-01").is_err());
        assert_eq!(Date::from_days(0).to_string(), "1970-01-01");
        assert_eq!(Date::from_days(19_782).to_string(), "2024-02-29");
        assert!(Date::parse("2024-12-31").unwrap() < Date::parse("2025-01-01").unwrap());
    }
}
