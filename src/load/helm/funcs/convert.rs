//! Values between JSON and templates, Go's formatting of them (`fmt`'s `%v` and `%q`,
//! `strconv`'s floats, `encoding/json`'s floats), Go's type names, spf13/cast's conversions,
//! and the argument checks Go's `text/template` makes before calling a function.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use gotmpl::{Result, TemplateError, Value};

/// A template map.
pub(crate) type Map = BTreeMap<Arc<str>, Value>;

/// A JSON value as a template value, with Helm's number semantics: values files are read
/// through `sigs.k8s.io/yaml` (YAML to JSON, then `json.Unmarshal` into `interface{}`), so
/// every number is a Go `float64` ([`Value::Float`]), integers included: `3` prints `3`,
/// `10000000` prints `1e+07`. Objects become maps, arrays lists, `null` [`Value::Nil`].
pub fn to_value(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Nil,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => Value::Float(n.as_f64().unwrap_or(0.0)),
        serde_json::Value::String(s) => Value::String(Arc::from(s.as_str())),
        serde_json::Value::Array(a) => Value::List(a.iter().map(to_value).collect()),
        serde_json::Value::Object(o) => Value::Map(Arc::new(
            o.iter()
                .map(|(k, v)| (Arc::from(k.as_str()), to_value(v)))
                .collect(),
        )),
    }
}

/// Like [`to_value`], but JSON integers that fit an `i64` become [`Value::Int`] (a Go `int`):
/// for objects Go holds in typed fields rather than values (`.Release.Revision`, counts),
/// where `eq .Release.Revision 1` must compare two ints.
pub fn to_value_ints(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(0.0)),
        },
        serde_json::Value::Array(a) => Value::List(a.iter().map(to_value_ints).collect()),
        serde_json::Value::Object(o) => Value::Map(Arc::new(
            o.iter()
                .map(|(k, v)| (Arc::from(k.as_str()), to_value_ints(v)))
                .collect(),
        )),
        other => to_value(other),
    }
}

/// A template value as JSON: `Int`/`Uint` as JSON integers, `Float` as JSON floats (NaN and
/// infinities, which JSON cannot hold, as `null`), functions as `null`.
pub fn from_value(v: &Value) -> serde_json::Value {
    match v {
        Value::Nil | Value::Function(_) => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Int(i) => serde_json::Value::from(*i),
        Value::Uint(u) => serde_json::Value::from(*u),
        Value::Float(f) => serde_json::Number::from_f64(*f)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null),
        Value::String(s) => serde_json::Value::String(s.to_string()),
        Value::List(l) => serde_json::Value::Array(l.iter().map(from_value).collect()),
        Value::Map(m) if m.contains_key(GO_JSON_KEY) => {
            m.get(GO_JSON_KEY).map(from_value).unwrap_or_default()
        }
        Value::Map(m) => serde_json::Value::Object(
            m.iter()
                .map(|(k, v)| (k.to_string(), from_value(v)))
                .collect(),
        ),
    }
}

// ---------------------------------------------------------------------------------------
// Floats

