//! sprig's regular expressions, with Go's RE2 semantics on Rust's `regex`: the syntax is
//! the same except that Go's `\d`, `\w`, `\s` and `\b` are ASCII-only (translated here), and
//! `\Q...\E` (quoted here). Matching, `FindAll`, `ReplaceAll` (with `$1`/`${name}`
//! expansion) and `Split` follow Go's handling of empty matches.

use gotmpl::{FuncMap, Result, Value};
use regex::Regex;

use super::convert::{arg_int, arg_str, arity, call_err, list, string};
use super::reg;

/// Go's pattern in Rust's syntax.
fn translate(pattern: &str) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut in_class = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' && i + 1 < chars.len() {
            let e = chars[i + 1];
            i += 2;
            match (e, in_class) {
                ('d', false) => out.push_str("[0-9]"),
                ('D', false) => out.push_str("[^0-9]"),
                ('w', false) => out.push_str("[0-9A-Za-z_]"),
                ('W', false) => out.push_str("[^0-9A-Za-z_]"),
                ('s', false) => out.push_str(r"[\t\n\f\r ]"),
                ('S', false) => out.push_str(r"[^\t\n\f\r ]"),
                ('b', false) => out.push_str(r"(?-u:\b)"),
                ('B', false) => out.push_str(r"(?-u:\B)"),
                ('d', true) => out.push_str("0-9"),
                ('w', true) => out.push_str("0-9A-Za-z_"),
                ('s', true) => out.push_str(r"\t\n\f\r "),
                ('D', true) => out.push_str("[^0-9]"),
                ('W', true) => out.push_str("[^0-9A-Za-z_]"),
                ('S', true) => out.push_str(r"[^\t\n\f\r ]"),
                ('Q', _) => {
                    let mut lit = String::new();
                    while i < chars.len() {
                        if chars[i] == '\\' && chars.get(i + 1) == Some(&'E') {
                            i += 2;
                            break;
                        }
                        lit.push(chars[i]);
                        i += 1;
                    }
                    out.push_str(&regex::escape(&lit));
                }
                (e, _) => {
                    out.push('\\');
                    out.push(e);
                }
            }
            // In a class, a `-` after a class escape (`[\w-.]`) is a literal in Go; in Rust
            // it would make a range from the escape's last character.
            if in_class
                && matches!(e, 'd' | 'w' | 's' | 'D' | 'W' | 'S')
                && chars.get(i) == Some(&'-')
                && chars.get(i + 1) != Some(&']')
            {
                out.push_str(r"\-");
                i += 1;
            }
            continue;
        }
        if in_class {
            if c == ']' {
                in_class = false;
            } else if c == '[' && chars.get(i + 1) != Some(&':') {
                // A literal `[` inside a class (Rust would read a nested class).
                out.push_str(r"\[");
                i += 1;
                continue;
            } else if c == '[' {
                // `[:alpha:]`: copy through its closing `:]`.
                let start = i;
                while i < chars.len() && !(chars[i] == ']' && chars[i - 1] == ':' && i > start + 1)
                {
                    out.push(chars[i]);
                    i += 1;
                }
                if i < chars.len() {
                    out.push(']');
                    i += 1;
                }
                continue;
            } else if (c == '&' || c == '~' || c == '-') && chars.get(i + 1) == Some(&c) {
                // Rust reads `&&`, `~~`, `--` as class set operations.
                out.push('\\');
                out.push(c);
                i += 1;
                continue;
            }
            out.push(c);
            i += 1;
            continue;
        }
        if c == '[' {
            in_class = true;
            out.push(c);
            i += 1;
            // `[]` and `[^]` at the start hold a literal `]`.
            if chars.get(i) == Some(&'^') {
                out.push('^');
                i += 1;
            }
            if chars.get(i) == Some(&']') {
                out.push_str(r"\]");
                i += 1;
            }
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

/// Go's `regexp.Compile`.
pub(crate) fn compile(pattern: &str) -> std::result::Result<Regex, String> {
    Regex::new(&translate(pattern)).map_err(|e| {
        let msg = e.to_string();
        let last = msg
            .lines()
            .rev()
            .find(|l| l.starts_with("error: "))
            .map(|l| l.trim_start_matches("error: ").to_string())
            .unwrap_or(msg);
        format!("error parsing regexp: {last}: `{pattern}`")
    })
}

/// `regexp.MustCompile`'s panic message.
fn must_compile(name: &str, pattern: &str) -> Result<Regex> {
    compile(pattern).map_err(|e| call_err(name, format!("regexp: Compile(`{pattern}`): {e}")))
}

fn next_char_width(s: &str, pos: usize) -> usize {
    s[pos..].chars().next().map_or(0, char::len_utf8)
}

/// Go's `allMatches`: at most `n` matches (all when `n < 0`), no empty match right after a
/// match.
fn all_matches(re: &Regex, s: &str, n: i64) -> Vec<(usize, usize)> {
    let limit = if n < 0 { usize::MAX } else { n as usize };
    let mut out = Vec::new();
    let mut pos = 0usize;
    let mut prev_end: Option<usize> = None;
    while out.len() < limit && pos <= s.len() {
        let Some(m) = re.find_at(s, pos) else {
            break;
        };
        let mut accept = true;
        if m.end() == pos {
            if Some(m.start()) == prev_end {
                accept = false;
            }
            let w = next_char_width(s, pos);
            pos += if w == 0 { 1 } else { w };
        } else {
            pos = m.end();
        }
        prev_end = Some(m.end());
        if accept {
            out.push((m.start(), m.end()));
        }
    }
    out
}

/// Go's `ReplaceAllString` (`literal == false`, with `$` expansion) or
/// `ReplaceAllLiteralString`.
pub(crate) fn replace_all(re: &Regex, src: &str, repl: &str, literal: bool) -> String {
    let mut dst = String::with_capacity(src.len());
    let mut last_end = 0usize;
    let mut search = 0usize;
    while search <= src.len() {
        let Some(caps) = re.captures_at(src, search) else {
            break;
        };
        let Some(m) = caps.get(0) else {
            break;
        };
        dst.push_str(&src[last_end..m.start()]);
        if m.end() > last_end || m.start() == 0 {
            if literal {
                dst.push_str(repl);
            } else {
                caps.expand(repl, &mut dst);
            }
        }
        last_end = m.end();
        let w = next_char_width(src, search);
        if search + w > m.end() {
            search += w;
        } else if search + 1 > m.end() {
            search += 1;
        } else {
            search = m.end();
        }
    }
    dst.push_str(&src[last_end.min(src.len())..]);
    dst
}

/// Go's `Regexp.Split`.
pub(crate) fn split(re: &Regex, s: &str, n: i64) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    if !re.as_str().is_empty() && s.is_empty() {
        return vec![String::new()];
    }
    let matches = all_matches(re, s, n);
    let mut out = Vec::with_capacity(matches.len() + 1);
    let (mut beg, mut end) = (0usize, 0usize);
    for (a, b) in matches {
        if n > 0 && out.len() as i64 == n - 1 {
            break;
        }
        end = a;
        if b != 0 {
            out.push(s[beg..end].to_string());
        }
        beg = b;
    }
    if end != s.len() {
        out.push(s[beg..].to_string());
    }
    out
}

