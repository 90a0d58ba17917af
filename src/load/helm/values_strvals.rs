//! `--set` and `--set-string` expressions, as Helm's `pkg/strvals` parses them:
//! `a.b=v,c[0].d=w,list={x,y}`. Keys are split on `.` and `[i]`; `\` escapes the next
//! character (`a\.b=v` is the key `a.b`, `v=a\,b` is the value `a,b`); `{x,y}` is a list.
//! With `--set`, a value is typed: `true`/`false`/`null` (any case) are a boolean and null,
//! a decimal integer (not starting with `0`, except `0` itself) is an int64, anything else a
//! string; `--set-string` keeps every value a string. Values are parsed into an existing map
//! (Helm parses `--set` into the merged `-f` values): an index sets an item of an existing
//! list, a dotted key goes into an existing table.

use serde_json::{Map, Value};

/// Helm's limits.
const MAX_INDEX: i64 = 65536;
const MAX_NESTED_NAME_LEVEL: usize = 30;

enum E {
    Eof,
    NotList,
    Msg(String),
}

impl From<String> for E {
    fn from(s: String) -> Self {
        E::Msg(s)
    }
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    string_values: bool,
}

/// Parses `expr` into `dest` (Helm's `ParseInto` / `ParseIntoString`).
pub(super) fn parse_into(
    expr: &str,
    dest: &mut Map<String, Value>,
    string_values: bool,
) -> Result<(), String> {
    let mut p = Parser {
        chars: expr.chars().collect(),
        pos: 0,
        string_values,
    };
    loop {
        match p.key(dest, 0) {
            Ok(()) => continue,
            Err(E::Eof) => return Ok(()),
            Err(E::NotList) => return Err("not a list".into()),
            Err(E::Msg(m)) => return Err(m),
        }
    }
}

/// Go's name of the dynamic type of a value, for the messages of failed type assertions.
fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "nil",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float64",
        Value::Number(_) => "int64",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

fn quote(s: &[char]) -> String {
    format!("{:?}", s.iter().collect::<String>())
}

impl Parser {
    fn read(&mut self) -> Option<char> {
        let c = self.chars.get(self.pos).copied();
        if c.is_some() {
            self.pos += 1;
        }
        c
    }

    fn unread(&mut self) {
        self.pos = self.pos.saturating_sub(1);
    }

    /// Runes up to one of `stop` (consumed): the runes, the stop rune, or `Err(Eof)` with
    /// what was read.
    fn runes_until(&mut self, stop: &[char]) -> (Vec<char>, Option<char>) {
        let mut v = Vec::new();
        loop {
            match self.read() {
                None => return (v, None),
                Some(c) if stop.contains(&c) => return (v, Some(c)),
                Some('\\') => match self.read() {
                    None => return (v, None),
                    Some(next) => v.push(next),
                },
                Some(c) => v.push(c),
            }
        }
    }

    fn typed(&self, rs: &[char]) -> Value {
        let val: String = rs.iter().collect();
        if self.string_values {
            return Value::String(val);
        }
        if val.eq_ignore_ascii_case("true") {
            return Value::Bool(true);
        }
        if val.eq_ignore_ascii_case("false") {
            return Value::Bool(false);
        }
        if val.eq_ignore_ascii_case("null") {
            return Value::Null;
        }
        if val == "0" {
            return Value::from(0i64);
        }
        if !val.is_empty() && !val.starts_with('0') {
            if let Some(i) = go_parse_int10(&val) {
                return Value::from(i);
            }
        }
        Value::String(val)
    }

    fn key(&mut self, data: &mut Map<String, Value>, mut nested: usize) -> Result<(), E> {
        let (k, last) = self.runes_until(&['=', '[', ',', '.']);
        let Some(last) = last else {
            if k.is_empty() {
                return Err(E::Eof);
            }
            return Err(E::Msg(format!("key {} has no value", quote(&k))));
        };
        let kk: String = k.iter().collect();
        match last {
            '[' => {
                let i = self
                    .key_index()
                    .map_err(|e| E::Msg(format!("error parsing index: {e}")))?;
                let list = match data.remove(&kk) {
                    None => Vec::new(),
                    Some(Value::Array(l)) => l,
                    Some(other) => {
                        let t = go_type(&other);
                        data.insert(kk, other);
                        return Err(E::Msg(format!(
                            "unable to parse key: interface conversion: interface {{}} is {t}, \
                             not []interface {{}}"
                        )));
                    }
                };
                let (list, err) = self.list_item(list, i, nested);
                set(data, &kk, Value::Array(list));
                err.map_or(Ok(()), Err)
            }
            '=' => match self.val_list() {
                Ok(vl) => {
                    set(data, &kk, Value::Array(vl));
                    Ok(())
                }
                Err(E::Eof) => {
                    set(data, &kk, Value::String(String::new()));
                    Err(E::Eof)
                }
                Err(E::NotList) => {
                    let (rs, _) = self.runes_until(&[',']);
                    let v = self.typed(&rs);
                    set(data, &kk, v);
                    Ok(())
                }
                Err(e) => Err(e),
            },
            ',' => {
                set(data, &kk, Value::String(String::new()));
                Err(E::Msg(format!(
                    "key {} has no value (cannot end with ,)",
                    quote(&k)
                )))
            }
            '.' => {
                nested += 1;
                if nested > MAX_NESTED_NAME_LEVEL {
                    return Err(E::Msg(format!(
                        "value name nested level is greater than maximum supported nested level \
                         of {MAX_NESTED_NAME_LEVEL}"
                    )));
                }
                let existed = data.contains_key(&kk);
                let mut inner = match data.remove(&kk) {
                    None => Map::new(),
                    Some(Value::Object(m)) => m,
                    Some(other) => {
                        let t = go_type(&other);
                        data.insert(kk, other);
                        return Err(E::Msg(format!(
                            "unable to parse key: interface conversion: interface {{}} is {t}, \
                             not map[string]interface {{}}"
                        )));
                    }
                };
                let e = self.key(&mut inner, nested);
                let empty = inner.is_empty();
                if !empty || existed {
                    // Go mutates the existing table in place, and sets it when it has keys.
                    set(data, &kk, Value::Object(inner));
                }
                match e {
                    Ok(()) if empty => Err(E::Msg(format!("key map {} has no value", quote(&k)))),
                    other => other,
                }
            }
            _ => unreachable!("stop runes"),
        }
    }

