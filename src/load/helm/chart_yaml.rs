//! YAML as Helm reads it: `sigs.k8s.io/yaml` over go-yaml v2. That means YAML 1.1 plain
//! scalars (`yes`/`no`/`on`/`off`/`y`/`n` are booleans, `0777` is octal, `1_000` is a number,
//! a plain `2024-01-02` is a timestamp that comes out as the string `2024-01-02T00:00:00Z`),
//! mapping keys that are not strings turned into strings (`80:` is `"80"`, `true:` is
//! `"true"`, `1.10:` is `"1.1"`), and, once the value went through JSON into an untyped map,
//! every number a float64.
//!
//! serde-saphyr parses the text (YAML 1.2 rules); each scalar keeps its span, and a plain
//! scalar is resolved again from its source text with go-yaml v2's rules, so the two parsers
//! cannot disagree on what a plain scalar is.

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;
use std::fmt;

/// A YAML node with go-yaml v2's types, and where it starts (1-based line and column).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct YNode {
    pub value: Y,
    pub line: u32,
    pub column: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Y {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(String),
    Seq(Vec<YNode>),
    /// Keys as sigs.k8s.io/yaml makes them (strings), in the order of the text; a key given
    /// twice keeps its last value.
    Map(Vec<(String, YNode)>),
}

/// A YAML text that Helm would refuse, with the line where the problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct YamlError {
    pub line: Option<u32>,
    pub message: String,
}

impl Y {
    /// What kind of value this is, in words (for messages).
    pub fn kind(&self) -> &'static str {
        match self {
            Y::Null => "null",
            Y::Bool(_) => "a boolean",
            Y::Int(_) | Y::Uint(_) | Y::Float(_) => "a number",
            Y::Str(_) => "a string",
            Y::Seq(_) => "a list",
            Y::Map(_) => "a mapping",
        }
    }
}

impl YNode {
    /// The value as Helm has it after the YAML → JSON → `interface{}` round trip: numbers are
    /// float64. Infinity and NaN cannot go through JSON: Helm fails on them.
    pub fn to_json(&self) -> Result<serde_json::Value, YamlError> {
        use serde_json::Value as J;
        Ok(match &self.value {
            Y::Null => J::Null,
            Y::Bool(b) => J::Bool(*b),
            Y::Int(i) => float_json(*i as f64, self)?,
            Y::Uint(u) => float_json(*u as f64, self)?,
            Y::Float(f) => float_json(*f, self)?,
            Y::Str(s) => J::String(s.clone()),
            Y::Seq(items) => J::Array(
                items
                    .iter()
                    .map(YNode::to_json)
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            Y::Map(entries) => {
                let mut map = serde_json::Map::new();
                for (k, v) in entries {
                    map.insert(k.clone(), v.to_json()?);
                }
                J::Object(map)
            }
        })
    }

    /// The entry `key` of a mapping, matched as Go's JSON decoder matches struct fields: the
    /// exact spelling first, else any spelling that equals it ignoring ASCII case.
    pub fn field(&self, key: &str) -> Option<&YNode> {
        let Y::Map(entries) = &self.value else {
            return None;
        };
        entries
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .or_else(|| {
                entries
                    .iter()
                    .rev()
                    .find(|(k, _)| k.eq_ignore_ascii_case(key))
            })
            .map(|(_, v)| v)
    }
}

fn float_json(f: f64, at: &YNode) -> Result<serde_json::Value, YamlError> {
    serde_json::Number::from_f64(f)
        .map(serde_json::Value::Number)
        .ok_or_else(|| YamlError {
            line: Some(at.line),
            message: "infinity and NaN cannot be converted to JSON (Helm fails on them): quote \
                      the value"
                .into(),
        })
}

/// Parses the first YAML document of `text` as go-yaml v2's `Unmarshal` does (later documents
/// are not read). `None` for an empty document (only comments, or nothing).
pub(crate) fn parse_first(text: &str) -> Result<Option<YNode>, YamlError> {
    let docs = parse_stream(text, 0)?;
    Ok(docs.into_iter().next().flatten())
}

/// Parses `values.yaml` as Helm's `LoadValues` does: the text is cut into documents at
/// `---` lines (Kubernetes' YAML reader), each document must be a mapping (or empty), and the
/// documents are merged in order, a later document's tables merged into an earlier's.
pub(crate) fn parse_values(
    text: &str,
) -> Result<serde_json::Map<String, serde_json::Value>, YamlError> {
    let mut out = serde_json::Map::new();
    for (first_line, chunk) in split_documents(text)? {
        let Some(node) = parse_stream(chunk, first_line)?
            .into_iter()
            .next()
            .flatten()
        else {
            continue;
        };
        match node.to_json()? {
            serde_json::Value::Object(map) => out = merge_maps(out, map),
            serde_json::Value::Null => {}
            other => {
                return Err(YamlError {
                    line: Some(node.line),
                    message: format!(
                        "a values document must be a mapping of keys to values, not {}",
                        json_kind(&other)
                    ),
                })
            }
        }
    }
    Ok(out)
}

/// Helm's `MergeMaps` (values documents and `-f` files): `b` over `a`, tables merged
/// recursively, anything else replaced.
pub(crate) fn merge_maps(
    mut a: serde_json::Map<String, serde_json::Value>,
    b: serde_json::Map<String, serde_json::Value>,
) -> serde_json::Map<String, serde_json::Value> {
    for (k, v) in b {
        match (a.get_mut(&k), v) {
            (Some(serde_json::Value::Object(old)), serde_json::Value::Object(new)) => {
                let merged = merge_maps(std::mem::take(old), new);
                *old = merged;
            }
            (_, v) => {
                a.insert(k, v);
            }
        }
    }
    a
}

pub(crate) fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "a mapping",
    }
}

