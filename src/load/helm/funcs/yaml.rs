//! Helm's `toYaml` and `fromYaml`.
//!
//! `toYaml` is `sigs.k8s.io/yaml.Marshal` with the final newline trimmed: the value is
//! marshalled to JSON (`encoding/json`), the JSON is decoded by go-yaml v3 (so numbers get
//! the type their JSON text resolves to: `3` an int, `1.5` a float, `1e+21` a float), and the
//! result is encoded by go-yaml v3 with sigs.k8s.io's settings: 2-space indentation, compact
//! sequences (`key:\n- a`, the dash at the key's column), line width 80. The encoder below is
//! a port of the parts of go-yaml's emitter (libyaml's) that such documents reach: block
//! mappings and sequences, flow style only for empty collections, plain, single-quoted,
//! double-quoted and literal scalars, with go-yaml's choice of style (strings that would
//! resolve to another type are double-quoted, strings starting with an indicator are
//! single-quoted, multi-line strings are literal blocks unless a line has trailing spaces)
//! and its folding of long plain and quoted scalars at spaces beyond column 80. Map keys are
//! ordered as go-yaml orders them (numbers inside keys compared by value: `a2` before `a10`).

use std::sync::Arc;

use gotmpl::Value;

use super::convert::{format_float_json, format_float_v, parse_int_base0, parse_uint_base0};

/// A node of the document go-yaml encodes (after the JSON round trip).
#[derive(Debug)]
enum Node {
    Null,
    Bool(bool),
    /// A number, already in its YAML text.
    Number(String),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(String, Node)>),
}

/// The document of a template value: through a JSON round trip (`toYaml`; `None` where
/// `json.Marshal` fails: NaN, infinities, functions) or directly (`toYamlPretty`, which
/// encodes the Go value: floats stay floats, `1e+07`).
fn node_of(v: &Value, via_json: bool) -> Option<Node> {
    Some(match v {
        Value::Nil => Node::Null,
        Value::Bool(b) => Node::Bool(*b),
        Value::Int(i) => Node::Number(i.to_string()),
        Value::Uint(u) => Node::Number(u.to_string()),
        Value::Float(f) if via_json => Node::Number(yaml_number(&format_float_json(*f)?)),
        Value::Float(f) => Node::Number(if f.is_nan() {
            ".nan".into()
        } else if f.is_infinite() {
            if *f > 0.0 {
                ".inf".into()
            } else {
                "-.inf".into()
            }
        } else {
            format_float_v(*f)
        }),
        Value::String(s) => Node::Str(s.to_string()),
        Value::List(l) => Node::Seq(
            l.iter()
                .map(|i| node_of(i, via_json))
                .collect::<Option<_>>()?,
        ),
        Value::Map(m) if m.contains_key(super::convert::GO_JSON_KEY) => {
            return node_of(m.get(super::convert::GO_JSON_KEY)?, via_json);
        }
        Value::Map(m) => {
            let mut entries: Vec<(String, Node)> = m
                .iter()
                .map(|(k, v)| Some((k.to_string(), node_of(v, via_json)?)))
                .collect::<Option<_>>()?;
            entries.sort_by(|a, b| key_order(&a.0, &b.0));
            Node::Map(entries)
        }
        Value::Function(_) => return None,
    })
}

/// The YAML text go-yaml writes for a JSON number it decoded: an int when the text parses as
/// one (`int64`, then `uint64`), otherwise a float formatted with `'g'`.
fn yaml_number(json: &str) -> String {
    if let Some(i) = parse_int_base0(json) {
        return i.to_string();
    }
    if let Some(u) = parse_uint_base0(json) {
        return u.to_string();
    }
    match json.parse::<f64>() {
        Ok(f) if f.is_infinite() => {
            if f > 0.0 {
                ".inf".into()
            } else {
                "-.inf".into()
            }
        }
        Ok(f) => format_float_v(f),
        Err(_) => json.to_string(),
    }
}

/// Go's `unicode.IsDigit` (Nd), approximately.
fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || (!c.is_ascii() && c.is_numeric())
}

