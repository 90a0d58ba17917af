//! JSON as Go's `encoding/json` writes and reads it: `toJson` (Helm's: `json.Marshal`,
//! empty on error), `mustToJson`, `toRawJson` (no HTML escaping), `toPrettyJson`
//! (`MarshalIndent` with two spaces), `fromJson` (Helm's: a map, with `Error` on failure),
//! `fromJsonArray`, `mustFromJson` (sprig's: any value).

use std::fmt::Write as _;
use std::sync::Arc;

use gotmpl::Value;

use super::convert::{format_float_json, string, Map};

/// Why Go's marshalling fails.
#[derive(Debug)]
pub(crate) struct MarshalError(pub String);

/// Writes a JSON string as Go does: `"` and `\` escaped, `\b \f \n \r \t`, other controls
/// as `\u00XX`, U+2028/U+2029 as `\u2028`/`\u2029`, and with `html` also `<`, `>`, `&`.
fn write_str(out: &mut String, s: &str, html: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' if html => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn write_value(
    out: &mut String,
    v: &Value,
    html: bool,
    indent: Option<&str>,
    depth: usize,
) -> Result<(), MarshalError> {
    let newline = |out: &mut String, depth: usize| {
        if let Some(ind) = indent {
            out.push('\n');
            for _ in 0..depth {
                out.push_str(ind);
            }
        }
    };
    match v {
        Value::Nil => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Uint(u) => {
            let _ = write!(out, "{u}");
        }
        Value::Float(f) => match format_float_json(*f) {
            Some(s) => out.push_str(&s),
            None => {
                return Err(MarshalError(format!(
                    "json: unsupported value: {}",
                    super::convert::format_float_v(*f)
                )))
            }
        },
        Value::String(s) => write_str(out, s, html),
        Value::List(l) => {
            if l.is_empty() {
                out.push_str("[]");
                return Ok(());
            }
            out.push('[');
            for (i, item) in l.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, depth + 1);
                write_value(out, item, html, indent, depth + 1)?;
            }
            newline(out, depth);
            out.push(']');
        }
        Value::Map(m) if m.contains_key(super::convert::GO_JSON_KEY) => {
            if let Some(j) = m.get(super::convert::GO_JSON_KEY) {
                write_value(out, j, html, indent, depth)?;
            }
        }
        Value::Map(m) => {
            if m.is_empty() {
                out.push_str("{}");
                return Ok(());
            }
            out.push('{');
            // BTreeMap order is Go's: keys sorted by bytes.
            for (i, (k, item)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, depth + 1);
                write_str(out, k, html);
                out.push(':');
                if indent.is_some() {
                    out.push(' ');
                }
                write_value(out, item, html, indent, depth + 1)?;
            }
            newline(out, depth);
            out.push('}');
        }
        Value::Function(_) => {
            return Err(MarshalError("json: unsupported type: func()".into()));
        }
    }
    Ok(())
}

/// `json.Marshal` (HTML-escaping).
pub(crate) fn marshal(v: &Value) -> Result<String, MarshalError> {
    let mut out = String::new();
    write_value(&mut out, v, true, None, 0)?;
    Ok(out)
}

/// `json.Encoder` with `SetEscapeHTML(false)`, final newline trimmed.
pub(crate) fn marshal_raw(v: &Value) -> Result<String, MarshalError> {
    let mut out = String::new();
    write_value(&mut out, v, false, None, 0)?;
    Ok(out)
}

/// `json.MarshalIndent(v, "", "  ")`.
pub(crate) fn marshal_pretty(v: &Value) -> Result<String, MarshalError> {
    let mut out = String::new();
    write_value(&mut out, v, true, Some("  "), 0)?;
    Ok(out)
}

/// Go's message for a JSON syntax error, as close as serde_json lets us say it.
fn go_json_error(e: &serde_json::Error, text: &str) -> String {
    if e.is_eof() || text.trim().is_empty() {
        return "unexpected end of JSON input".into();
    }
    // Go: "invalid character 'x' looking for beginning of value".
    let line = e.line();
    let col = e.column();
    let ch = text
        .lines()
        .nth(line.saturating_sub(1))
        .and_then(|l| l.chars().nth(col.saturating_sub(1)));
    match ch {
        Some(c) => format!("invalid character '{c}' looking for beginning of value"),
        None => e.to_string(),
    }
}

/// `json.Unmarshal` into `interface{}`: numbers become `float64`.
pub(crate) fn unmarshal(text: &str) -> Result<Value, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| go_json_error(&e, text))?;
    Ok(super::convert::to_value(&v))
}

/// Helm's `fromJson`.
pub(crate) fn from_json(text: &str) -> Value {
    let mut m = Map::new();
    match unmarshal(text) {
        Ok(Value::Map(parsed)) => return Value::Map(parsed),
        Ok(Value::Nil) => {}
        Ok(other) => {
            m.insert(
                Arc::from("Error"),
                string(format!(
                    "json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                    super::yaml::json_kind(&other)
                )),
            );
        }
        Err(e) => {
            m.insert(Arc::from("Error"), string(e));
        }
    }
    super::convert::map(m)
}

/// Helm's `fromJsonArray`.
pub(crate) fn from_json_array(text: &str) -> Value {
    match unmarshal(text) {
        Ok(Value::List(l)) => Value::List(l),
        Ok(Value::Nil) => super::convert::list(Vec::new()),
        Ok(other) => super::convert::list(vec![string(format!(
            "json: cannot unmarshal {} into Go value of type []interface {{}}",
            super::yaml::json_kind(&other)
        ))]),
        Err(e) => super::convert::list(vec![string(e)]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::helm::funcs::convert::to_value;
    use serde_json::json;

    #[test]
    fn marshal_like_go() {
        let v = to_value(&json!({"b": [1, 2.5, null], "a": "<x&y>", "c": {}}));
        assert_eq!(
            marshal(&v).unwrap(),
            r#"{"a":"\u003cx\u0026y\u003e","b":[1,2.5,null],"c":{}}"#
        );
        assert_eq!(
            marshal_raw(&v).unwrap(),
            r#"{"a":"<x&y>","b":[1,2.5,null],"c":{}}"#
        );
        assert_eq!(
            marshal_pretty(&to_value(&json!({"a": [1], "b": {}}))).unwrap(),
            "{\n  \"a\": [\n    1\n  ],\n  \"b\": {}\n}"
        );
        assert_eq!(marshal(&Value::Float(1e7)).unwrap(), "10000000");
        assert_eq!(marshal(&string("a\u{1}\n")).unwrap(), r#""a\u0001\n""#);
        assert!(marshal(&Value::Float(f64::INFINITY)).is_err());
    }

    #[test]
    fn from_json_like_helm() {
        let v = from_json(r#"{"a": 1, "b": [true]}"#);
        assert_eq!(
            super::super::convert::from_value(&v),
            json!({"a": 1.0, "b": [true]})
        );
        let e = from_json("[1]");
        assert_eq!(
            super::super::convert::from_value(&e),
            json!({"Error": "json: cannot unmarshal array into Go value of type map[string]interface {}"})
        );
        let e = from_json("");
        assert_eq!(
            super::super::convert::from_value(&e),
            json!({"Error": "unexpected end of JSON input"})
        );
        assert_eq!(
            super::super::convert::from_value(&from_json_array("[1, \"a\"]")),
            json!([1.0, "a"])
        );
    }
}