/// Kubernetes' YAML reader: a line that starts with `---` ends a document; only spaces or a
/// comment may follow the dashes. Empty documents are skipped. Each document comes with the
/// line number (0-based) it starts after.
fn split_documents(text: &str) -> Result<Vec<(u32, &str)>, YamlError> {
    let mut out = Vec::new();
    let mut start = 0usize;
    let mut start_line = 0u32;
    let mut offset = 0usize;
    for (n, line) in text.split_inclusive('\n').enumerate() {
        let line_no = u32::try_from(n).unwrap_or(u32::MAX);
        if let Some(rest) = line.strip_prefix("---") {
            let trimmed = rest.trim();
            if !trimmed.is_empty() && !trimmed.starts_with('#') {
                return Err(YamlError {
                    line: Some(line_no + 1),
                    message: format!(
                        "invalid YAML document separator: `---` may only be followed by a \
                         comment on its line (found `{}`)",
                        crate::textsafe::escape(trimmed)
                    ),
                });
            }
            if offset > start {
                out.push((start_line, &text[start..offset]));
            }
            start = offset + line.len();
            start_line = line_no + 1;
        }
        offset += line.len();
    }
    if text.len() > start {
        out.push((start_line, &text[start..]));
    }
    Ok(out)
}

/// Every document of `text` (a chunk that starts after `line_offset` lines of its file).
fn parse_stream(text: &str, line_offset: u32) -> Result<Vec<Option<YNode>>, YamlError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let docs = serde_saphyr::from_str_multiple_with_options::<Option<Spanned<Raw>>, Vec<_>>(
        text,
        options(text.len()),
    )
    .map_err(|e| {
        let (line, message) = crate::load::yaml_error(&e);
        YamlError {
            line: line.map(|l| l + line_offset),
            message,
        }
    })?;
    let ctx = Ctx {
        src: text,
        line_offset,
    };
    docs.into_iter()
        .map(|d| d.map(|d| ctx.node(d)).transpose())
        .collect()
}

fn options(len: usize) -> serde_saphyr::Options {
    let b = crate::load::ParseBudget::for_len(len);
    let mut options = serde_saphyr::Options::default();
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = crate::load::LoadOptions::default().max_depth;
    budget.max_nodes = b.nodes;
    budget.max_total_scalar_bytes = b.scalar_bytes;
    budget.max_events = b.events;
    budget.max_documents = b.documents;
    budget.max_recorded_anchor_events = b.anchor_events;
    budget.max_recorded_anchor_bytes = b.anchor_bytes;
    budget.max_aliases = b.nodes;
    budget.max_anchors = b.nodes;
    budget.enforce_alias_anchor_ratio = false;
    budget.max_reader_input_bytes = None;
    options.budget = Some(budget);
    options.alias_limits.max_total_replayed_events = b.events;
    options.legacy_octal_numbers = true;
    options.with_snippet = false;
    // go-yaml v2 keeps the last of a repeated key.
    options.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::LastWins;
    options
}