/// go-yaml v3's order of string map keys (`keyList.Less`): letters compare as runes, runs of
/// digits compare by value, non-letters sort before letters unless they follow a digit.
fn key_less(a: &str, b: &str) -> bool {
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    let mut digits = false;
    let mut i = 0;
    while i < ar.len() && i < br.len() {
        if ar[i] == br[i] {
            digits = is_digit(ar[i]);
            i += 1;
            continue;
        }
        let al = ar[i].is_alphabetic();
        let bl = br[i].is_alphabetic();
        if al && bl {
            return ar[i] < br[i];
        }
        if al || bl {
            return if digits { al } else { bl };
        }
        let mut an: i64 = 0;
        let mut bn: i64 = 0;
        if ar[i] == '0' || br[i] == '0' {
            let mut j = i;
            while j > 0 && is_digit(ar[j - 1]) {
                if ar[j - 1] != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
                j -= 1;
            }
        }
        let mut ai = i;
        while ai < ar.len() && is_digit(ar[ai]) {
            an = an
                .wrapping_mul(10)
                .wrapping_add(i64::from(ar[ai] as u32).wrapping_sub('0' as i64));
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && is_digit(br[bi]) {
            bn = bn
                .wrapping_mul(10)
                .wrapping_add(i64::from(br[bi] as u32).wrapping_sub('0' as i64));
            bi += 1;
        }
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return ar[i] < br[i];
    }
    ar.len() < br.len()
}

fn key_order(a: &str, b: &str) -> std::cmp::Ordering {
    if key_less(a, b) {
        std::cmp::Ordering::Less
    } else if key_less(b, a) {
        std::cmp::Ordering::Greater
    } else {
        std::cmp::Ordering::Equal
    }
}

// ---------------------------------------------------------------------------------------
// Resolution: whether a string would read back as another type if written plain.

/// YAML 1.1 booleans go-yaml still quotes.
fn is_old_bool(s: &str) -> bool {
    matches!(
        s,
        "y" | "Y"
            | "yes"
            | "Yes"
            | "YES"
            | "on"
            | "On"
            | "ON"
            | "n"
            | "N"
            | "no"
            | "No"
            | "NO"
            | "off"
            | "Off"
            | "OFF"
    )
}

/// go-yaml's `isBase60Float`: `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`.
fn is_base60_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    if i >= b.len() || !b[i].is_ascii_digit() {
        return false;
    }
    i += 1;
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while i < b.len() && b[i] == b':' {
        i += 1;
        // [0-5]?[0-9]
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() && i - start < 2 {
            i += 1;
        }
        let n = i - start;
        if n == 0 || (n == 2 && b[start] > b'5') {
            return false;
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

/// go-yaml's `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
    } else {
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    i == b.len()
}

/// Reads 1 or 2 digits (Go's `getnum` for non-fixed fields), within `max`.
fn take_num(b: &[u8], i: &mut usize, max: u32) -> Option<u32> {
    let start = *i;
    while *i < b.len() && b[*i].is_ascii_digit() && *i - start < 2 {
        *i += 1;
    }
    if *i == start {
        return None;
    }
    let n: u32 = std::str::from_utf8(&b[start..*i]).ok()?.parse().ok()?;
    (n <= max).then_some(n)
}

pub(crate) fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ => {
            if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 {
                29
            } else {
                28
            }
        }
    }
}

/// go-yaml's `parseTimestamp`: `2006-1-2`, `2006-1-2 15:4:5.999999999`,
/// `2006-1-2T15:4:5.999999999Z07:00` (and lower-case `t`), as Go's `time.Parse` accepts them.
pub(crate) fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    let year: i64 = s[..4].parse().unwrap_or(0);
    let mut i = 5;
    let Some(month) = take_num(b, &mut i, 12) else {
        return false;
    };
    if month == 0 || i >= b.len() || b[i] != b'-' {
        return false;
    }
    i += 1;
    let Some(day) = take_num(b, &mut i, 31) else {
        return false;
    };
    if day == 0 || day > days_in_month(year, month) {
        return false;
    }
    if i == b.len() {
        return true;
    }
    let sep = b[i];
    if sep != b'T' && sep != b't' && sep != b' ' {
        return false;
    }
    i += 1;
    if take_num(b, &mut i, 23).is_none() || i >= b.len() || b[i] != b':' {
        return false;
    }
    i += 1;
    if take_num(b, &mut i, 59).is_none() || i >= b.len() || b[i] != b':' {
        return false;
    }
    i += 1;
    if take_num(b, &mut i, 59).is_none() {
        return false;
    }
    if i < b.len() && b[i] == b'.' {
        let start = i + 1;
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    if sep == b' ' {
        return i == b.len();
    }
    // Z07:00
    if i < b.len() && b[i] == b'Z' {
        return i + 1 == b.len();
    }
    if i + 6 == b.len()
        && (b[i] == b'+' || b[i] == b'-')
        && b[i + 1].is_ascii_digit()
        && b[i + 2].is_ascii_digit()
        && b[i + 3] == b':'
        && b[i + 4].is_ascii_digit()
        && b[i + 5].is_ascii_digit()
    {
        return true;
    }
    false
}