/// The shortest decimal digits that round-trip `f` (which must be finite and non-zero), and
/// the position of the decimal point: `f = 0.d1d2d3... * 10^dp`.
fn shortest_digits(f: f64) -> (String, i32) {
    // Rust's `{:e}` prints the shortest round-tripping digits, as Go's `'g', -1` does.
    let s = format!("{:e}", f.abs());
    let (mant, exp) = s.split_once('e').unwrap_or((s.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    (digits, exp + 1)
}

/// `%e` layout of shortest digits: `d.ddde+XX` (exponent at least two digits).
fn fmt_e(neg: bool, digits: &str, dp: i32) -> String {
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    let mut chars = digits.chars();
    out.push(chars.next().unwrap_or('0'));
    let rest: String = chars.collect();
    if !rest.is_empty() {
        out.push('.');
        out.push_str(&rest);
    }
    let exp = dp - 1;
    out.push('e');
    out.push(if exp < 0 { '-' } else { '+' });
    let e = exp.unsigned_abs();
    if e < 10 {
        out.push('0');
    }
    let _ = write!(out, "{e}");
    out
}

/// `%f` layout of shortest digits (as many decimals as the digits need).
fn fmt_f(neg: bool, digits: &str, dp: i32) -> String {
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    let nd = digits.len() as i32;
    if dp <= 0 {
        out.push_str("0.");
        for _ in 0..(-dp) {
            out.push('0');
        }
        out.push_str(digits);
    } else if dp >= nd {
        out.push_str(digits);
        for _ in 0..(dp - nd) {
            out.push('0');
        }
    } else {
        out.push_str(&digits[..dp as usize]);
        out.push('.');
        out.push_str(&digits[dp as usize..]);
    }
    out
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 64)`, which is also `fmt`'s `%v` of a `float64`:
/// the shortest digits, in exponent form when the exponent is below -4 or at least 6
/// (`1e+06`, `1.5e-05`, `123456`, `0.0001`), `NaN`, `+Inf`, `-Inf`.
pub fn format_float_v(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    let (digits, dp) = shortest_digits(f);
    let exp = dp - 1;
    if !(-4..6).contains(&exp) {
        fmt_e(f < 0.0, &digits, dp)
    } else {
        fmt_f(f < 0.0, &digits, dp)
    }
}

/// Go's `encoding/json` text of a `float64` (`None` for NaN and infinities, which it
/// rejects): plain decimal digits, in exponent form only below 1e-6 or from 1e21 on, with
/// the exponent's leading zero dropped (`1e-7`, `1e+21`).
pub(crate) fn format_float_json(f: f64) -> Option<String> {
    if !f.is_finite() {
        return None;
    }
    if f == 0.0 {
        return Some(if f.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        });
    }
    let (digits, dp) = shortest_digits(f);
    let abs = f.abs();
    if !(1e-6..1e21).contains(&abs) {
        let mut s = fmt_e(f < 0.0, &digits, dp);
        // Go: "clean up e-09 to e-9".
        let n = s.len();
        if n >= 4 && &s[n - 4..n - 2] == "e-" && s.as_bytes()[n - 2] == b'0' {
            s.remove(n - 2);
        }
        Some(s)
    } else {
        Some(fmt_f(f < 0.0, &digits, dp))
    }
}

// ---------------------------------------------------------------------------------------
// Go structs

/// The key of a map standing for a Go struct (`.Capabilities.KubeVersion`) under which its
/// `%v` text lies (`{v1.36.0 v1.36.0 1 36}`): [`go_sprint`] prints that instead of the map.
pub const GO_PRINT_KEY: &str = "\u{0}print";

/// The key of a map standing for a Go struct under which the value its JSON marshalling
/// gives lies (the struct's `json` tags, fields left out): `toJson`, `toYaml` and
/// [`from_value`] encode that instead of the map. The map's other keys are the struct's
/// fields, for field access.
pub const GO_JSON_KEY: &str = "\u{0}json";

/// A map standing for a Go struct: `fields` for field access, `printed` as `%v` prints it
/// (printed as a map if `None`), `json` as its JSON marshalling gives it. The two hidden
/// keys are seen by `range`, `keys` and `len` over the map (Go ranges over no struct).
pub fn go_struct(fields: Vec<(&str, Value)>, printed: Option<&str>, json: Value) -> Value {
    let mut m: Map = fields.into_iter().map(|(k, v)| (Arc::from(k), v)).collect();
    if let Some(p) = printed {
        m.insert(Arc::from(GO_PRINT_KEY), Value::String(Arc::from(p)));
    }
    m.insert(Arc::from(GO_JSON_KEY), json);
    Value::Map(Arc::new(m))
}

// ---------------------------------------------------------------------------------------
// fmt

/// Go's `fmt.Sprint("%v", v)` of a template value: `<nil>`, numbers as Go prints them
/// (floats through [`format_float_v`]), lists as `[a b]`, maps as `map[k:v k2:v2]` with
/// sorted keys.
pub fn go_sprint(v: &Value) -> String {
    let mut out = String::new();
    sprint_into(&mut out, v);
    out
}

fn sprint_into(out: &mut String, v: &Value) {
    match v {
        Value::Nil => out.push_str("<nil>"),
        Value::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Uint(u) => {
            let _ = write!(out, "{u}");
        }
        Value::Float(f) => out.push_str(&format_float_v(*f)),
        Value::String(s) => out.push_str(s),
        Value::List(l) => {
            out.push('[');
            for (i, item) in l.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                sprint_into(out, item);
            }
            out.push(']');
        }
        Value::Map(m) if m.contains_key(GO_PRINT_KEY) => {
            if let Some(p) = m.get(GO_PRINT_KEY) {
                sprint_into(out, p);
            }
        }
        Value::Map(m) => {
            out.push_str("map[");
            // Keys starting with NUL are the engine's markers (see [`GO_JSON_KEY`]).
            let shown = m.iter().filter(|(k, _)| !k.starts_with('\u{0}'));
            for (i, (k, item)) in shown.enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(k);
                out.push(':');
                sprint_into(out, item);
            }
            out.push(']');
        }
        Value::Function(_) => out.push_str("<func>"),
    }
}

/// sprig's `strval`: a string as it is, anything else as `%v`.
pub(crate) fn strval(v: &Value) -> String {
    match v {
        Value::String(s) => s.to_string(),
        other => go_sprint(other),
    }
}

/// Whether Go's `unicode.IsPrint` holds (approximately: Rust has no general category table;
/// controls, non-ASCII spaces, format characters, private use and noncharacters are not
/// printable).
fn is_go_print(c: char) -> bool {
    let u = c as u32;
    if u < 0x20 || (0x7f..0xa0).contains(&u) {
        return false;
    }
    if c == ' ' {
        return true;
    }
    if c.is_whitespace() {
        return false;
    }
    !matches!(u,
        0xad | 0x600..=0x605 | 0x61c | 0x6dd | 0x70f | 0x180e | 0x200b..=0x200f
        | 0x202a..=0x202e | 0x2060..=0x2064 | 0x2066..=0x206f | 0xfeff | 0xfff9..=0xfffb
        | 0xe000..=0xf8ff | 0xf0000..=0x10ffff | 0xfffe | 0xffff)
}

/// Go's `strconv.Quote` (`fmt`'s `%q` of a string).
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if is_go_print(c) => out.push(c),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if (c as u32) < 0x10000 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
    }
    out.push('"');
    out
}

// ---------------------------------------------------------------------------------------
// Types

/// Go's `%T` of the value: `<nil>`, `bool`, `int`, `uint64`, `float64`, `string`,
/// `[]interface {}`, `map[string]interface {}`. Every integer is reported as `int` (Go's
/// `int64` results of `add`/`int64` cannot be told apart here).
pub(crate) fn go_type_name(v: &Value) -> &'static str {
    match v {
        Value::Nil => "<nil>",
        Value::Bool(_) => "bool",
        Value::Int(_) => "int",
        Value::Uint(_) => "uint64",
        Value::Float(_) => "float64",
        Value::String(_) => "string",
        Value::List(_) => "[]interface {}",
        Value::Map(_) => "map[string]interface {}",
        Value::Function(_) => "func()",
    }
}

/// Go's `reflect.Kind` name of the value (`invalid` for nil).
pub(crate) fn go_kind_name(v: &Value) -> &'static str {
    match v {
        Value::Nil => "invalid",
        Value::Bool(_) => "bool",
        Value::Int(_) => "int",
        Value::Uint(_) => "uint64",
        Value::Float(_) => "float64",
        Value::String(_) => "string",
        Value::List(_) => "slice",
        Value::Map(_) => "map",
        Value::Function(_) => "func",
    }
}

/// sprig's `empty`: nil, false, 0, "", an empty list or map.
pub(crate) fn is_empty(v: &Value) -> bool {
    !v.is_truthy()
}

// ---------------------------------------------------------------------------------------
// Errors and arguments

/// An execution error with Go's message.
pub(crate) fn err(msg: impl Into<String>) -> TemplateError {
    TemplateError::Exec(msg.into())
}

/// The error of a function that returned one (or panicked) in Go:
/// `error calling NAME: MESSAGE`.
/// The most items a function makes in one list (`until`, `untilStep`): an untrusted chart
/// must not make the scan allocate without bound.
pub(crate) const MAX_ITEMS: u64 = 1_000_000;
/// The most bytes a function makes in one string (`repeat`, `indent`, `randAlphaNum`…).
pub(crate) const MAX_STRING_BYTES: u64 = 64 << 20;

/// An error when `size` is past `limit`: what `name` would make is too large.
pub(crate) fn within(name: &str, size: u64, limit: u64) -> Result<()> {
    if size > limit {
        return Err(call_err(
            name,
            format!("the result would be {size} items or bytes, past plumbline's limit of {limit}"),
        ));
    }
    Ok(())
}

pub(crate) fn call_err(name: &str, msg: impl std::fmt::Display) -> TemplateError {
    TemplateError::Exec(format!("error calling {name}: {msg}"))
}

/// Go's check of a fixed argument count.
pub(crate) fn arity(name: &str, args: &[Value], n: usize) -> Result<()> {
    if args.len() != n {
        return Err(err(format!(
            "wrong number of args for {name}: want {n} got {}",
            args.len()
        )));
    }
    Ok(())
}

/// Go's check of a variadic function's fixed arguments.
pub(crate) fn arity_min(name: &str, args: &[Value], n: usize) -> Result<()> {
    if args.len() < n {
        return Err(err(format!(
            "wrong number of args for {name}: want at least {n} got {}",
            args.len()
        )));
    }
    Ok(())
}

fn wrong_type(expected: &str, got: &Value) -> TemplateError {
    match got {
        Value::Nil => err(format!("invalid value; expected {expected}")),
        other => err(format!(
            "wrong type for value; expected {expected}; got {}",
            go_type_name(other)
        )),
    }
}

/// A `string` parameter: only a string is accepted (Go converts nothing).
pub(crate) fn arg_str(args: &[Value], i: usize) -> Result<&str> {
    match args.get(i) {
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(wrong_type("string", other)),
        None => Err(err("invalid value; expected string")),
    }
}

/// An `int` parameter: an integer (a `float64` from values is refused, as in Go).
pub(crate) fn arg_int(args: &[Value], i: usize) -> Result<i64> {
    match args.get(i) {
        Some(Value::Int(n)) => Ok(*n),
        Some(Value::Uint(n)) => Ok(*n as i64),
        Some(other) => Err(wrong_type("int", other)),
        None => Err(err("invalid value; expected int")),
    }
}

/// A `bool` parameter.
pub(crate) fn arg_bool(args: &[Value], i: usize) -> Result<bool> {
    match args.get(i) {
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(wrong_type("bool", other)),
        None => Err(err("invalid value; expected bool")),
    }
}

/// A `float64` parameter.
pub(crate) fn arg_float(args: &[Value], i: usize) -> Result<f64> {
    match args.get(i) {
        Some(Value::Float(f)) => Ok(*f),
        Some(other) => Err(wrong_type("float64", other)),
        None => Err(err("invalid value; expected float64")),
    }
}

/// A `map[string]interface{}` parameter: `None` for nil (Go passes a nil map, which reads as
/// empty).
pub(crate) fn arg_map(args: &[Value], i: usize) -> Result<Option<&Arc<Map>>> {
    match args.get(i) {
        Some(Value::Map(m)) => Ok(Some(m)),
        Some(Value::Nil) | None => Ok(None),
        Some(other) => Err(wrong_type("map[string]interface {}", other)),
    }
}

/// A `[]interface{}` parameter: `None` for nil.
pub(crate) fn arg_list(args: &[Value], i: usize) -> Result<Option<&Arc<[Value]>>> {
    match args.get(i) {
        Some(Value::List(l)) => Ok(Some(l)),
        Some(Value::Nil) | None => Ok(None),
        Some(other) => Err(wrong_type("[]interface {}", other)),
    }
}

/// An argument of any type (`interface{}`), nil when missing.
pub(crate) fn arg(args: &[Value], i: usize) -> &Value {
    static NIL: Value = Value::Nil;
    args.get(i).unwrap_or(&NIL)
}

/// A string value.
pub(crate) fn string(s: impl Into<Arc<str>>) -> Value {
    Value::String(s.into())
}

/// A list value.
pub(crate) fn list(items: Vec<Value>) -> Value {
    Value::List(items.into())
}

/// A map value.
pub(crate) fn map(m: Map) -> Value {
    Value::Map(Arc::new(m))
}

// ---------------------------------------------------------------------------------------
// spf13/cast

/// cast's `trimZeroDecimal`: `"1.0"` → `"1"`, `"1.5"` unchanged.
fn trim_zero_decimal(s: &str) -> &str {
    let b = s.as_bytes();
    let mut found_zero = false;
    let mut i = b.len();
    while i > 0 {
        match b[i - 1] {
            b'.' => {
                if found_zero {
                    return &s[..i - 1];
                }
            }
            b'0' => found_zero = true,
            _ => return s,
        }
        i -= 1;
    }
    s
}

/// Go's `strconv.ParseInt(s, 0, 64)`: sign, `0x`/`0o`/`0b`/leading-`0` octal prefixes,
/// underscores between digits when a prefix... (Go allows them with base 0 anywhere the
/// syntax of Go literals allows).
pub(crate) fn parse_int_base0(s: &str) -> Option<i64> {
    let (neg, rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mag = parse_uint_base0(rest)?;
    if neg {
        if mag <= i64::MAX as u64 + 1 {
            Some((mag as i64).wrapping_neg())
        } else {
            None
        }
    } else {
        i64::try_from(mag).ok()
    }
}

/// Go's `strconv.ParseUint(s, 0, 64)`.
pub(crate) fn parse_uint_base0(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let lower = s.to_ascii_lowercase();
    let (radix, digits, prefixed) = if let Some(r) = lower.strip_prefix("0x") {
        (16, r.to_string(), true)
    } else if let Some(r) = lower.strip_prefix("0o") {
        (8, r.to_string(), true)
    } else if let Some(r) = lower.strip_prefix("0b") {
        (2, r.to_string(), true)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, lower[1..].to_string(), true)
    } else {
        (10, lower.clone(), false)
    };
    // Underscores: only between digits, or right after a base prefix.
    let bytes = digits.as_bytes();
    if bytes.is_empty() {
        return None;
    }
    let mut clean = String::with_capacity(bytes.len());
    for (i, &c) in bytes.iter().enumerate() {
        if c == b'_' {
            let prev_ok = if i == 0 {
                prefixed
            } else {
                bytes[i - 1] != b'_'
            };
            let next_ok = i + 1 < bytes.len() && bytes[i + 1] != b'_';
            if !prev_ok || !next_ok {
                return None;
            }
        } else {
            clean.push(c as char);
        }
    }
    u64::from_str_radix(&clean, radix).ok()
}

/// spf13/cast's `ToInt64` (errors give 0, as sprig ignores them): integers as they are,
/// floats truncated, strings parsed as Go integer literals (`"1.0"` accepted), booleans
/// 1/0, nil 0.
pub(crate) fn to_int64(v: &Value) -> i64 {
    match v {
        Value::Int(i) => *i,
        Value::Uint(u) => *u as i64,
        Value::Float(f) => *f as i64,
        Value::String(s) => parse_int_base0(trim_zero_decimal(s)).unwrap_or(0),
        Value::Bool(b) => i64::from(*b),
        _ => 0,
    }
}

/// Go's `strconv.ParseFloat(s, 64)` (decimal, exponent, `inf`/`infinity`/`nan` in any case,
/// hexadecimal floats are not supported).
pub(crate) fn parse_float(s: &str) -> Option<f64> {
    let t = s.strip_prefix('+').unwrap_or(s);
    let l = t.to_ascii_lowercase();
    let body = l.strip_prefix('-').unwrap_or(&l);
    if body == "inf" || body == "infinity" {
        return Some(if l.starts_with('-') {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    if body == "nan" {
        return Some(f64::NAN);
    }
    if !body
        .bytes()
        .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'-' | b'+'))
        || body.is_empty()
    {
        return None;
    }
    l.parse::<f64>().ok()
}

/// spf13/cast's `ToFloat64` (errors give 0).
pub(crate) fn to_float64(v: &Value) -> f64 {
    match v {
        Value::Int(i) => *i as f64,
        Value::Uint(u) => *u as f64,
        Value::Float(f) => *f,
        Value::String(s) => parse_float(s).unwrap_or(0.0),
        Value::Bool(b) => f64::from(u8::from(*b)),
        _ => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_v_matches_go() {
        assert_eq!(format_float_v(3.0), "3");
        assert_eq!(format_float_v(10000000.0), "1e+07");
        assert_eq!(format_float_v(1000000.0), "1e+06");
        assert_eq!(format_float_v(999999.0), "999999");
        assert_eq!(format_float_v(123456789.0), "1.23456789e+08");
        assert_eq!(format_float_v(0.0001), "0.0001");
        assert_eq!(format_float_v(0.00001), "1e-05");
        assert_eq!(format_float_v(1.5), "1.5");
        assert_eq!(format_float_v(-2.25), "-2.25");
        assert_eq!(format_float_v(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(format_float_v(1e21), "1e+21");
        assert_eq!(format_float_v(-0.0), "-0");
        assert_eq!(format_float_v(f64::INFINITY), "+Inf");
        assert_eq!(format_float_v(f64::NAN), "NaN");
    }

    #[test]
    fn float_json_matches_go() {
        assert_eq!(format_float_json(10000000.0).unwrap(), "10000000");
        assert_eq!(format_float_json(1e20).unwrap(), "100000000000000000000");
        assert_eq!(format_float_json(1e21).unwrap(), "1e+21");
        assert_eq!(format_float_json(0.000001).unwrap(), "0.000001");
        assert_eq!(format_float_json(0.0000001).unwrap(), "1e-7");
        assert_eq!(format_float_json(1.5e-10).unwrap(), "1.5e-10");
        assert_eq!(format_float_json(3.0).unwrap(), "3");
        assert_eq!(format_float_json(0.5).unwrap(), "0.5");
        assert!(format_float_json(f64::NAN).is_none());
    }

    #[test]
    fn sprint_nested() {
        let v = to_value(&serde_json::json!({"b": [1, "x", null], "a": 1.5}));
        assert_eq!(go_sprint(&v), "map[a:1.5 b:[1 x <nil>]]");
        assert_eq!(go_sprint(&to_value(&serde_json::json!(10000000))), "1e+07");
    }

    #[test]
    fn quote_like_go() {
        assert_eq!(go_quote("a\"b\\c\n\t"), r#""a\"b\\c\n\t""#);
        assert_eq!(go_quote("é\u{1}\u{a0}"), "\"é\\x01\\u00a0\"");
        assert_eq!(go_quote("😀"), "\"😀\"");
    }

    #[test]
    fn cast_rules() {
        assert_eq!(to_int64(&Value::Float(3.9)), 3);
        assert_eq!(to_int64(&string("42")), 42);
        assert_eq!(to_int64(&string("1.0")), 1);
        assert_eq!(to_int64(&string("1.5")), 0);
        assert_eq!(to_int64(&string("0x1F")), 31);
        assert_eq!(to_int64(&string("010")), 8);
        assert_eq!(to_int64(&string("1_000")), 1000);
        assert_eq!(to_int64(&string("abc")), 0);
        assert_eq!(to_int64(&Value::Bool(true)), 1);
        assert_eq!(to_int64(&Value::Nil), 0);
        assert_eq!(to_float64(&string("1.5")), 1.5);
        assert_eq!(to_float64(&string("1e3")), 1000.0);
        assert_eq!(to_float64(&Value::Int(2)), 2.0);
    }

    #[test]
    fn json_round_trip() {
        let j = serde_json::json!({"a": [true, null, "s"], "n": 2.5});
        assert_eq!(from_value(&to_value(&j)), j);
        assert_eq!(to_value_ints(&serde_json::json!(3)), Value::Int(3));
    }
}