    fn key_index(&mut self) -> Result<i64, String> {
        let (v, last) = self.runes_until(&[']']);
        if last.is_none() {
            return Err("EOF".into());
        }
        let s: String = v.iter().collect();
        go_atoi(&s).ok_or_else(|| format!("strconv.Atoi: parsing {s:?}: invalid syntax"))
    }

    /// Sets item `i` of `list` from what follows `]`; the list as it is after, and the error.
    fn list_item(
        &mut self,
        mut list: Vec<Value>,
        i: i64,
        nested: usize,
    ) -> (Vec<Value>, Option<E>) {
        if i < 0 {
            return (
                list,
                Some(E::Msg(format!("negative {i} index not allowed"))),
            );
        }
        let (k, last) = self.runes_until(&['[', '.', '=']);
        if !k.is_empty() {
            return (
                list,
                Some(E::Msg(format!(
                    "unexpected data at end of array index: {}",
                    quote(&k)
                ))),
            );
        }
        let Some(last) = last else {
            return (list, Some(E::Eof));
        };
        match last {
            '=' => match self.val_list() {
                Ok(vl) => set_index(list, i, Value::Array(vl)),
                Err(E::Eof) => set_index(list, i, Value::String(String::new())),
                Err(E::NotList) => {
                    let (rs, _) = self.runes_until(&[',']);
                    let v = self.typed(&rs);
                    set_index(list, i, v)
                }
                Err(e) => (list, Some(e)),
            },
            '[' => {
                let next = match self.key_index() {
                    Ok(n) => n,
                    Err(e) => return (list, Some(E::Msg(format!("error parsing index: {e}")))),
                };
                let idx = usize::try_from(i).unwrap_or(usize::MAX);
                let current = match list.get(idx) {
                    None | Some(Value::Null) => Vec::new(),
                    Some(Value::Array(l)) => l.clone(),
                    Some(other) => {
                        return (
                            list.clone(),
                            Some(E::Msg(format!(
                                "unable to parse key: interface conversion: interface {{}} is {}, \
                                 not []interface {{}}",
                                go_type(other)
                            ))),
                        )
                    }
                };
                let (list2, err) = self.list_item(current, next, nested);
                if let Some(e) = err {
                    return (list, Some(e));
                }
                set_index(list, i, Value::Array(list2))
            }
            '.' => {
                let idx = usize::try_from(i).unwrap_or(usize::MAX);
                let mut inner = match list.get_mut(idx) {
                    None => Map::new(),
                    Some(slot) => match std::mem::take(slot) {
                        Value::Object(m) => m,
                        // Indices out of order: the item becomes a table.
                        _ => Map::new(),
                    },
                };
                let e = self.key(&mut inner, nested);
                if idx < list.len() {
                    list[idx] = Value::Object(inner.clone());
                }
                if let Err(e) = e {
                    return (list, Some(e));
                }
                set_index(list, i, Value::Object(inner))
            }
            other => (
                Vec::new(),
                Some(E::Msg(format!(
                    "parse error: unexpected token {}",
                    u32::from(other)
                ))),
            ),
        }
    }

    /// `{a,b}`: a list; `Err(NotList)` when the value does not start with `{` (nothing
    /// consumed).
    fn val_list(&mut self) -> Result<Vec<Value>, E> {
        let Some(r) = self.read() else {
            return Err(E::Eof);
        };
        if r != '{' {
            self.unread();
            return Err(E::NotList);
        }
        let mut list = Vec::new();
        loop {
            let (rs, last) = self.runes_until(&[',', '}']);
            match last {
                None => return Err(E::Msg("list must terminate with '}'".into())),
                Some('}') => {
                    if let Some(r) = self.read() {
                        if r != ',' {
                            self.unread();
                        }
                    }
                    list.push(self.typed(&rs));
                    return Ok(list);
                }
                Some(_) => list.push(self.typed(&rs)),
            }
        }
    }
}

fn set(data: &mut Map<String, Value>, key: &str, val: Value) {
    if !key.is_empty() {
        data.insert(key.to_string(), val);
    }
}

fn set_index(mut list: Vec<Value>, index: i64, val: Value) -> (Vec<Value>, Option<E>) {
    if index < 0 {
        return (
            list,
            Some(E::Msg(format!("negative {index} index not allowed"))),
        );
    }
    if index > MAX_INDEX {
        return (
            list,
            Some(E::Msg(format!(
                "index of {index} is greater than maximum supported index of {MAX_INDEX}"
            ))),
        );
    }
    let i = usize::try_from(index).unwrap_or(usize::MAX);
    if list.len() <= i {
        list.resize(i + 1, Value::Null);
    }
    list[i] = val;
    (list, None)
}

/// Go's `strconv.ParseInt(s, 10, 64)`.
fn go_parse_int10(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.strip_prefix('+').unwrap_or(s).parse().ok()
}

/// Go's `strconv.Atoi`.
fn go_atoi(s: &str) -> Option<i64> {
    go_parse_int10(s)
}