/// What serde-saphyr gives, before go-yaml's resolution.
#[derive(Debug)]
enum Raw {
    Null,
    Bool(bool),
    I64(i64),
    U64(u64),
    F64(f64),
    Str(String),
    Seq(Vec<Spanned<Raw>>),
    Map(Vec<(Spanned<Raw>, Spanned<Raw>)>),
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = Raw;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Raw, E> {
        Ok(Raw::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Raw, E> {
        Ok(Raw::I64(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Raw, E> {
        Ok(Raw::U64(v))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Raw, E> {
        Ok(Raw::F64(v as f64))
    }
    fn visit_u128<E>(self, v: u128) -> Result<Raw, E> {
        Ok(Raw::F64(v as f64))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Raw, E> {
        Ok(Raw::F64(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Raw, E> {
        Ok(Raw::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Raw, E> {
        Ok(Raw::Str(v))
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<Raw, E> {
        Ok(Raw::Str(String::from_utf8_lossy(v).into_owned()))
    }
    fn visit_unit<E>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }
    fn visit_none<E>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Raw, D::Error> {
        Raw::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Raw, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Raw>>()? {
            items.push(item);
        }
        Ok(Raw::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<Raw>>()? {
            let value: Spanned<Raw> = map.next_value()?;
            entries.push((key, value));
        }
        Ok(Raw::Map(entries))
    }
}

impl From<&str> for YamlError {
    fn from(message: &str) -> Self {
        YamlError {
            line: None,
            message: message.to_string(),
        }
    }
}

struct Ctx<'a> {
    src: &'a str,
    line_offset: u32,
}

impl Ctx<'_> {
    fn node(&self, s: Spanned<Raw>) -> Result<YNode, YamlError> {
        let line = u32::try_from(s.referenced.line())
            .unwrap_or(u32::MAX)
            .saturating_add(self.line_offset);
        let column = u32::try_from(s.referenced.column()).unwrap_or(u32::MAX);
        let value = match s.value {
            Raw::Seq(items) => Y::Seq(
                items
                    .into_iter()
                    .map(|i| self.node(i))
                    .collect::<Result<_, _>>()?,
            ),
            Raw::Map(entries) => {
                let mut out: Vec<(String, YNode)> = Vec::with_capacity(entries.len());
                for (k, v) in entries {
                    let key = self.node(k)?;
                    let key = key_string(&key)?;
                    let value = self.node(v)?;
                    match out.iter_mut().find(|(k, _)| *k == key) {
                        Some(slot) => slot.1 = value,
                        None => out.push((key, value)),
                    }
                }
                Y::Map(out)
            }
            scalar => self.scalar(scalar, &s.defined, line)?,
        };
        Ok(YNode {
            value,
            line,
            column,
        })
    }

    /// The source text of a scalar and its first character, when the span is known.
    fn text_of(&self, loc: &serde_saphyr::Location) -> Option<&str> {
        let span = loc.span();
        let start = usize::try_from(span.byte_offset()?).ok()?;
        let len = usize::try_from(span.byte_len()?).ok()?;
        self.src.get(start..start.checked_add(len)?)
    }

    /// Whether a tag (`!!str`, `!`, `!foo`) stands before the node at `loc`, possibly with
    /// an anchor (`&a`) between.
    fn tagged(&self, loc: &serde_saphyr::Location) -> bool {
        let Some(start) = loc
            .span()
            .byte_offset()
            .and_then(|o| usize::try_from(o).ok())
        else {
            return false;
        };
        let mut before = self.src.get(..start).unwrap_or_default();
        loop {
            before = before.trim_end_matches([' ', '\t', '\r', '\n']);
            let token_start = before
                .rfind([' ', '\t', '\r', '\n', '{', '[', ',', ':', '-', '?'])
                .map_or(0, |i| i + 1);
            let token = &before[token_start..];
            if token.starts_with('!') {
                return true;
            }
            if token.starts_with('&') && token.len() > 1 {
                before = &before[..token_start];
                continue;
            }
            return false;
        }
    }

    fn scalar(&self, raw: Raw, loc: &serde_saphyr::Location, line: u32) -> Result<Y, YamlError> {
        let text = self.text_of(loc);
        let style = match text.and_then(|t| t.chars().next()) {
            Some('"' | '\'') => Style::Quoted,
            Some('|' | '>') => Style::Block,
            Some('!') => Style::Tagged,
            _ if self.tagged(loc) => Style::Tagged,
            _ => Style::Plain,
        };
        if style != Style::Plain {
            // Quoted and block scalars are strings; an explicit tag was applied by the parser.
            return Ok(match raw {
                Raw::Null => Y::Null,
                Raw::Bool(b) => Y::Bool(b),
                Raw::I64(i) => Y::Int(i),
                Raw::U64(u) => Y::Uint(u),
                Raw::F64(f) => Y::Float(f),
                Raw::Str(s) => Y::Str(s),
                Raw::Seq(_) | Raw::Map(_) => unreachable!("collections are handled by node()"),
            });
        }
        // A typed plain scalar is one token: its source text is the scalar, resolved again
        // with go-yaml's rules. The text is used only when it reads as what the parser saw
        // (otherwise the parser's value stands).
        let typed = |raw: &Raw| -> Y {
            match raw {
                Raw::Null => Y::Null,
                Raw::Bool(b) => Y::Bool(*b),
                Raw::I64(i) => Y::Int(*i),
                Raw::U64(u) => Y::Uint(*u),
                Raw::F64(f) => Y::Float(*f),
                Raw::Str(s) => Y::Str(s.clone()),
                Raw::Seq(_) | Raw::Map(_) => Y::Null,
            }
        };
        let plain = match raw {
            Raw::Str(s) => s,
            Raw::Seq(_) | Raw::Map(_) => unreachable!("collections are handled by node()"),
            ref scalar => {
                let Some(t) = text.map(str::trim) else {
                    return Ok(typed(scalar));
                };
                let lower = t.to_ascii_lowercase();
                let plausible = match scalar {
                    Raw::Null => matches!(lower.as_str(), "" | "~" | "null"),
                    Raw::Bool(_) => matches!(
                        lower.as_str(),
                        "y" | "yes" | "true" | "on" | "n" | "no" | "false" | "off"
                    ),
                    _ => t
                        .bytes()
                        .next()
                        .is_some_and(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.')),
                };
                if !plausible {
                    return Ok(typed(scalar));
                }
                t.to_string()
            }
        };
        resolve_plain(&plain).map_err(|message| YamlError {
            line: Some(line),
            message,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Quoted,
    Block,
    Tagged,
}

/// A mapping key as sigs.k8s.io/yaml turns it into a JSON key.
fn key_string(key: &YNode) -> Result<String, YamlError> {
    Ok(match &key.value {
        Y::Str(s) => s.clone(),
        Y::Int(i) => i.to_string(),
        Y::Uint(u) => u.to_string(),
        Y::Float(f) => match go_format_float(*f, 32).as_str() {
            "+Inf" => ".inf".to_string(),
            "-Inf" => "-.inf".to_string(),
            "NaN" => ".nan".to_string(),
            s => s.to_string(),
        },
        Y::Bool(b) => b.to_string(),
        Y::Null | Y::Seq(_) | Y::Map(_) => {
            return Err(YamlError {
                line: Some(key.line),
                message: format!(
                    "a mapping key must be a string, number or boolean, not {} (Helm cannot \
                     convert it to JSON)",
                    key.value.kind()
                ),
            })
        }
    })
}

/// A plain scalar resolved with go-yaml v2's rules (its `resolve` function), then as
/// sigs.k8s.io/yaml converts it (a timestamp becomes its RFC 3339 text).
pub(crate) fn resolve_plain(s: &str) -> Result<Y, String> {
    match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Ok(Y::Bool(true))
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Ok(Y::Bool(false))
        }
        "" | "~" | "null" | "Null" | "NULL" => return Ok(Y::Null),
        ".nan" | ".NaN" | ".NAN" => return Ok(Y::Float(f64::NAN)),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Ok(Y::Float(f64::INFINITY))
        }
        "-.inf" | "-.Inf" | "-.INF" => return Ok(Y::Float(f64::NEG_INFINITY)),
        _ => {}
    }
    let first = s.as_bytes()[0];
    match first {
        b'.' => {
            if let Some(f) = go_parse_float(s) {
                return Ok(Y::Float(f));
            }
        }
        b'0'..=b'9' | b'+' | b'-' => {
            if let Some(t) = go_yaml_timestamp(s) {
                return Ok(Y::Str(t));
            }
            let plain: String = s.chars().filter(|&c| c != '_').collect();
            match go_parse_int(&plain) {
                GoInt::I64(i) => return Ok(Y::Int(i)),
                GoInt::U64(u) => return Ok(Y::Uint(u)),
                GoInt::Range => {
                    if is_yaml_style_float(&plain) {
                        if let Ok(f) = plain.parse::<f64>() {
                            if f.is_finite() {
                                return Ok(Y::Float(f));
                            }
                        }
                    }
                    // go-yaml keeps it as a big integer; JSON makes it a float64.
                    if let Some(f) = big_int_to_f64(&plain) {
                        return Ok(Y::Float(f));
                    }
                }
                GoInt::Syntax => {
                    if is_yaml_style_float(&plain) {
                        if let Ok(f) = plain.parse::<f64>() {
                            if f.is_finite() {
                                return Ok(Y::Float(f));
                            }
                        }
                    }
                }
            }
        }
        _ => {}
    }
    Ok(Y::Str(s.to_string()))
}

/// go-yaml's `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if i < b.len() && b[i] == b'.' {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            digits(&mut i);
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// Go's `strconv.ParseFloat` for the decimal forms a plain scalar starting with `.` can
/// take (underscores only between digits).
fn go_parse_float(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        if c == b'_' {
            let ok =
                i > 0 && i + 1 < b.len() && b[i - 1].is_ascii_digit() && b[i + 1].is_ascii_digit();
            if !ok {
                return None;
            }
        }
    }
    let cleaned: String = s.chars().filter(|&c| c != '_').collect();
    if !cleaned
        .bytes()
        .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    cleaned.parse::<f64>().ok().filter(|f| f.is_finite())
}

enum GoInt {
    I64(i64),
    U64(u64),
    Syntax,
    Range,
}

/// Go's `strconv.ParseInt(s, 0, 64)`, then `ParseUint(s, 0, 64)`: an optional sign (not for
/// the unsigned form), a base prefix (`0x`, `0o`, `0b`, or a leading `0` for octal).
fn go_parse_int(s: &str) -> GoInt {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (radix, digits) =
        if let Some(r) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
            (16, r)
        } else if let Some(r) = body.strip_prefix("0o").or_else(|| body.strip_prefix("0O")) {
            (8, r)
        } else if let Some(r) = body.strip_prefix("0b").or_else(|| body.strip_prefix("0B")) {
            (2, r)
        } else if body.len() > 1 && body.starts_with('0') {
            (8, &body[1..])
        } else {
            (10, body)
        };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return GoInt::Syntax;
    }
    match u128::from_str_radix(digits, radix) {
        Ok(mag) => {
            if neg {
                if mag <= i64::MAX as u128 + 1 {
                    GoInt::I64((-(mag as i128)) as i64)
                } else {
                    GoInt::Range
                }
            } else if mag <= i64::MAX as u128 {
                GoInt::I64(mag as i64)
            } else if mag <= u64::MAX as u128 && !s.starts_with('+') {
                GoInt::U64(mag as u64)
            } else {
                GoInt::Range
            }
        }
        Err(_) => GoInt::Range,
    }
}

/// A big integer literal (base prefix allowed) as the nearest float64.
fn big_int_to_f64(s: &str) -> Option<f64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (radix, digits) =
        if let Some(r) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
            (16u32, r)
        } else if let Some(r) = body.strip_prefix("0o").or_else(|| body.strip_prefix("0O")) {
            (8, r)
        } else if let Some(r) = body.strip_prefix("0b").or_else(|| body.strip_prefix("0B")) {
            (2, r)
        } else if body.len() > 1 && body.starts_with('0') {
            (8, &body[1..])
        } else {
            (10, body)
        };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let f = if radix == 10 {
        digits.parse::<f64>().ok()?
    } else {
        digits.chars().fold(0f64, |acc, c| {
            acc * f64::from(radix) + f64::from(c.to_digit(radix).unwrap_or(0))
        })
    };
    Some(if neg { -f } else { f })
}

/// go-yaml v2's timestamp resolution of a plain scalar, as the RFC 3339 text (nanoseconds
/// when not zero) that JSON gives a Go `time.Time`.
pub(crate) fn go_yaml_timestamp(s: &str) -> Option<String> {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return None;
    }
    let year: i32 = s[..4].parse().ok()?;
    let mut p = Cursor { b, i: 5 };
    let month = p.num12()?;
    p.lit(b'-')?;
    let day = p.num12()?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    if p.i == b.len() {
        return Some(format!("{year:04}-{month:02}-{day:02}T00:00:00Z"));
    }
    // `T`, `t` (with a zone) or a space (without one).
    let sep = b[p.i];
    p.i += 1;
    let zoned = match sep {
        b'T' | b't' => true,
        b' ' => false,
        _ => return None,
    };
    let hour = p.num12()?;
    p.lit(b':')?;
    let minute = p.num12()?;
    p.lit(b':')?;
    let second = p.num12()?;
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut nanos = 0u32;
    if p.i + 1 < b.len() && (b[p.i] == b'.' || b[p.i] == b',') && b[p.i + 1].is_ascii_digit() {
        p.i += 1;
        let start = p.i;
        while p.i < b.len() && b[p.i].is_ascii_digit() {
            p.i += 1;
        }
        let frac = &s[start..p.i];
        let mut digits: String = frac.chars().take(9).collect();
        while digits.len() < 9 {
            digits.push('0');
        }
        nanos = digits.parse().ok()?;
    }
    let zone = if zoned {
        match b.get(p.i) {
            Some(b'Z') => {
                p.i += 1;
                "Z".to_string()
            }
            Some(&c @ (b'+' | b'-')) => {
                let z = s.get(p.i + 1..p.i + 6)?;
                let zb = z.as_bytes();
                if zb[2] != b':' || !zb[..2].iter().chain(&zb[3..]).all(u8::is_ascii_digit) {
                    return None;
                }
                let (hh, mm): (u32, u32) = (z[..2].parse().ok()?, z[3..].parse().ok()?);
                if hh > 24 || mm > 59 {
                    return None;
                }
                p.i += 6;
                if hh == 0 && mm == 0 {
                    "Z".to_string()
                } else {
                    format!("{}{hh:02}:{mm:02}", c as char)
                }
            }
            _ => return None,
        }
    } else {
        "Z".to_string()
    };
    if p.i != b.len() {
        return None;
    }
    let frac = if nanos == 0 {
        String::new()
    } else {
        let f = format!(".{nanos:09}");
        f.trim_end_matches('0').to_string()
    };
    Some(format!(
        "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}{frac}{zone}"
    ))
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    /// One or two digits (Go's layout elements `1`, `2`, `15`, `4`, `5`).
    fn num12(&mut self) -> Option<u32> {
        let d1 = *self.b.get(self.i)?;
        if !d1.is_ascii_digit() {
            return None;
        }
        self.i += 1;
        let mut n = u32::from(d1 - b'0');
        if let Some(&d2) = self.b.get(self.i) {
            if d2.is_ascii_digit() {
                self.i += 1;
                n = n * 10 + u32::from(d2 - b'0');
            }
        }
        Some(n)
    }
    fn lit(&mut self, c: u8) -> Option<()> {
        (self.b.get(self.i) == Some(&c)).then(|| self.i += 1)
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

/// Go's `strconv.FormatFloat(f, 'g', -1, bits)`, which is also `fmt`'s `%v` of a float64
/// (`bits` = 64): the shortest digits that read back as the same value, in exponent form
/// (`1e+07`, `1.5e-05`) when the decimal exponent is below -4 or at least 6.
pub(crate) fn go_format_float(f: f64, bits: u32) -> String {
    if bits == 32 && f.is_finite() {
        // The float32's shortest digits, read back as a float64, have the same shortest
        // digits: Go's 32-bit form is the 64-bit form of that number.
        let short: f64 = (f as f32).to_string().parse().unwrap_or(f);
        return super::super::funcs::format_float_v(short);
    }
    super::super::funcs::format_float_v(f)
}