/// Go's `regexp.QuoteMeta`.
pub(crate) fn quote_meta(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if r"\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn strings(v: Vec<String>) -> Value {
    list(v.into_iter().map(string).collect())
}

pub(crate) fn register(m: &mut FuncMap) {
    reg(m, "regexMatch", |n, a| {
        arity(n, a, 2)?;
        let (p, s) = (arg_str(a, 0)?, arg_str(a, 1)?);
        Ok(Value::Bool(compile(p).is_ok_and(|re| re.is_match(s))))
    });
    reg(m, "mustRegexMatch", |n, a| {
        arity(n, a, 2)?;
        let re = compile(arg_str(a, 0)?).map_err(|e| call_err(n, e))?;
        Ok(Value::Bool(re.is_match(arg_str(a, 1)?)))
    });
    reg(m, "regexFindAll", |n, a| {
        arity(n, a, 3)?;
        let re = must_compile(n, arg_str(a, 0)?)?;
        let (s, count) = (arg_str(a, 1)?, arg_int(a, 2)?);
        Ok(strings(
            all_matches(&re, s, count)
                .into_iter()
                .map(|(x, y)| s[x..y].to_string())
                .collect(),
        ))
    });
    reg(m, "mustRegexFindAll", |n, a| {
        arity(n, a, 3)?;
        let re = compile(arg_str(a, 0)?).map_err(|e| call_err(n, e))?;
        let (s, count) = (arg_str(a, 1)?, arg_int(a, 2)?);
        Ok(strings(
            all_matches(&re, s, count)
                .into_iter()
                .map(|(x, y)| s[x..y].to_string())
                .collect(),
        ))
    });
    reg(m, "regexFind", |n, a| {
        arity(n, a, 2)?;
        let re = must_compile(n, arg_str(a, 0)?)?;
        Ok(string(re.find(arg_str(a, 1)?).map_or("", |m| m.as_str())))
    });
    reg(m, "mustRegexFind", |n, a| {
        arity(n, a, 2)?;
        let re = compile(arg_str(a, 0)?).map_err(|e| call_err(n, e))?;
        Ok(string(re.find(arg_str(a, 1)?).map_or("", |m| m.as_str())))
    });
    reg(m, "regexReplaceAll", |n, a| {
        arity(n, a, 3)?;
        let re = must_compile(n, arg_str(a, 0)?)?;
        Ok(string(replace_all(
            &re,
            arg_str(a, 1)?,
            arg_str(a, 2)?,
            false,
        )))
    });
    reg(m, "mustRegexReplaceAll", |n, a| {
        arity(n, a, 3)?;
        let re = compile(arg_str(a, 0)?).map_err(|e| call_err(n, e))?;
        Ok(string(replace_all(
            &re,
            arg_str(a, 1)?,
            arg_str(a, 2)?,
            false,
        )))
    });
    reg(m, "regexReplaceAllLiteral", |n, a| {
        arity(n, a, 3)?;
        let re = must_compile(n, arg_str(a, 0)?)?;
        Ok(string(replace_all(
            &re,
            arg_str(a, 1)?,
            arg_str(a, 2)?,
            true,
        )))
    });
    reg(m, "mustRegexReplaceAllLiteral", |n, a| {
        arity(n, a, 3)?;
        let re = compile(arg_str(a, 0)?).map_err(|e| call_err(n, e))?;
        Ok(string(replace_all(
            &re,
            arg_str(a, 1)?,
            arg_str(a, 2)?,
            true,
        )))
    });
    reg(m, "regexSplit", |n, a| {
        arity(n, a, 3)?;
        let re = must_compile(n, arg_str(a, 0)?)?;
        Ok(strings(split(&re, arg_str(a, 1)?, arg_int(a, 2)?)))
    });
    reg(m, "mustRegexSplit", |n, a| {
        arity(n, a, 3)?;
        let re = compile(arg_str(a, 0)?).map_err(|e| call_err(n, e))?;
        Ok(strings(split(&re, arg_str(a, 1)?, arg_int(a, 2)?)))
    });
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_dash_after_a_class_escape_is_a_literal() {
        let re = super::compile(r"^[\w-\.]+$").unwrap();
        assert!(re.is_match("my-master.group_1"));
        assert!(!re.is_match("a b"));
    }

    use super::*;

    fn re(p: &str) -> Regex {
        compile(p).unwrap()
    }

    #[test]
    fn ascii_classes_like_go() {
        assert!(!re(r"^\d+$").is_match("٣"));
        assert!(re(r"^\d+$").is_match("123"));
        assert!(!re(r"^\w+$").is_match("é"));
        assert!(re(r"^[\w.-]+$").is_match("a.b-c_1"));
        assert!(re(r"^[[:alpha:]]+$").is_match("abc"));
        assert!(re(r"\Qa.b\E").is_match("a.b"));
        assert!(!re(r"^\Qa.b\E$").is_match("axb"));
        assert!(re(r"[]a]").is_match("]"));
        assert!(re(r"\bfoo\b").is_match("a foo b"));
        // Go's `\b` is ASCII: `é` is not a word character.
        assert!(re(r"\bfoo\b").is_match("éfooé"));
    }

    #[test]
    fn replace_like_go() {
        assert_eq!(
            replace_all(&re("a(x*)b"), "-ab-axxb-", "${1}W", false),
            "-W-xxW-"
        );
        assert_eq!(replace_all(&re("a(x*)b"), "-ab-axxb-", "$1W", false), "---");
        assert_eq!(
            replace_all(&re("a(x*)b"), "-ab-axxb-", "$1W", true),
            "-$1W-$1W-"
        );
        assert_eq!(replace_all(&re("a*"), "baaac", "X", false), "XbXcX");
        assert_eq!(
            replace_all(&re(r"[^a-z0-9-]"), "My_App.v2", "-", false),
            "-y--pp-v2"
        );
    }

    #[test]
    fn split_and_find_like_go() {
        assert_eq!(split(&re("z+"), "pizza", -1), vec!["pi", "a"]);
        assert_eq!(split(&re("z+"), "pizza", 1), vec!["pizza"]);
        assert_eq!(split(&re(""), "abc", -1), vec!["a", "b", "c"]);
        assert_eq!(split(&re("a*"), "baaac", -1), vec!["b", "c"]);
        assert_eq!(split(&re(","), "", -1), vec![""]);
        let s = "abaabaccadaaae";
        let found: Vec<&str> = all_matches(&re("a{2}"), s, -1)
            .into_iter()
            .map(|(x, y)| &s[x..y])
            .collect();
        assert_eq!(found, vec!["aa", "aa"]);
        assert_eq!(all_matches(&re("a*"), "baaa", -1), vec![(0, 0), (1, 4)]);
    }

    #[test]
    fn quote_meta_like_go() {
        assert_eq!(quote_meta("1.5+x"), r"1\.5\+x");
    }
}