/// Whether go-yaml's `resolve("", s)` gives `!!str` (so the string may be written plain).
fn resolves_to_str(s: &str) -> bool {
    if matches!(
        s,
        "" | "~"
            | "null"
            | "Null"
            | "NULL"
            | "true"
            | "True"
            | "TRUE"
            | "false"
            | "False"
            | "FALSE"
            | ".nan"
            | ".NaN"
            | ".NAN"
            | ".inf"
            | ".Inf"
            | ".INF"
            | "+.inf"
            | "+.Inf"
            | "+.INF"
            | "-.inf"
            | "-.Inf"
            | "-.INF"
            | "<<"
    ) {
        return false;
    }
    let first = s.as_bytes()[0];
    match first {
        b'.' => !is_go_float_syntax(s),
        b'0'..=b'9' | b'+' | b'-' => {
            if is_timestamp(s) {
                return false;
            }
            let plain: String = s.chars().filter(|c| *c != '_').collect();
            if parse_int_base0(&plain).is_some() || parse_uint_base0(&plain).is_some() {
                return false;
            }
            if is_yaml_style_float(&plain) {
                return false;
            }
            let bin = plain
                .strip_prefix("0b")
                .or_else(|| plain.strip_prefix("-0b"));
            if let Some(d) = bin {
                if !d.is_empty() && d.bytes().all(|c| c == b'0' || c == b'1') {
                    return false;
                }
            }
            let oct = plain
                .strip_prefix("0o")
                .or_else(|| plain.strip_prefix("-0o"));
            if let Some(d) = oct {
                if !d.is_empty() && d.bytes().all(|c| (b'0'..=b'7').contains(&c)) {
                    return false;
                }
            }
            // Integers too large for 64 bits still resolve as (big) ints.
            let hex = plain
                .strip_prefix("0x")
                .or_else(|| plain.strip_prefix("0X"));
            if let Some(d) = hex {
                if !d.is_empty() && d.bytes().all(|c| c.is_ascii_hexdigit()) {
                    return false;
                }
            }
            let digits = plain
                .strip_prefix('-')
                .or_else(|| plain.strip_prefix('+'))
                .unwrap_or(&plain);
            if !digits.is_empty() && digits.bytes().all(|c| c.is_ascii_digit()) {
                return false;
            }
            true
        }
        _ => true,
    }
}

/// Whether Go's `strconv.ParseFloat` accepts a string starting with `.`.
fn is_go_float_syntax(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 1;
    let start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i == start {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let s2 = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == s2 {
            return false;
        }
    }
    i == b.len()
}

// ---------------------------------------------------------------------------------------
// Scalar analysis (libyaml's `yaml_emitter_analyze_scalar`)

