//! sprig's string functions (strings.go, goutils, xstrings) and the string-slice ones.

use std::sync::Arc;

use gotmpl::{FuncMap, Result, Value};

use super::convert::{
    arg, arg_int, arg_str, arity, call_err, go_quote, go_sprint, list, map, string, strval, Map,
};
use super::reg;

/// Go's `unicode.IsSpace`.
fn is_space(c: char) -> bool {
    c.is_whitespace()
}

/// A byte prefix of `s` of at most `n` bytes, cut back to a character boundary (Go slices
/// bytes and may split a character; a Rust string cannot hold the broken half).
fn byte_prefix(s: &str, n: usize) -> &str {
    let mut n = n.min(s.len());
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    &s[..n]
}

fn byte_suffix(s: &str, from: usize) -> &str {
    let mut n = from.min(s.len());
    while !s.is_char_boundary(n) {
        n += 1;
    }
    &s[n..]
}

/// Go's `unicode.ToUpper`/`ToLower` map one rune to one rune; Rust's may give several
/// (`ß` → `SS`), which Go leaves alone.
fn upper_char(c: char) -> char {
    let mut it = c.to_uppercase();
    match (it.next(), it.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

fn lower_char(c: char) -> char {
    let mut it = c.to_lowercase();
    match (it.next(), it.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

/// Go's `strings.Title`'s separators.
fn is_separator(c: char) -> bool {
    if c.is_ascii() {
        return !(c.is_ascii_alphanumeric() || c == '_');
    }
    if c.is_alphabetic() || c.is_numeric() {
        return false;
    }
    is_space(c)
}

pub(crate) fn title(s: &str) -> String {
    let mut prev = ' ';
    s.chars()
        .map(|c| {
            let out = if is_separator(prev) { upper_char(c) } else { c };
            prev = c;
            out
        })
        .collect()
}

/// sprig's `trunc`.
fn trunc(c: i64, s: &str) -> &str {
    let len = s.len() as i64;
    if c < 0 && len + c > 0 {
        return byte_suffix(s, (len + c) as usize);
    }
    if c >= 0 && len > c {
        return byte_prefix(s, c as usize);
    }
    s
}

/// Go's `strings.Split` (and `SplitN` with `n`): an empty separator splits into characters.
pub(crate) fn go_split(s: &str, sep: &str, n: i64) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    if sep.is_empty() {
        let chars: Vec<char> = s.chars().collect();
        let limit = if n < 0 {
            chars.len()
        } else {
            (n as usize).min(chars.len())
        };
        let mut out: Vec<String> = Vec::with_capacity(limit);
        for (i, c) in chars.iter().enumerate() {
            if n > 0 && out.len() + 1 == limit && i < chars.len() {
                out.push(chars[i..].iter().collect());
                return out;
            }
            out.push(c.to_string());
        }
        return out;
    }
    if n < 0 {
        s.split(sep).map(str::to_string).collect()
    } else {
        s.splitn(n as usize, sep).map(str::to_string).collect()
    }
}

/// sprig's `strslice`: a list's non-nil elements as strings (`%v`), a single value as a
/// one-element list, nil as an empty list.
pub(crate) fn strslice(v: &Value) -> Vec<String> {
    match v {
        Value::List(l) => l
            .iter()
            .filter(|i| !matches!(i, Value::Nil))
            .map(strval)
            .collect(),
        Value::Nil => Vec::new(),
        other => vec![strval(other)],
    }
}

fn index_map(parts: Vec<String>) -> Value {
    let m: Map = parts
        .into_iter()
        .enumerate()
        .map(|(i, p)| (Arc::from(format!("_{i}")), string(p)))
        .collect();
    map(m)
}

/// goutils' `AbbreviateFull`.
fn abbreviate_full(s: &str, offset: i64, max_width: i64) -> std::result::Result<String, String> {
    if s.is_empty() {
        return Ok(String::new());
    }
    if max_width < 4 {
        return Err("stringutils illegal argument: Minimum abbreviation width is 4".into());
    }
    let len = s.len() as i64;
    if len <= max_width {
        return Ok(s.to_string());
    }
    let mut offset = offset.min(len);
    if len - offset < max_width - 3 {
        offset = len - (max_width - 3);
    }
    let marker = "...";
    if offset <= 4 {
        return Ok(format!(
            "{}{marker}",
            byte_prefix(s, (max_width - 3) as usize)
        ));
    }
    if max_width < 7 {
        return Err(
            "stringutils illegal argument: Minimum abbreviation width with offset is 7".into(),
        );
    }
    if offset + max_width - 3 < len {
        let rest = byte_suffix(s, offset as usize);
        let inner = abbreviate_full(rest, 0, max_width - 3)?;
        return Ok(format!("{marker}{inner}"));
    }
    Ok(format!(
        "{marker}{}",
        byte_suffix(s, (len - (max_width - 3)) as usize)
    ))
}

/// goutils' `WrapCustom`.
fn wrap_custom(s: &str, wrap_length: i64, new_line: &str, wrap_long_words: bool) -> String {
    if s.is_empty() {
        return String::new();
    }
    let new_line = if new_line.is_empty() { "\n" } else { new_line };
    let wrap = wrap_length.max(1) as usize;
    let b = s.as_bytes();
    let len = b.len();
    let mut offset = 0usize;
    let mut out: Vec<u8> = Vec::new();
    while len - offset > wrap {
        if b[offset] == b' ' {
            offset += 1;
            continue;
        }
        let end = (wrap + offset + 1).min(len);
        let space = b[offset..end].iter().rposition(|&c| c == b' ');
        match space {
            Some(sp) => {
                out.extend_from_slice(&b[offset..offset + sp]);
                out.extend_from_slice(new_line.as_bytes());
                offset += sp + 1;
            }
            None => {
                if wrap_long_words {
                    out.extend_from_slice(&b[offset..wrap + offset]);
                    out.extend_from_slice(new_line.as_bytes());
                    offset += wrap;
                } else {
                    let end = wrap + offset;
                    match b[end..].iter().position(|&c| c == b' ') {
                        None => {
                            out.extend_from_slice(&b[offset..]);
                            offset = len;
                        }
                        Some(idx) => {
                            let sp = idx + end;
                            out.extend_from_slice(&b[offset..sp]);
                            out.extend_from_slice(new_line.as_bytes());
                            offset = sp + 1;
                        }
                    }
                }
            }
        }
    }
    out.extend_from_slice(&b[offset..]);
    String::from_utf8_lossy(&out).into_owned()
}

/// goutils' `Initials`: the first rune of each whitespace-separated word.
fn initials(s: &str) -> String {
    let mut out = String::new();
    let mut last_was_gap = true;
    for c in s.chars() {
        if is_space(c) {
            last_was_gap = true;
        } else if last_was_gap {
            out.push(c);
            last_was_gap = false;
        }
    }
    out
}

/// goutils' `SwapCase`: upper and title case to lower, lower case to upper.
fn swapcase(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_uppercase() {
                lower_char(c)
            } else if c.is_lowercase() {
                upper_char(c)
            } else {
                c
            }
        })
        .collect()
}

/// huandu/xstrings' word splitting for the case conversions: words break at non
/// alphanumerics and at lower-to-upper and letter/digit transitions.
fn words(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if let Some(&p) = cur.chars().last().as_ref() {
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            let boundary = (p.is_lowercase() && c.is_uppercase())
                || (p.is_uppercase() && c.is_uppercase() && next_lower)
                || (p.is_numeric() != c.is_numeric());
            if boundary {
                out.push(std::mem::take(&mut cur));
            }
        }
        cur.push(c);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn snake(s: &str, sep: char) -> String {
    words(s)
        .iter()
        .map(|w| w.chars().map(lower_char).collect::<String>())
        .collect::<Vec<_>>()
        .join(&sep.to_string())
}

/// xstrings' `ToCamelCase`: `_`-separated words joined, each capitalised, the first letter
/// of the input capitalised.
fn camel(s: &str) -> String {
    let mut out = String::new();
    let mut upper_next = true;
    for c in s.chars() {
        if c == '_' || c == ' ' || c == '-' {
            upper_next = true;
            continue;
        }
        if upper_next {
            out.push(upper_char(c));
            upper_next = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// `strings.Repeat(" ", n)`, which panics on a negative count.
fn pad(name: &str, n: i64) -> Result<String> {
    if n < 0 {
        return Err(call_err(name, "strings: negative Repeat count"));
    }
    // Each line of the text gets the padding: a page of it is plenty.
    super::convert::within(name, n as u64, 4096)?;
    Ok(" ".repeat(n as usize))
}

pub(crate) fn register(m: &mut FuncMap) {
    reg(m, "trunc", |n, a| {
        arity(n, a, 2)?;
        Ok(string(trunc(arg_int(a, 0)?, arg_str(a, 1)?)))
    });
    reg(m, "trim", |n, a| {
        arity(n, a, 1)?;
        Ok(string(arg_str(a, 0)?.trim_matches(is_space)))
    });
    reg(m, "upper", |n, a| {
        arity(n, a, 1)?;
        Ok(string(
            arg_str(a, 0)?.chars().map(upper_char).collect::<String>(),
        ))
    });
    reg(m, "lower", |n, a| {
        arity(n, a, 1)?;
        Ok(string(
            arg_str(a, 0)?.chars().map(lower_char).collect::<String>(),
        ))
    });
    reg(m, "title", |n, a| {
        arity(n, a, 1)?;
        Ok(string(title(arg_str(a, 0)?)))
    });
    reg(m, "untitle", |n, a| {
        arity(n, a, 1)?;
        let s = arg_str(a, 0)?;
        let mut c = s.chars();
        Ok(string(match c.next() {
            Some(f) => format!("{}{}", lower_char(f), c.as_str()),
            None => String::new(),
        }))
    });
    reg(m, "substr", |n, a| {
        arity(n, a, 3)?;
        let (start, end, s) = (arg_int(a, 0)?, arg_int(a, 1)?, arg_str(a, 2)?);
        let len = s.len() as i64;
        let oob = |lo: i64, hi: i64| {
            call_err(
                n,
                format!("runtime error: slice bounds out of range [{lo}:{hi}]"),
            )
        };
        let (lo, hi) = if start < 0 {
            (0, end)
        } else if end < 0 || end > len {
            (start, len)
        } else {
            (start, end)
        };
        if lo < 0 || hi < lo || hi > len {
            return Err(oob(lo, hi));
        }
        Ok(string(byte_suffix(
            byte_prefix(s, hi as usize),
            lo as usize,
        )))
    });
    reg(m, "repeat", |n, a| {
        arity(n, a, 2)?;
        let count = arg_int(a, 0)?;
        if count < 0 {
            return Err(call_err(n, "strings: negative Repeat count"));
        }
        let s = arg_str(a, 1)?;
        super::convert::within(
            n,
            (count as u64).saturating_mul(s.len() as u64),
            super::convert::MAX_STRING_BYTES,
        )?;
        Ok(string(s.repeat(count as usize)))
    });
    for name in ["trimall", "trimAll"] {
        reg(m, name, |n, a| {
            arity(n, a, 2)?;
            let cutset = arg_str(a, 0)?;
            Ok(string(arg_str(a, 1)?.trim_matches(|c| cutset.contains(c))))
        });
    }
    reg(m, "trimSuffix", |n, a| {
        arity(n, a, 2)?;
        let (suffix, s) = (arg_str(a, 0)?, arg_str(a, 1)?);
        Ok(string(s.strip_suffix(suffix).unwrap_or(s)))
    });
    reg(m, "trimPrefix", |n, a| {
        arity(n, a, 2)?;
        let (prefix, s) = (arg_str(a, 0)?, arg_str(a, 1)?);
        Ok(string(s.strip_prefix(prefix).unwrap_or(s)))
    });
    reg(m, "nospace", |n, a| {
        arity(n, a, 1)?;
        Ok(string(
            arg_str(a, 0)?
                .chars()
                .filter(|c| !is_space(*c))
                .collect::<String>(),
        ))
    });
    reg(m, "initials", |n, a| {
        arity(n, a, 1)?;
        Ok(string(initials(arg_str(a, 0)?)))
    });
    reg(m, "swapcase", |n, a| {
        arity(n, a, 1)?;
        Ok(string(swapcase(arg_str(a, 0)?)))
    });
    reg(m, "snakecase", |n, a| {
        arity(n, a, 1)?;
        Ok(string(snake(arg_str(a, 0)?, '_')))
    });
    reg(m, "kebabcase", |n, a| {
        arity(n, a, 1)?;
        Ok(string(snake(arg_str(a, 0)?, '-')))
    });
    reg(m, "camelcase", |n, a| {
        arity(n, a, 1)?;
        Ok(string(camel(arg_str(a, 0)?)))
    });
    reg(m, "wrap", |n, a| {
        arity(n, a, 2)?;
        Ok(string(wrap_custom(
            arg_str(a, 1)?,
            arg_int(a, 0)?,
            "",
            false,
        )))
    });
    reg(m, "wrapWith", |n, a| {
        arity(n, a, 3)?;
        Ok(string(wrap_custom(
            arg_str(a, 2)?,
            arg_int(a, 0)?,
            arg_str(a, 1)?,
            true,
        )))
    });
    reg(m, "contains", |n, a| {
        arity(n, a, 2)?;
        Ok(Value::Bool(arg_str(a, 1)?.contains(arg_str(a, 0)?)))
    });
    reg(m, "hasPrefix", |n, a| {
        arity(n, a, 2)?;
        Ok(Value::Bool(arg_str(a, 1)?.starts_with(arg_str(a, 0)?)))
    });
    reg(m, "hasSuffix", |n, a| {
        arity(n, a, 2)?;
        Ok(Value::Bool(arg_str(a, 1)?.ends_with(arg_str(a, 0)?)))
    });
    reg(m, "quote", |_, a| {
        let out: Vec<String> = a
            .iter()
            .filter(|v| !matches!(v, Value::Nil))
            .map(|v| go_quote(&strval(v)))
            .collect();
        Ok(string(out.join(" ")))
    });
    reg(m, "squote", |_, a| {
        let out: Vec<String> = a
            .iter()
            .filter(|v| !matches!(v, Value::Nil))
            .map(|v| format!("'{}'", go_sprint(v)))
            .collect();
        Ok(string(out.join(" ")))
    });
    reg(m, "cat", |_, a| {
        let out: Vec<String> = a
            .iter()
            .filter(|v| !matches!(v, Value::Nil))
            .map(go_sprint)
            .collect();
        Ok(string(out.join(" ")))
    });
    reg(m, "indent", |n, a| {
        arity(n, a, 2)?;
        let pad = pad(n, arg_int(a, 0)?)?;
        let s = arg_str(a, 1)?;
        Ok(string(format!(
            "{pad}{}",
            s.replace('\n', &format!("\n{pad}"))
        )))
    });
    reg(m, "nindent", |n, a| {
        arity(n, a, 2)?;
        let pad = pad(n, arg_int(a, 0)?)?;
        let s = arg_str(a, 1)?;
        Ok(string(format!(
            "\n{pad}{}",
            s.replace('\n', &format!("\n{pad}"))
        )))
    });
    reg(m, "replace", |n, a| {
        arity(n, a, 3)?;
        let (old, new, src) = (arg_str(a, 0)?, arg_str(a, 1)?, arg_str(a, 2)?);
        Ok(string(src.replace(old, new)))
    });
    reg(m, "plural", |n, a| {
        arity(n, a, 3)?;
        let (one, many, count) = (arg_str(a, 0)?, arg_str(a, 1)?, arg_int(a, 2)?);
        Ok(string(if count == 1 { one } else { many }))
    });
    reg(m, "toString", |n, a| {
        arity(n, a, 1)?;
        Ok(string(strval(arg(a, 0))))
    });
    reg(m, "abbrev", |n, a| {
        arity(n, a, 2)?;
        let (width, s) = (arg_int(a, 0)?, arg_str(a, 1)?);
        if width < 4 {
            return Ok(string(s));
        }
        Ok(string(abbreviate_full(s, 0, width).unwrap_or_default()))
    });
    reg(m, "abbrevboth", |n, a| {
        arity(n, a, 3)?;
        let (left, right, s) = (arg_int(a, 0)?, arg_int(a, 1)?, arg_str(a, 2)?);
        if right < 4 || (left > 0 && right < 7) {
            return Ok(string(s));
        }
        Ok(string(abbreviate_full(s, left, right).unwrap_or_default()))
    });
    reg(m, "split", |n, a| {
        arity(n, a, 2)?;
        Ok(index_map(go_split(arg_str(a, 1)?, arg_str(a, 0)?, -1)))
    });
    reg(m, "splitn", |n, a| {
        arity(n, a, 3)?;
        let (sep, count, s) = (arg_str(a, 0)?, arg_int(a, 1)?, arg_str(a, 2)?);
        Ok(index_map(go_split(s, sep, count)))
    });
    reg(m, "splitList", |n, a| {
        arity(n, a, 2)?;
        Ok(list(
            go_split(arg_str(a, 1)?, arg_str(a, 0)?, -1)
                .into_iter()
                .map(string)
                .collect(),
        ))
    });
    reg(m, "toStrings", |n, a| {
        arity(n, a, 1)?;
        Ok(list(strslice(arg(a, 0)).into_iter().map(string).collect()))
    });
    reg(m, "join", |n, a| {
        arity(n, a, 2)?;
        let sep = arg_str(a, 0)?;
        Ok(string(strslice(arg(a, 1)).join(sep)))
    });
    reg(m, "sortAlpha", |n, a| {
        arity(n, a, 1)?;
        let v = arg(a, 0);
        let mut items = match v {
            Value::List(_) => strslice(v),
            other => vec![strval(other)],
        };
        items.sort();
        Ok(list(items.into_iter().map(string).collect()))
    });
    reg(m, "atoi", |n, a| {
        arity(n, a, 1)?;
        let s = arg_str(a, 0)?;
        // strconv.Atoi: decimal digits with an optional sign.
        let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
        let ok = !digits.is_empty() && digits.bytes().all(|c| c.is_ascii_digit());
        Ok(Value::Int(if ok {
            s.parse::<i64>().unwrap_or(0)
        } else {
            0
        }))
    });
    reg(m, "seq", |_, a| {
        let mut params = Vec::with_capacity(a.len());
        for i in 0..a.len() {
            params.push(arg_int(a, i)?);
        }
        Ok(string(super::math::seq(&params)))
    });
    reg(m, "hello", |n, a| {
        arity(n, a, 0)?;
        Ok(string("Hello!"))
    });
    reg(m, "regexQuoteMeta", |n, a| {
        arity(n, a, 1)?;
        Ok(string(super::regex::quote_meta(arg_str(a, 0)?)))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trunc_edges() {
        assert_eq!(trunc(5, "hello world"), "hello");
        assert_eq!(trunc(-5, "hello world"), "world");
        assert_eq!(trunc(20, "hello"), "hello");
        assert_eq!(trunc(-20, "hello"), "hello");
        assert_eq!(trunc(0, "hello"), "");
        assert_eq!(trunc(63, &"a".repeat(70)).len(), 63);
    }

    #[test]
    fn split_like_go() {
        assert_eq!(go_split("a/b/c", "/", -1), vec!["a", "b", "c"]);
        assert_eq!(go_split("a/b/c", "/", 2), vec!["a", "b/c"]);
        assert_eq!(go_split("", "/", -1), vec![""]);
        assert_eq!(go_split("abc", "", -1), vec!["a", "b", "c"]);
        assert_eq!(go_split("abc", "", 2), vec!["a", "bc"]);
        assert!(go_split("abc", "/", 0).is_empty());
    }

    #[test]
    fn title_and_case() {
        assert_eq!(title("hello world-foo_bar"), "Hello World-Foo_bar");
        assert_eq!(snake("fooBarBaz"), "foo_bar_baz");
        assert_eq!(camel("foo_bar"), "FooBar");
        assert_eq!(swapcase("Hello World"), "hELLO wORLD");
        assert_eq!(initials("hello big world"), "hbw");
    }

    fn snake(s: &str) -> String {
        super::snake(s, '_')
    }

    #[test]
    fn abbrev_and_wrap() {
        assert_eq!(abbreviate_full("hello world", 0, 5).unwrap(), "he...");
        assert_eq!(
            wrap_custom("hello world foo", 5, "", false),
            "hello\nworld\nfoo"
        );
        assert_eq!(
            wrap_custom("abcdefgh ij", 3, "\n", true),
            "abc\ndef\ngh\nij"
        );
    }
}
