//! Helm's `toToml`: BurntSushi/toml's encoder (v1) with its defaults: keys sorted, plain
//! keys before tables, sub-table contents indented by two spaces per level, a blank line
//! before each top-level table, floats always with a decimal point (`8080.0`: values are
//! floats), nil values skipped. Errors give the error's text, as Helm returns it.

use std::fmt::Write as _;

use gotmpl::Value;

use super::convert::Map;

const INDENT: &str = "  ";

struct Encoder {
    out: String,
}

fn is_bare(k: &str) -> bool {
    !k.is_empty()
        && k.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
}

fn quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn key_part(k: &str) -> String {
    if is_bare(k) {
        k.to_string()
    } else {
        quoted(k)
    }
}

fn key_string(key: &[String]) -> String {
    key.iter()
        .map(|k| key_part(k))
        .collect::<Vec<_>>()
        .join(".")
}

fn is_table(v: &Value) -> bool {
    matches!(v, Value::Map(_)) || is_table_array(v)
}

fn is_table_array(v: &Value) -> bool {
    match v {
        Value::List(l) => !l.is_empty() && l.iter().all(|i| matches!(i, Value::Map(_))),
        _ => false,
    }
}

impl Encoder {
    fn newline(&mut self) {
        if !self.out.is_empty() {
            self.out.push('\n');
        }
    }

    fn indent_str(key: &[String]) -> String {
        INDENT.repeat(key.len().saturating_sub(1))
    }

    fn element(&mut self, v: &Value) -> Result<(), String> {
        match v {
            Value::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) => {
                let _ = write!(self.out, "{i}");
            }
            Value::Uint(u) => {
                let _ = write!(self.out, "{u}");
            }
            Value::Float(f) => {
                if f.is_nan() {
                    if f.is_sign_negative() {
                        self.out.push('-');
                    }
                    self.out.push_str("nan");
                } else if f.is_infinite() {
                    self.out.push_str(if *f > 0.0 { "inf" } else { "-inf" });
                } else {
                    let mut s = format!("{f}");
                    if !s.contains('.') {
                        s.push_str(".0");
                    }
                    self.out.push_str(&s);
                }
            }
            Value::String(s) => self.out.push_str(&quoted(s)),
            Value::List(l) => {
                self.out.push('[');
                for (i, item) in l.iter().enumerate() {
                    if matches!(item, Value::Nil) {
                        return Err("toml: cannot encode array with nil element".into());
                    }
                    self.element(item)?;
                    if i + 1 != l.len() {
                        self.out.push_str(", ");
                    }
                }
                self.out.push(']');
            }
            Value::Map(m) => self.map(&[], m, true)?,
            Value::Nil => return Err("toml: cannot encode a nil value".into()),
            Value::Function(_) => return Err("toml: unsupported type: func()".into()),
        }
        Ok(())
    }

    fn key_value(&mut self, key: &[String], v: &Value, inline: bool) -> Result<(), String> {
        if key.is_empty() {
            return self.element(v);
        }
        let _ = write!(
            self.out,
            "{}{} = ",
            Self::indent_str(key),
            key_part(&key[key.len() - 1])
        );
        self.element(v)?;
        if !inline {
            self.newline();
        }
        Ok(())
    }

    fn encode(&mut self, key: &[String], v: &Value) -> Result<(), String> {
        match v {
            Value::Nil => Ok(()),
            Value::Map(m) => self.table(key, m),
            Value::List(l) if is_table_array(v) => {
                if key.is_empty() {
                    return Err("toml: top-level values must be Go maps or structs".into());
                }
                for item in l.iter() {
                    if let Value::Map(m) = item {
                        self.newline();
                        let _ =
                            write!(self.out, "{}[[{}]]", Self::indent_str(key), key_string(key));
                        self.newline();
                        self.map(key, m, false)?;
                    }
                }
                Ok(())
            }
            _ => self.key_value(key, v, false),
        }
    }

    fn table(&mut self, key: &[String], m: &Map) -> Result<(), String> {
        if key.len() == 1 {
            self.newline();
        }
        if !key.is_empty() {
            let _ = write!(self.out, "{}[{}]", Self::indent_str(key), key_string(key));
            self.newline();
        }
        self.map(key, m, false)
    }

    fn map(&mut self, key: &[String], m: &Map, inline: bool) -> Result<(), String> {
        let direct: Vec<_> = m.iter().filter(|(_, v)| !is_table(v)).collect();
        let sub: Vec<_> = m.iter().filter(|(_, v)| is_table(v)).collect();
        if inline {
            self.out.push('{');
        }
        let has_sub = !sub.is_empty();
        for (group, trail) in [(direct, has_sub), (sub, false)] {
            let n = group.len();
            for (i, (k, v)) in group.into_iter().enumerate() {
                if matches!(v, Value::Nil) {
                    continue;
                }
                if inline {
                    self.key_value(&[k.to_string()], v, true)?;
                    if trail || i + 1 != n {
                        self.out.push_str(", ");
                    }
                } else {
                    let mut child = key.to_vec();
                    child.push(k.to_string());
                    self.encode(&child, v)?;
                }
            }
        }
        if inline {
            self.out.push('}');
        }
        Ok(())
    }
}

/// Helm's `toToml`.
pub(crate) fn to_toml(v: &Value) -> String {
    let mut e = Encoder { out: String::new() };
    match e.encode(&[], v) {
        Ok(()) => e.out,
        Err(msg) => msg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::helm::funcs::convert::to_value;
    use serde_json::json;

    #[test]
    fn toml_like_burntsushi() {
        let v = to_value(&json!({
            "b": {"x": 1, "c": {"y": "z"}},
            "a": 8080,
            "name": "n",
            "list": [1, 2],
            "t": [{"k": "v"}, {"k": "w"}],
            "skip": null
        }));
        assert_eq!(
            to_toml(&v),
            "a = 8080.0\nlist = [1.0, 2.0]\nname = \"n\"\n\n[b]\n  x = 1.0\n  [b.c]\n    y = \"z\"\n\n[[t]]\n  k = \"v\"\n\n[[t]]\n  k = \"w\"\n"
        );
        assert_eq!(
            to_toml(&to_value(&json!({"a b": true}))),
            "\"a b\" = true\n"
        );
    }
}