#[derive(Debug, Clone, Copy)]
struct Analysis {
    multiline: bool,
    flow_plain_allowed: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// libyaml's `is_printable`.
fn is_printable(c: char) -> bool {
    let u = c as u32;
    u == 0x0a
        || (0x20..=0x7e).contains(&u)
        || (0xa0..=0xd7ff).contains(&u)
        || ((0xe000..=0xfffd).contains(&u) && u != 0xfeff)
}

fn analyze(value: &[char]) -> Analysis {
    if value.is_empty() {
        return Analysis {
            multiline: false,
            flow_plain_allowed: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    let mut block_indicators = false;
    let mut flow_indicators = false;
    let mut line_breaks = false;
    let mut special_characters = false;
    let mut tab_characters = false;
    let mut leading_space = false;
    let mut leading_break = false;
    let mut trailing_space = false;
    let mut trailing_break = false;
    let mut break_space = false;
    let mut space_break = false;
    let mut previous_space = false;
    let mut previous_break = false;

    if value.len() >= 3
        && ((value[0] == '-' && value[1] == '-' && value[2] == '-')
            || (value[0] == '.' && value[1] == '.' && value[2] == '.'))
    {
        block_indicators = true;
        flow_indicators = true;
    }

    let mut preceded_by_whitespace = true;
    let n = value.len();
    for (i, &c) in value.iter().enumerate() {
        let followed_by_whitespace = i + 1 >= n || is_blank(value[i + 1]);
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => {
                    flow_indicators = true;
                    block_indicators = true;
                }
                '?' | ':' => {
                    flow_indicators = true;
                    if followed_by_whitespace {
                        block_indicators = true;
                    }
                }
                '-' if followed_by_whitespace => {
                    flow_indicators = true;
                    block_indicators = true;
                }
                _ => {}
            }
        } else {
            match c {
                ',' | '?' | '[' | ']' | '{' | '}' => flow_indicators = true,
                ':' => {
                    flow_indicators = true;
                    if followed_by_whitespace {
                        block_indicators = true;
                    }
                }
                '#' if preceded_by_whitespace => {
                    flow_indicators = true;
                    block_indicators = true;
                }
                _ => {}
            }
        }

        if c == '\t' {
            tab_characters = true;
        } else if !is_printable(c) {
            special_characters = true;
        }
        if c == ' ' {
            if i == 0 {
                leading_space = true;
            }
            if i + 1 == n {
                trailing_space = true;
            }
            if previous_break {
                break_space = true;
            }
            previous_space = true;
            previous_break = false;
        } else if is_break(c) {
            line_breaks = true;
            if i == 0 {
                leading_break = true;
            }
            if i + 1 == n {
                trailing_break = true;
            }
            if previous_space {
                space_break = true;
            }
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = is_blank(c) || is_break(c) || c == '\0';
    }

    let mut a = Analysis {
        multiline: line_breaks,
        flow_plain_allowed: true,
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || tab_characters || special_characters {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special_characters {
        a.block_allowed = false;
    }
    if line_breaks {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
    }
    if flow_indicators {
        a.flow_plain_allowed = false;
    }
    if block_indicators {
        a.block_plain_allowed = false;
    }
    a
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

/// The state the caller of a node pushed (what `increase_indent` looks at).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Parent {
    Document,
    SeqItem,
    MapKey,
    MapValue,
}

/// The emitter's state (libyaml's `yaml_emitter_t`, the fields these documents use).
struct Emitter {
    /// sigs.k8s.io's `CompactSeqIndent`: `- ` counts as indentation.
    compact: bool,
    out: String,
    column: usize,
    whitespace: bool,
    indention: bool,
    indent: i64,
    indents: Vec<i64>,
    flow_level: usize,
}

const BEST_INDENT: i64 = 2;
const BEST_WIDTH: usize = 80;

/// Where a node is being emitted (`emit_node`'s contexts).
#[derive(Clone, Copy)]
struct Ctx {
    parent: Parent,
    mapping: bool,
    simple_key: bool,
}

impl Emitter {
    fn new(compact: bool) -> Self {
        Emitter {
            compact,
            out: String::new(),
            column: 0,
            whitespace: true,
            indention: true,
            indent: -1,
            indents: Vec::new(),
            flow_level: 0,
        }
    }

    fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }

    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
        self.indention = true;
    }

    fn write_break(&mut self, c: char) {
        if c == '\n' {
            self.put_break();
        } else {
            self.out.push(c);
            self.column = 0;
            self.indention = true;
        }
    }

    fn write_indent(&mut self) {
        let indent = self.indent.max(0) as usize;
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
    }

    fn write_indicator(&mut self, ind: &str, need_ws: bool, is_ws: bool, is_indention: bool) {
        if need_ws && !self.whitespace {
            self.put(' ');
        }
        for c in ind.chars() {
            self.put(c);
        }
        self.whitespace = is_ws;
        self.indention = self.indention && is_indention;
    }

    fn increase_indent(&mut self, flow: bool, parent: Parent, compact_seq: bool) {
        self.indents.push(self.indent);
        if self.indent < 0 {
            self.indent = if flow { BEST_INDENT } else { 0 };
        } else {
            if parent == Parent::SeqItem {
                self.indent += 2;
            } else {
                self.indent = BEST_INDENT * ((self.indent + BEST_INDENT) / BEST_INDENT);
            }
            if compact_seq {
                self.indent -= 2;
            }
        }
    }

    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().unwrap_or(-1);
    }

    fn emit_node(&mut self, node: &Node, ctx: Ctx) {
        match node {
            Node::Null => self.emit_scalar("null", Style::Plain, ctx),
            Node::Bool(b) => self.emit_scalar(if *b { "true" } else { "false" }, Style::Plain, ctx),
            Node::Number(n) => self.emit_scalar(n, Style::Plain, ctx),
            Node::Str(s) => {
                let style = if s.contains('\n') {
                    if self.flow_level > 0 {
                        Style::Double
                    } else {
                        Style::Literal
                    }
                } else if resolves_to_str(s) && !is_base60_float(s) && !is_old_bool(s) {
                    Style::Plain
                } else {
                    Style::Double
                };
                self.emit_scalar(s, style, ctx);
            }
            Node::Seq(items) => {
                if items.is_empty() || self.flow_level > 0 {
                    // Only empty sequences are written in flow style here.
                    self.write_indicator("[", true, true, false);
                    self.increase_indent(true, ctx.parent, false);
                    self.pop_indent();
                    if self.column == 0 {
                        self.write_indent();
                    }
                    self.write_indicator("]", false, false, false);
                    return;
                }
                let compact = self.compact && ctx.mapping && (self.column == 0 || !self.indention);
                self.increase_indent(false, ctx.parent, compact);
                for item in items {
                    self.write_indent();
                    self.write_indicator("-", true, false, true);
                    self.emit_node(
                        item,
                        Ctx {
                            parent: Parent::SeqItem,
                            mapping: false,
                            simple_key: false,
                        },
                    );
                }
                self.pop_indent();
            }
            Node::Map(entries) => {
                if entries.is_empty() || self.flow_level > 0 {
                    self.write_indicator("{", true, true, false);
                    self.increase_indent(true, ctx.parent, false);
                    self.pop_indent();
                    self.write_indicator("}", false, false, false);
                    return;
                }
                self.increase_indent(false, ctx.parent, false);
                for (k, v) in entries {
                    self.write_indent();
                    let kc: Vec<char> = k.chars().collect();
                    let simple = !analyze(&kc).multiline && k.len() <= 128;
                    let key = Node::Str(k.clone());
                    if simple {
                        self.emit_node(
                            &key,
                            Ctx {
                                parent: Parent::MapValue,
                                mapping: true,
                                simple_key: true,
                            },
                        );
                        self.write_indicator(":", false, false, false);
                    } else {
                        self.write_indicator("?", true, false, true);
                        self.emit_node(
                            &key,
                            Ctx {
                                parent: Parent::MapValue,
                                mapping: true,
                                simple_key: false,
                            },
                        );
                        self.write_indent();
                        self.write_indicator(":", true, false, true);
                    }
                    self.emit_node(
                        v,
                        Ctx {
                            parent: Parent::MapKey,
                            mapping: true,
                            simple_key: false,
                        },
                    );
                }
                self.pop_indent();
            }
        }
    }

    fn emit_scalar(&mut self, value: &str, requested: Style, ctx: Ctx) {
        let chars: Vec<char> = value.chars().collect();
        let a = analyze(&chars);
        let mut style = requested;
        if ctx.simple_key && a.multiline {
            style = Style::Double;
        }
        if style == Style::Plain {
            if (self.flow_level > 0 && !a.flow_plain_allowed)
                || (self.flow_level == 0 && !a.block_plain_allowed)
            {
                style = Style::Single;
            }
            if chars.is_empty() && (self.flow_level > 0 || ctx.simple_key) {
                style = Style::Single;
            }
        }
        if style == Style::Single && !a.single_quoted_allowed {
            style = Style::Double;
        }
        if style == Style::Literal && (!a.block_allowed || self.flow_level > 0 || ctx.simple_key) {
            style = Style::Double;
        }
        self.increase_indent(true, ctx.parent, false);
        let allow_breaks = !ctx.simple_key;
        match style {
            Style::Plain => self.write_plain(&chars, allow_breaks),
            Style::Single => self.write_single(&chars, allow_breaks),
            Style::Double => self.write_double(&chars, allow_breaks),
            Style::Literal => self.write_literal(&chars),
        }
        self.pop_indent();
    }

    fn write_plain(&mut self, value: &[char], allow_breaks: bool) {
        if !value.is_empty() && !self.whitespace {
            self.put(' ');
        }
        let mut spaces = false;
        let mut breaks = false;
        let mut i = 0;
        while i < value.len() {
            let c = value[i];
            if c == ' ' {
                let next_space = value.get(i + 1) == Some(&' ');
                if allow_breaks && !spaces && self.column > BEST_WIDTH && !next_space {
                    self.write_indent();
                } else {
                    self.put(c);
                }
                spaces = true;
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.write_break(c);
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.put(c);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
            i += 1;
        }
        if !value.is_empty() {
            self.whitespace = false;
        }
        self.indention = false;
    }

    fn write_single(&mut self, value: &[char], allow_breaks: bool) {
        self.write_indicator("'", true, false, false);
        let mut spaces = false;
        let mut breaks = false;
        let n = value.len();
        for (i, &c) in value.iter().enumerate() {
            if c == ' ' {
                let next_space = value.get(i + 1) == Some(&' ');
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && i > 0
                    && i + 1 < n
                    && !next_space
                {
                    self.write_indent();
                } else {
                    self.put(c);
                }
                spaces = true;
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.write_break(c);
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                if c == '\'' {
                    self.put('\'');
                }
                self.put(c);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.write_indicator("'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_double(&mut self, value: &[char], allow_breaks: bool) {
        let mut spaces = false;
        self.write_indicator("\"", true, false, false);
        let n = value.len();
        for (i, &c) in value.iter().enumerate() {
            if !is_printable(c) || c == '\u{feff}' || is_break(c) || c == '"' || c == '\\' {
                self.put('\\');
                let v = c as u32;
                match c {
                    '\0' => self.put('0'),
                    '\u{7}' => self.put('a'),
                    '\u{8}' => self.put('b'),
                    '\t' => self.put('t'),
                    '\n' => self.put('n'),
                    '\u{b}' => self.put('v'),
                    '\u{c}' => self.put('f'),
                    '\r' => self.put('r'),
                    '\u{1b}' => self.put('e'),
                    '"' => self.put('"'),
                    '\\' => self.put('\\'),
                    '\u{85}' => self.put('N'),
                    '\u{a0}' => self.put('_'),
                    '\u{2028}' => self.put('L'),
                    '\u{2029}' => self.put('P'),
                    _ => {
                        let (ind, width) = if v <= 0xff {
                            ('x', 2)
                        } else if v <= 0xffff {
                            ('u', 4)
                        } else {
                            ('U', 8)
                        };
                        self.put(ind);
                        for k in (0..width).rev() {
                            let digit = (v >> (k * 4)) & 0xf;
                            let ch = if digit < 10 {
                                (b'0' + digit as u8) as char
                            } else {
                                (b'A' + digit as u8 - 10) as char
                            };
                            self.put(ch);
                        }
                    }
                }
                spaces = false;
            } else if c == ' ' {
                if allow_breaks && !spaces && self.column > BEST_WIDTH && i > 0 && i + 1 < n {
                    self.write_indent();
                    if value.get(i + 1) == Some(&' ') {
                        self.put('\\');
                    }
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                spaces = false;
            }
        }
        self.write_indicator("\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_block_hints(&mut self, value: &[char]) {
        if let Some(&c) = value.first() {
            if c == ' ' || is_break(c) {
                let hint = char::from(b'0' + BEST_INDENT as u8).to_string();
                self.write_indicator(&hint, false, false, false);
            }
        }
        let chomp = match value.len() {
            0 => Some('-'),
            n => {
                if !is_break(value[n - 1]) {
                    Some('-')
                } else if n == 1 || is_break(value[n - 2]) {
                    Some('+')
                } else {
                    None
                }
            }
        };
        if let Some(c) = chomp {
            self.write_indicator(&c.to_string(), false, false, false);
        }
    }

    fn write_literal(&mut self, value: &[char]) {
        self.write_indicator("|", true, false, false);
        self.write_block_hints(value);
        self.whitespace = true;
        let mut breaks = true;
        for &c in value {
            if is_break(c) {
                self.write_break(c);
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.put(c);
                self.indention = false;
                breaks = false;
            }
        }
    }
}

/// Encodes a value as Helm's `toYaml` does (before trimming the final newline); `None` where
/// Go's JSON marshalling fails.
pub(crate) fn encode(v: &Value) -> Option<String> {
    encode_with(v, true)
}

/// Helm's `toYamlPretty`: go-yaml v3's own encoder with 2-space indentation, sequences
/// indented under their key, no JSON round trip; `""` if the value cannot be encoded.
pub(crate) fn to_yaml_pretty(v: &Value) -> String {
    match encode_with(v, false) {
        Some(s) => s.strip_suffix('\n').map(str::to_string).unwrap_or(s),
        None => String::new(),
    }
}

fn encode_with(v: &Value, sigs: bool) -> Option<String> {
    let node = node_of(v, sigs)?;
    let mut e = Emitter::new(sigs);
    e.emit_node(
        &node,
        Ctx {
            parent: Parent::Document,
            mapping: false,
            simple_key: false,
        },
    );
    // Document end: an implicit end writes the pending line break.
    e.indent = -1;
    e.write_indent();
    Some(e.out)
}

/// Helm's `toYaml`: the YAML of the value without its final newline, `""` if the value cannot
/// be marshalled.
pub(crate) fn to_yaml(v: &Value) -> String {
    match encode(v) {
        Some(s) => s.strip_suffix('\n').map(str::to_string).unwrap_or(s),
        None => String::new(),
    }
}

// ---------------------------------------------------------------------------------------
// fromYaml

/// Parses a YAML document as `sigs.k8s.io/yaml.Unmarshal` into `interface{}` does: numbers
/// become `float64` (the JSON step), timestamps stay strings, keys become strings.
pub(crate) fn parse(text: &str) -> std::result::Result<Value, String> {
    let opts = || {
        let mut o = serde_saphyr::Options::default();
        o.strict_booleans = true;
        o.legacy_octal_numbers = true;
        o
    };
    let v: Option<serde_json::Value> = match serde_saphyr::from_str_with_options(text, opts()) {
        Ok(v) => v,
        Err(e) => {
            // go-yaml reads the first document of a stream.
            match serde_saphyr::from_multiple_with_options::<serde_json::Value>(text, opts()) {
                Ok(docs) if docs.len() > 1 => docs.into_iter().next(),
                _ => return Err(yaml_error(&e.to_string())),
            }
        }
    };
    Ok(super::convert::to_value(
        &v.unwrap_or(serde_json::Value::Null),
    ))
}

/// Go's wording of a YAML error, from serde-saphyr's first line.
fn yaml_error(msg: &str) -> String {
    if msg.contains("non-finite float") {
        return "error converting YAML to JSON: json: unsupported value: +Inf".into();
    }
    let first = msg.lines().next().unwrap_or(msg);
    let first = first.strip_prefix("error: ").unwrap_or(first);
    format!("error converting YAML to JSON: yaml: {first}")
}

/// Helm's `fromYaml`: a map; on error (or when the document is not a map) a map holding only
/// `Error`.
pub(crate) fn from_yaml(text: &str) -> Value {
    let mut m = super::convert::Map::new();
    match parse(text) {
        Ok(Value::Map(parsed)) => return Value::Map(parsed),
        Ok(Value::Nil) => {}
        Ok(other) => {
            m.insert(
                Arc::from("Error"),
                super::convert::string(format!(
                    "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                    json_kind(&other)
                )),
            );
        }
        Err(e) => {
            m.insert(Arc::from("Error"), super::convert::string(e));
        }
    }
    super::convert::map(m)
}

/// Helm's `fromYamlArray`: a list; on error a list holding only the error text.
pub(crate) fn from_yaml_array(text: &str) -> Value {
    match parse(text) {
        Ok(Value::List(l)) => Value::List(l),
        Ok(Value::Nil) => super::convert::list(Vec::new()),
        Ok(other) => super::convert::list(vec![super::convert::string(format!(
            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type []interface {{}}",
            json_kind(&other)
        ))]),
        Err(e) => super::convert::list(vec![super::convert::string(e)]),
    }
}

/// The JSON kind Go's decoder names in its errors.
pub(crate) fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Map(_) => "object",
        Value::List(_) => "array",
        Value::String(_) => "string",
        Value::Bool(_) => "bool",
        Value::Nil => "null",
        _ => "number",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::helm::funcs::convert::to_value;
    use serde_json::json;

    fn y(v: serde_json::Value) -> String {
        to_yaml(&to_value(&v))
    }

    #[test]
    fn nested_maps_and_lists() {
        let v = json!({
            "b": {"c": 1, "a": [1, 2]},
            "a": [{"name": "x", "value": "y"}, [1, 2], []],
            "e": {},
            "n": null
        });
        assert_eq!(
            y(v),
            "a:\n- name: x\n  value: \"y\"\n- - 1\n  - 2\n- []\nb:\n  a:\n  - 1\n  - 2\n  c: 1\ne: {}\n\"n\": null"
        );
    }

    #[test]
    fn numbers_through_json() {
        assert_eq!(y(json!({"a": 10000000})), "a: 10000000");
        assert_eq!(
            y(json!({"a": 1.5, "b": 3.0, "c": 0.000001})),
            "a: 1.5\nb: 3\nc: 1e-06"
        );
        assert_eq!(y(json!({"a": 1e21, "b": 1e20})), "a: 1e+21\nb: 1e+20");
        assert_eq!(to_yaml(&Value::Int(5)), "5");
        assert_eq!(to_yaml(&Value::Float(f64::NAN)), "");
    }

    #[test]
    fn strings_quoted_like_go_yaml() {
        let cases = [
            ("true", "\"true\""),
            ("yes", "\"yes\""),
            ("No", "\"No\""),
            ("null", "\"null\""),
            ("~", "\"~\""),
            ("", "\"\""),
            ("1.0", "\"1.0\""),
            ("123", "\"123\""),
            ("0x1F", "\"0x1F\""),
            ("1e3", "\"1e3\""),
            ("1_000", "\"1_000\""),
            ("12:30", "\"12:30\""),
            ("2024-01-15", "\"2024-01-15\""),
            ("2024-01-15T10:00:00Z", "\"2024-01-15T10:00:00Z\""),
            ("1.2.3", "1.2.3"),
            ("v1", "v1"),
            ("*", "'*'"),
            ("- x", "'- x'"),
            ("a: b", "'a: b'"),
            ("a #b", "'a #b'"),
            ("a#b", "a#b"),
            ("http://x:80/y", "http://x:80/y"),
            (" lead", "' lead'"),
            ("trail ", "'trail '"),
            ("it's", "it's"),
            ("'q'", "'''q'''"),
            ("@at", "'@at'"),
            ("%p", "'%p'"),
            ("tab\there", "\"tab\\there\""),
            ("é", "é"),
            ("😀", "\"\\U0001F600\""),
            ("---", "'---'"),
            ("<<", "\"<<\""),
            (".5", "\".5\""),
            (".x", ".x"),
            ("-", "'-'"),
            ("-1", "\"-1\""),
            ("+1", "\"+1\""),
            ("0o17", "\"0o17\""),
            ("08", "\"08\""),
            ("1:2:3.5", "\"1:2:3.5\""),
            ("{a}", "'{a}'"),
            ("a{b}", "a{b}"),
        ];
        for (s, want) in cases {
            assert_eq!(y(json!({ "k": s })), format!("k: {want}"), "string {s:?}");
        }
        assert_eq!(y(json!({"true": 1, "": 2})), "\"\": 2\n\"true\": 1");
    }

    #[test]
    fn multiline_strings_are_literal_blocks() {
        assert_eq!(y(json!({"s": "a\nb"})), "s: |-\n  a\n  b");
        assert_eq!(y(json!({"s": "a\nb\n"})), "s: |\n  a\n  b");
        assert_eq!(y(json!({"s": "a\n\n"})), "s: |+\n  a\n");
        assert_eq!(y(json!({"s": " a\nb"})), "s: |2-\n   a\n  b");
        assert_eq!(y(json!({"s": "a \nb"})), "s: \"a \\nb\"");
        assert_eq!(y(json!({"s": "a\n\nb"})), "s: |-\n  a\n\n  b");
        assert_eq!(y(json!(["a\nb"])), "- |-\n  a\n  b");
        assert_eq!(y(json!({"m": {"s": "x\ny\n"}})), "m:\n  s: |\n    x\n    y");
        assert_eq!(y(json!("a\nb")), "|-\n  a\n  b");
    }

    #[test]
    fn long_strings_fold_at_80_columns() {
        let words = "word ".repeat(30);
        let s = words.trim_end();
        let out = y(json!({ "k": s }));
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines.len() > 1, "{out}");
        assert!(lines[1].starts_with("  word"), "{out}");
        // Each line breaks at the first space past column 80.
        assert_eq!(lines[0].len(), 82, "{out}");
        // A long string without spaces is never folded.
        let long = "x".repeat(200);
        assert_eq!(y(json!({ "k": long })), format!("k: {long}"));
    }

    #[test]
    fn key_order_is_natural() {
        assert_eq!(
            y(json!({"a10": 1, "a2": 2, "b": 3, "A": 4, "a_b": 5, "ab": 6})),
            "A: 4\na_b: 5\na2: 2\na10: 1\nab: 6\nb: 3"
        );
    }

    #[test]
    fn pretty_indents_sequences_and_keeps_floats() {
        let v = to_value(&json!({"a": [1, {"b": 10000000}], "c": {"d": ["x"]}}));
        assert_eq!(
            to_yaml_pretty(&v),
            "a:\n  - 1e+00\n  - b: 1e+07\nc:\n  d:\n    - x".replace("1e+00", "1")
        );
    }

    #[test]
    fn scalars_at_root() {
        assert_eq!(y(json!(null)), "null");
        assert_eq!(y(json!("plain")), "plain");
        assert_eq!(y(json!([])), "[]");
        assert_eq!(y(json!({})), "{}");
        assert_eq!(y(json!(true)), "true");
    }

    #[test]
    fn from_yaml_reads_values_as_helm() {
        let v = from_yaml("a: 1\nb: [x, true]\nc: yes\nd: 2024-01-01\n");
        assert_eq!(
            super::super::convert::from_value(&v),
            json!({"a": 1.0, "b": ["x", true], "c": "yes", "d": "2024-01-01"})
        );
        let e = from_yaml("- a\n- b\n");
        assert!(matches!(&e, Value::Map(m) if m.contains_key("Error")));
        let l = from_yaml_array("- a\n- 2\n");
        assert_eq!(super::super::convert::from_value(&l), json!(["a", 2.0]));
        assert_eq!(super::super::convert::from_value(&from_yaml("")), json!({}));
    }
}
