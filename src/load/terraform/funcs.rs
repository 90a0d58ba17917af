//! Terraform's built-in functions that do not read files: string, collection, encoding,
//! numeric and network functions. A function not listed in [`is_known`] is reported and its
//! result is unknown.

use super::budget::{Limit, Limits};
use super::value::{fmt_num, V};
use std::collections::{BTreeMap, HashSet};
use std::hash::{Hash, Hasher};

type R = Result<V, String>;

/// Why a function gave no value: its arguments are wrong (Terraform would fail too), or its
/// result would be over a limit of the evaluation budget.
#[derive(Debug, PartialEq)]
pub enum FnErr {
    Invalid(String),
    Limit(Limit),
}

impl From<String> for FnErr {
    fn from(e: String) -> Self {
        FnErr::Invalid(e)
    }
}

impl From<&str> for FnErr {
    fn from(e: &str) -> Self {
        FnErr::Invalid(e.to_string())
    }
}

const KNOWN: &[&str] = &[
    // string
    "lower",
    "upper",
    "format",
    "formatlist",
    "join",
    "split",
    "replace",
    "trim",
    "trimspace",
    "trimprefix",
    "trimsuffix",
    "substr",
    "title",
    "regex",
    "regexall",
    "chomp",
    "strrev",
    "startswith",
    "endswith",
    "indent",
    "strcontains",
    // collection
    "concat",
    "merge",
    "lookup",
    "element",
    "length",
    "keys",
    "values",
    "contains",
    "distinct",
    "flatten",
    "coalesce",
    "coalescelist",
    "compact",
    "toset",
    "tolist",
    "tomap",
    "tostring",
    "tonumber",
    "tobool",
    "zipmap",
    "range",
    "slice",
    "reverse",
    "sort",
    "index",
    "one",
    "alltrue",
    "anytrue",
    "sum",
    "setunion",
    "setintersection",
    "setsubtract",
    "transpose",
    "chunklist",
    // encoding
    "jsonencode",
    "jsondecode",
    "base64encode",
    "base64decode",
    "urlencode",
    "yamlencode",
    // numeric
    "min",
    "max",
    "abs",
    "ceil",
    "floor",
    "pow",
    "signum",
    "parseint",
    // network
    "cidrsubnet",
    "cidrhost",
    "cidrnetmask",
    "cidrsubnets",
];

pub fn is_known(name: &str) -> bool {
    KNOWN.contains(&name)
}

fn arg(args: &[V], i: usize) -> Result<&V, String> {
    args.get(i)
        .ok_or_else(|| format!("argument {} is missing", i + 1))
}

fn s(args: &[V], i: usize) -> Result<String, String> {
    let v = arg(args, i)?;
    v.to_str()
        .ok_or_else(|| format!("argument {} must be a string, not {}", i + 1, v.type_name()))
}

fn n(args: &[V], i: usize) -> Result<f64, String> {
    let v = arg(args, i)?;
    v.to_num()
        .ok_or_else(|| format!("argument {} must be a number, not {}", i + 1, v.type_name()))
}

fn list(args: &[V], i: usize) -> Result<Vec<V>, String> {
    match arg(args, i)? {
        V::List(items) => Ok(items.clone()),
        other => Err(format!(
            "argument {} must be a list, not {}",
            i + 1,
            other.type_name()
        )),
    }
}

fn map(args: &[V], i: usize) -> Result<BTreeMap<String, V>, String> {
    match arg(args, i)? {
        V::Map(m) => Ok(m.clone()),
        other => Err(format!(
            "argument {} must be a map, not {}",
            i + 1,
            other.type_name()
        )),
    }
}

fn strs(items: &[V]) -> Result<Vec<String>, String> {
    items
        .iter()
        .map(|v| {
            v.to_str()
                .ok_or_else(|| format!("expected strings, found a {}", v.type_name()))
        })
        .collect()
}

/// A value as a hash-set member, equal as [`V`]'s `==` is (so that sets and `distinct` take
/// linear time, not quadratic, in the number of elements).
pub struct Member<'a>(pub &'a V);

impl Hash for Member<'_> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        fn walk<H: Hasher>(v: &V, h: &mut H) {
            std::mem::discriminant(v).hash(h);
            match v {
                V::Null => {}
                V::Bool(b) => b.hash(h),
                // Equal numbers hash alike (0.0 == -0.0); NaN equals nothing, whatever it hashes.
                V::Num(n) => (if *n == 0.0 { 0.0f64 } else { *n }).to_bits().hash(h),
                V::Str(s) | V::Unknown(s) => s.hash(h),
                V::List(items) => {
                    items.len().hash(h);
                    for i in items {
                        walk(i, h);
                    }
                }
                V::Map(m) => {
                    m.len().hash(h);
                    for (k, i) in m {
                        k.hash(h);
                        walk(i, h);
                    }
                }
            }
        }
        walk(self.0, h)
    }
}

impl PartialEq for Member<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl Eq for Member<'_> {}

/// The items without repeats, first occurrence kept, in order.
pub fn distinct(items: Vec<V>) -> Vec<V> {
    let keep: Vec<bool> = {
        let mut seen: HashSet<Member> = HashSet::with_capacity(items.len());
        items.iter().map(|i| seen.insert(Member(i))).collect()
    };
    items
        .into_iter()
        .zip(keep)
        .filter_map(|(i, k)| k.then_some(i))
        .collect()
}

fn set_of(items: Vec<V>) -> Vec<V> {
    let mut out = distinct(items);
    // Terraform orders sets of strings lexically.
    if out.iter().all(|v| matches!(v, V::Str(_))) {
        out.sort_by_key(V::to_str);
    }
    out
}

/// Calls a function, within `limits`: a function whose result would be over a limit is
/// refused before it is built (`range(1e9)`, `join` with a long separator, `replace` that
/// multiplies a string, `format("%999999999d", 1)`…).
pub fn call(name: &str, args: &[V], limits: &Limits) -> Result<V, FnErr> {
    if let Some(limit) = over_limit(name, args, limits) {
        return Err(FnErr::Limit(limit));
    }
    match name {
        "format" => Ok(V::Str(format(&s(args, 0)?, &args[1..], limits)?)),
        "formatlist" => formatlist(args, limits),
        _ => call_unbounded(name, args).map_err(FnErr::Invalid),
    }
}

/// The limit a function's result would be over, from its arguments alone (cheaply: counting,
/// never building the result).
fn over_limit(name: &str, args: &[V], l: &Limits) -> Option<Limit> {
    let len = |i: usize| match args.get(i) {
        Some(V::List(items)) => items.len(),
        Some(V::Map(m)) => m.len(),
        _ => 0,
    };
    let text = |i: usize| args.get(i).and_then(V::to_str).unwrap_or_default();
    let elements = |n: usize| (n > l.max_value_elements).then_some(Limit::ValueElements);
    let bytes = |n: usize| (n > l.max_value_bytes).then_some(Limit::ValueBytes);
    match name {
        "range" => {
            let num = |i: usize| args.get(i).and_then(V::to_num);
            let (start, end, step) = match args.len() {
                1 => (0.0, num(0)?, 1.0),
                2 => (num(0)?, num(1)?, 1.0),
                _ => (num(0)?, num(1)?, num(2)?),
            };
            let n = ((end - start) / step).ceil();
            (n.is_nan() || n > l.max_range as f64).then_some(Limit::Range)
        }
        "concat" | "setunion" | "merge" => elements((0..args.len()).map(len).sum()),
        "join" => {
            let sep = text(0).len();
            let mut total = 0usize;
            let mut count = 0usize;
            for i in 1..args.len() {
                if let Some(V::List(items)) = args.get(i) {
                    for v in items {
                        total += v.to_str().map_or(0, |s| s.len());
                        count += 1;
                    }
                }
            }
            bytes(total.saturating_add(sep.saturating_mul(count.saturating_sub(1))))
        }
        "replace" => {
            let (x, from, to) = (text(0), text(1), text(2));
            if from.len() > 2 && from.starts_with('/') && from.ends_with('/') {
                // Exactly what the replacement writes, counted match by match.
                let re = regex::Regex::new(&from[1..from.len() - 1]).ok()?;
                let mut total = x.len();
                let mut buf = String::new();
                for c in re.captures_iter(&x) {
                    buf.clear();
                    c.expand(&to, &mut buf);
                    total = total.saturating_add(buf.len());
                    if total > l.max_value_bytes {
                        return Some(Limit::ValueBytes);
                    }
                }
                None
            } else {
                let count = if from.is_empty() {
                    x.chars().count() + 1
                } else {
                    x.matches(from.as_str()).count()
                };
                bytes(x.len().saturating_add(count.saturating_mul(to.len())))
            }
        }
        "indent" => {
            let pad = args.first().and_then(V::to_num).unwrap_or(0.0).max(0.0);
            let x = text(1);
            let lines = x.bytes().filter(|&b| b == b'\n').count() as f64;
            (x.len() as f64 + lines * pad > l.max_value_bytes as f64).then_some(Limit::ValueBytes)
        }
        "split" => {
            let (sep, x) = (text(0), text(1));
            let count = if sep.is_empty() {
                x.chars().count() + 2
            } else {
                x.matches(sep.as_str()).count() + 1
            };
            elements(count)
        }
        "regexall" => {
            let re = regex::Regex::new(&text(0)).ok()?;
            let x = text(1);
            let per_match = re.captures_len();
            let mut total = 0usize;
            for _ in re.find_iter(&x) {
                total += per_match;
                if total > l.max_value_elements {
                    return Some(Limit::ValueElements);
                }
            }
            None
        }
        // At most one element per structural character (or per byte of a number).
        "jsondecode" => elements(
            text(0)
                .bytes()
                .filter(|b| matches!(b, b'[' | b'{' | b',' | b':'))
                .count(),
        ),
        _ => None,
    }
}

fn call_unbounded(name: &str, args: &[V]) -> R {
    match name {
        "lower" => Ok(V::Str(s(args, 0)?.to_lowercase())),
        "upper" => Ok(V::Str(s(args, 0)?.to_uppercase())),
        "title" => Ok(V::Str(title(&s(args, 0)?))),
        "chomp" => Ok(V::Str(
            s(args, 0)?.trim_end_matches(['\n', '\r']).to_string(),
        )),
        "strrev" => Ok(V::Str(s(args, 0)?.chars().rev().collect())),
        "trimspace" => Ok(V::Str(s(args, 0)?.trim().to_string())),
        "trim" => {
            let cut = s(args, 1)?;
            Ok(V::Str(
                s(args, 0)?.trim_matches(|c| cut.contains(c)).to_string(),
            ))
        }
        "trimprefix" => {
            let (x, p) = (s(args, 0)?, s(args, 1)?);
            Ok(V::Str(x.strip_prefix(p.as_str()).unwrap_or(&x).to_string()))
        }
        "trimsuffix" => {
            let (x, p) = (s(args, 0)?, s(args, 1)?);
            Ok(V::Str(x.strip_suffix(p.as_str()).unwrap_or(&x).to_string()))
        }
        "startswith" => Ok(V::Bool(s(args, 0)?.starts_with(&s(args, 1)?))),
        "endswith" => Ok(V::Bool(s(args, 0)?.ends_with(&s(args, 1)?))),
        "strcontains" => Ok(V::Bool(s(args, 0)?.contains(&s(args, 1)?))),
        "indent" => {
            let pad = " ".repeat(n(args, 0)?.max(0.0) as usize);
            let text = s(args, 1)?;
            Ok(V::Str(text.replace('\n', &format!("\n{pad}"))))
        }
        "substr" => {
            let text: Vec<char> = s(args, 0)?.chars().collect();
            let mut off = n(args, 1)? as i64;
            let len = n(args, 2)? as i64;
            if off < 0 {
                off += text.len() as i64;
            }
            let off = off.clamp(0, text.len() as i64) as usize;
            let end = if len < 0 {
                text.len()
            } else {
                (off + len as usize).min(text.len())
            };
            Ok(V::Str(text[off..end].iter().collect()))
        }
        "join" => {
            let sep = s(args, 0)?;
            let mut parts = Vec::new();
            for i in 1..args.len() {
                parts.extend(strs(&list(args, i)?)?);
            }
            Ok(V::Str(parts.join(&sep)))
        }
        "split" => {
            let (sep, x) = (s(args, 0)?, s(args, 1)?);
            if x.is_empty() {
                return Ok(V::List(vec![V::Str(String::new())]));
            }
            Ok(V::List(
                x.split(sep.as_str())
                    .map(|p| V::Str(p.to_string()))
                    .collect(),
            ))
        }
        "replace" => {
            let (x, from, to) = (s(args, 0)?, s(args, 1)?, s(args, 2)?);
            if from.len() > 2 && from.starts_with('/') && from.ends_with('/') {
                let re = regex::Regex::new(&from[1..from.len() - 1]).map_err(|e| e.to_string())?;
                let to = go_replacement(&to);
                Ok(V::Str(re.replace_all(&x, to.as_str()).into_owned()))
            } else {
                Ok(V::Str(x.replace(&from, &to)))
            }
        }
        "regex" | "regexall" => {
            let re = regex::Regex::new(&s(args, 0)?).map_err(|e| e.to_string())?;
            let text = s(args, 1)?;
            let one = |c: regex::Captures| -> V {
                let names: Vec<Option<&str>> = re.capture_names().collect();
                if re.captures_len() == 1 {
                    V::Str(c[0].to_string())
                } else if names.iter().skip(1).all(|n| n.is_some()) {
                    V::Map(
                        names
                            .iter()
                            .skip(1)
                            .flatten()
                            .map(|n| {
                                (
                                    n.to_string(),
                                    V::Str(c.name(n).map_or("", |m| m.as_str()).to_string()),
                                )
                            })
                            .collect(),
                    )
                } else {
                    V::List(
                        (1..c.len())
                            .map(|i| V::Str(c.get(i).map_or("", |m| m.as_str()).to_string()))
                            .collect(),
                    )
                }
            };
            if name == "regex" {
                re.captures(&text)
                    .map(one)
                    .ok_or_else(|| "the pattern does not match".to_string())
            } else {
                Ok(V::List(re.captures_iter(&text).map(one).collect()))
            }
        }
        "concat" => {
            let mut out = Vec::new();
            for i in 0..args.len() {
                out.extend(list(args, i)?);
            }
            Ok(V::List(out))
        }
        "merge" => {
            let mut out = BTreeMap::new();
            for a in args {
                match a {
                    V::Map(m) => out.extend(m.clone()),
                    V::Null => {}
                    other => {
                        return Err(format!("merge() takes maps, not a {}", other.type_name()))
                    }
                }
            }
            Ok(V::Map(out))
        }
        "lookup" => {
            let m = map(args, 0)?;
            let k = s(args, 1)?;
            match m.get(&k) {
                Some(v) => Ok(v.clone()),
                None => args
                    .get(2)
                    .cloned()
                    .ok_or_else(|| format!("the map has no key {k:?} and no default was given")),
            }
        }
        "element" => {
            let items = list(args, 0)?;
            if items.is_empty() {
                return Err("element() of an empty list".into());
            }
            let i = n(args, 1)? as usize % items.len();
            Ok(items[i].clone())
        }
        "index" => {
            let items = list(args, 0)?;
            let x = arg(args, 1)?;
            items
                .iter()
                .position(|v| v == x)
                .map(|i| V::Num(i as f64))
                .ok_or_else(|| "the value is not in the list".to_string())
        }
        "length" => match arg(args, 0)? {
            V::List(items) => Ok(V::Num(items.len() as f64)),
            V::Map(m) => Ok(V::Num(m.len() as f64)),
            V::Str(x) => Ok(V::Num(x.chars().count() as f64)),
            other => Err(format!("length() of a {}", other.type_name())),
        },
        "keys" => Ok(V::List(map(args, 0)?.into_keys().map(V::Str).collect())),
        "values" => Ok(V::List(map(args, 0)?.into_values().collect())),
        "contains" => Ok(V::Bool(list(args, 0)?.contains(arg(args, 1)?))),
        "distinct" => Ok(V::List(distinct(list(args, 0)?))),
        "flatten" => {
            fn flat(items: Vec<V>, out: &mut Vec<V>) {
                for v in items {
                    match v {
                        V::List(inner) => flat(inner, out),
                        v => out.push(v),
                    }
                }
            }
            let mut out = Vec::new();
            flat(list(args, 0)?, &mut out);
            Ok(V::List(out))
        }
        "coalesce" => {
            for a in args {
                match a {
                    V::Null => continue,
                    V::Str(x) if x.is_empty() => continue,
                    v => return Ok(v.clone()),
                }
            }
            Err("no non-null, non-empty argument".into())
        }
        "coalescelist" => {
            for a in args {
                match a {
                    V::List(items) if items.is_empty() => continue,
                    V::List(_) => return Ok(a.clone()),
                    V::Null => continue,
                    other => {
                        return Err(format!(
                            "coalescelist() takes lists, not a {}",
                            other.type_name()
                        ))
                    }
                }
            }
            Ok(V::List(Vec::new()))
        }
        "compact" => Ok(V::List(
            list(args, 0)?
                .into_iter()
                .filter(|v| !matches!(v, V::Null) && !matches!(v, V::Str(x) if x.is_empty()))
                .collect(),
        )),
        "toset" => Ok(V::List(set_of(list(args, 0)?))),
        "setunion" => {
            let mut all = Vec::new();
            for i in 0..args.len() {
                all.extend(list(args, i)?);
            }
            Ok(V::List(set_of(all)))
        }
        "setintersection" => {
            let mut acc = set_of(list(args, 0)?);
            for i in 1..args.len() {
                let other = list(args, i)?;
                let other: HashSet<Member> = other.iter().map(Member).collect();
                acc.retain(|v| other.contains(&Member(v)));
            }
            Ok(V::List(acc))
        }
        "setsubtract" => {
            let other = list(args, 1)?;
            let other: HashSet<Member> = other.iter().map(Member).collect();
            Ok(V::List(
                set_of(list(args, 0)?)
                    .into_iter()
                    .filter(|v| !other.contains(&Member(v)))
                    .collect(),
            ))
        }
        "tolist" => match arg(args, 0)? {
            V::List(items) => Ok(V::List(items.clone())),
            V::Null => Ok(V::Null),
            other => Err(format!("tolist() of a {}", other.type_name())),
        },
        "tomap" => match arg(args, 0)? {
            V::Map(m) => Ok(V::Map(m.clone())),
            V::Null => Ok(V::Null),
            other => Err(format!("tomap() of a {}", other.type_name())),
        },
        "tostring" => match arg(args, 0)? {
            V::Null => Ok(V::Null),
            _ => Ok(V::Str(s(args, 0)?)),
        },
        "tonumber" => match arg(args, 0)? {
            V::Null => Ok(V::Null),
            _ => Ok(V::Num(n(args, 0)?)),
        },
        "tobool" => match arg(args, 0)? {
            V::Null => Ok(V::Null),
            v => v
                .to_bool()
                .map(V::Bool)
                .ok_or_else(|| "not a bool".to_string()),
        },
        "zipmap" => {
            let keys = strs(&list(args, 0)?)?;
            let values = list(args, 1)?;
            if keys.len() != values.len() {
                return Err("zipmap() needs lists of the same length".into());
            }
            Ok(V::Map(keys.into_iter().zip(values).collect()))
        }
        "range" => {
            let (start, end, step) = match args.len() {
                1 => (0.0, n(args, 0)?, 1.0),
                2 => (n(args, 0)?, n(args, 1)?, 1.0),
                _ => (n(args, 0)?, n(args, 1)?, n(args, 2)?),
            };
            if step == 0.0 {
                return Err("range() step must not be 0".into());
            }
            // `call` refused a range longer than the limit: this loop ends well before.
            let mut out = Vec::new();
            let mut x = start;
            while (step > 0.0 && x < end) || (step < 0.0 && x > end) {
                out.push(V::Num(x));
                x += step;
            }
            Ok(V::List(out))
        }
        "slice" => {
            let items = list(args, 0)?;
            let (a, b) = (n(args, 1)? as usize, n(args, 2)? as usize);
            if a > b || b > items.len() {
                return Err("slice() indexes are out of range".into());
            }
            Ok(V::List(items[a..b].to_vec()))
        }
        "chunklist" => {
            let items = list(args, 0)?;
            let size = n(args, 1)?.max(0.0) as usize;
            if size == 0 {
                return Ok(V::List(vec![V::List(items)]));
            }
            Ok(V::List(
                items.chunks(size).map(|c| V::List(c.to_vec())).collect(),
            ))
        }
        "reverse" => Ok(V::List(list(args, 0)?.into_iter().rev().collect())),
        "sort" => {
            let mut items = strs(&list(args, 0)?)?;
            items.sort();
            Ok(V::List(items.into_iter().map(V::Str).collect()))
        }
        "one" => {
            let items = list(args, 0)?;
            match items.len() {
                0 => Ok(V::Null),
                1 => Ok(items[0].clone()),
                _ => Err("one() of a list with more than one element".into()),
            }
        }
        "alltrue" => Ok(V::Bool(
            list(args, 0)?.iter().all(|v| v.to_bool() == Some(true)),
        )),
        "anytrue" => Ok(V::Bool(
            list(args, 0)?.iter().any(|v| v.to_bool() == Some(true)),
        )),
        "sum" => {
            let mut t = 0.0;
            for v in list(args, 0)? {
                t += v.to_num().ok_or("sum() takes numbers")?;
            }
            Ok(V::Num(t))
        }
        "transpose" => {
            let mut out: BTreeMap<String, Vec<V>> = BTreeMap::new();
            for (k, v) in map(args, 0)? {
                let items = match v {
                    V::List(items) => items,
                    _ => return Err("transpose() takes a map of lists".into()),
                };
                for i in strs(&items)? {
                    out.entry(i).or_default().push(V::Str(k.clone()));
                }
            }
            Ok(V::Map(
                out.into_iter().map(|(k, v)| (k, V::List(v))).collect(),
            ))
        }
        "jsonencode" => Ok(V::Str(arg(args, 0)?.to_json().to_string())),
        "jsondecode" => serde_json::from_str::<serde_json::Value>(&s(args, 0)?)
            .map(|j| V::from_json(&j))
            .map_err(|e| format!("invalid JSON: {e}")),
        "yamlencode" => Ok(V::Str(yaml(arg(args, 0)?, 0))),
        "base64encode" => {
            use base64::Engine;
            Ok(V::Str(
                base64::engine::general_purpose::STANDARD.encode(s(args, 0)?),
            ))
        }
        "base64decode" => {
            use base64::Engine;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(s(args, 0)?)
                .map_err(|e| e.to_string())?;
            String::from_utf8(bytes)
                .map(V::Str)
                .map_err(|_| "the decoded bytes are not UTF-8".to_string())
        }
        "urlencode" => Ok(V::Str(
            s(args, 0)?
                .bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect(),
        )),
        "min" | "max" => {
            let mut nums = Vec::new();
            for i in 0..args.len() {
                nums.push(n(args, i)?);
            }
            let f = if name == "min" { f64::min } else { f64::max };
            nums.into_iter()
                .reduce(f)
                .map(V::Num)
                .ok_or_else(|| format!("{name}() needs at least one number"))
        }
        "abs" => Ok(V::Num(n(args, 0)?.abs())),
        "ceil" => Ok(V::Num(n(args, 0)?.ceil())),
        "floor" => Ok(V::Num(n(args, 0)?.floor())),
        "signum" => Ok(V::Num(n(args, 0)?.signum())),
        "pow" => Ok(V::Num(n(args, 0)?.powf(n(args, 1)?))),
        "parseint" => i64::from_str_radix(&s(args, 0)?, n(args, 1)? as u32)
            .map(|i| V::Num(i as f64))
            .map_err(|e| e.to_string()),
        "cidrsubnet" => {
            cidrsubnet(&s(args, 0)?, n(args, 1)? as u8, n(args, 2)? as u128).map(V::Str)
        }
        "cidrsubnets" => {
            let base = s(args, 0)?;
            let net: ipnet::IpNet = base.parse().map_err(|e| format!("{base}: {e}"))?;
            let mut out = Vec::new();
            let mut next: u128 = 0; // next free address offset, in host units of the base
            let total_bits = if net.addr().is_ipv4() { 32 } else { 128 };
            for i in 1..args.len() {
                let newbits = n(args, i)? as u8;
                let plen = net.prefix_len() + newbits;
                let size: u128 = 1u128 << (total_bits - plen as u32);
                let num = next.div_ceil(size);
                out.push(V::Str(cidrsubnet(&base, newbits, num)?));
                next = (num + 1) * size;
            }
            Ok(V::List(out))
        }
        "cidrhost" => cidrhost(&s(args, 0)?, n(args, 1)? as i128).map(V::Str),
        "cidrnetmask" => {
            let x = s(args, 0)?;
            match x.parse::<ipnet::IpNet>().map_err(|e| format!("{x}: {e}"))? {
                ipnet::IpNet::V4(v4) => Ok(V::Str(v4.netmask().to_string())),
                ipnet::IpNet::V6(_) => Err("cidrnetmask() takes an IPv4 prefix".into()),
            }
        }
        _ => Err(format!("{name}() is not implemented")),
    }
}

fn title(x: &str) -> String {
    let mut out = String::with_capacity(x.len());
    let mut start = true;
    for c in x.chars() {
        if start && c.is_alphabetic() {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        start = !c.is_alphanumeric();
    }
    out
}

/// Go's `$1` / `${name}` replacement syntax is the regex crate's too.
fn go_replacement(to: &str) -> String {
    to.to_string()
}

/// `format` with Terraform's verbs: `%s %d %f %v %q %t %%`, with optional width/precision;
/// refused once the text would be over the limit of one value (a width or precision is a
/// number the repository chooses).
fn format(spec: &str, args: &[V], limits: &Limits) -> Result<String, FnErr> {
    let max = limits.max_value_bytes;
    let mut out = String::new();
    let mut chars = spec.chars().peekable();
    let mut next = 0;
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut flags = String::new();
        while let Some(&f) = chars.peek() {
            if f.is_ascii_digit() || f == '.' || f == '-' || f == '+' || f == '#' || f == ' ' {
                flags.push(f);
                chars.next();
            } else {
                break;
            }
        }
        let verb = chars.next().ok_or("format ends with %")?;
        if verb == '%' {
            out.push('%');
            continue;
        }
        let v = args.get(next).ok_or("format() has too few arguments")?;
        next += 1;
        let (width, prec): (Option<usize>, Option<usize>) = match flags
            .trim_start_matches(['-', '+', '#', ' '])
            .split_once('.')
        {
            Some((w, p)) => (w.parse::<usize>().ok(), p.parse::<usize>().ok()),
            None => (
                flags
                    .trim_start_matches(['-', '+', '#', ' '])
                    .parse::<usize>()
                    .ok(),
                None,
            ),
        };
        if width.unwrap_or(0).max(prec.unwrap_or(0)) > max {
            return Err(FnErr::Limit(Limit::ValueBytes));
        }
        let text = match verb {
            's' | 'v' => match v {
                V::List(_) | V::Map(_) if verb == 'v' => v.to_json().to_string(),
                _ => v
                    .to_str()
                    .ok_or_else(|| format!("%s of a {}", v.type_name()))?,
            },
            'q' => format!("{:?}", v.to_str().ok_or("%q of a non-string")?),
            'd' => format!("{}", v.to_num().ok_or("%d of a non-number")?.trunc() as i64),
            'f' => format!(
                "{:.*}",
                prec.unwrap_or(6),
                v.to_num().ok_or("%f of a non-number")?
            ),
            'g' => fmt_num(v.to_num().ok_or("%g of a non-number")?),
            't' => v.to_bool().ok_or("%t of a non-bool")?.to_string(),
            'x' => format!("{:x}", v.to_num().ok_or("%x of a non-number")? as i64),
            'X' => format!("{:X}", v.to_num().ok_or("%X of a non-number")? as i64),
            'o' => format!("{:o}", v.to_num().ok_or("%o of a non-number")? as i64),
            'b' => format!("{:b}", v.to_num().ok_or("%b of a non-number")? as i64),
            other => return Err(format!("format verb %{other} is not supported").into()),
        };
        let pad = width.unwrap_or(0).saturating_sub(text.chars().count());
        if out.len() + pad + text.len() > max {
            return Err(FnErr::Limit(Limit::ValueBytes));
        }
        if flags.starts_with('-') {
            out.push_str(&text);
            out.push_str(&" ".repeat(pad));
        } else if flags.starts_with('0') || flags.trim_start_matches(['+', ' ']).starts_with('0') {
            out.push_str(&"0".repeat(pad));
            out.push_str(&text);
        } else {
            out.push_str(&" ".repeat(pad));
            out.push_str(&text);
        }
    }
    Ok(out)
}

fn formatlist(args: &[V], limits: &Limits) -> Result<V, FnErr> {
    let spec = s(args, 0)?;
    let rest = &args[1..];
    let len = rest
        .iter()
        .filter_map(|a| match a {
            V::List(items) => Some(items.len()),
            _ => None,
        })
        .max()
        .unwrap_or(1);
    let mut out = Vec::with_capacity(len);
    let mut total = 0usize;
    for i in 0..len {
        let row: Vec<V> = rest
            .iter()
            .map(|a| match a {
                V::List(items) => items.get(i).cloned().unwrap_or(V::Null),
                v => v.clone(),
            })
            .collect();
        let line = format(&spec, &row, limits)?;
        total += line.len();
        if total > limits.max_value_bytes {
            return Err(FnErr::Limit(Limit::ValueBytes));
        }
        out.push(V::Str(line));
    }
    Ok(V::List(out))
}

fn yaml(v: &V, indent: usize) -> String {
    // A small YAML writer: JSON is valid YAML, so nested values are written as JSON.
    let pad = " ".repeat(indent);
    match v {
        V::Map(m) if !m.is_empty() => m
            .iter()
            .map(|(k, v)| format!("{pad}\"{k}\": {}\n", v.to_json()))
            .collect(),
        V::List(items) if !items.is_empty() => items
            .iter()
            .map(|v| format!("{pad}- {}\n", v.to_json()))
            .collect(),
        other => format!("{}\n", other.to_json()),
    }
}

fn cidrsubnet(base: &str, newbits: u8, num: u128) -> Result<String, String> {
    let net: ipnet::IpNet = base.parse().map_err(|e| format!("{base}: {e}"))?;
    let plen = net.prefix_len() as u32 + newbits as u32;
    match net {
        ipnet::IpNet::V4(v4) => {
            if plen > 32 || (newbits > 0 && num >= 1u128 << newbits) {
                return Err(format!(
                    "cannot take subnet {num} of {base} with {newbits} new bits"
                ));
            }
            let base_u = u32::from(v4.network()) as u128;
            let addr = base_u | (num << (32 - plen));
            let ip = std::net::Ipv4Addr::from(addr as u32);
            Ok(format!("{ip}/{plen}"))
        }
        ipnet::IpNet::V6(v6) => {
            if plen > 128 || (newbits < 128 && num >= 1u128 << newbits) {
                return Err(format!(
                    "cannot take subnet {num} of {base} with {newbits} new bits"
                ));
            }
            let base_u = u128::from(v6.network());
            let addr = base_u | num.checked_shl(128 - plen).unwrap_or(0);
            Ok(format!("{}/{plen}", std::net::Ipv6Addr::from(addr)))
        }
    }
}

fn cidrhost(base: &str, num: i128) -> Result<String, String> {
    let net: ipnet::IpNet = base.parse().map_err(|e| format!("{base}: {e}"))?;
    match net {
        ipnet::IpNet::V4(v4) => {
            let size: i128 = 1i128 << (32 - v4.prefix_len() as u32);
            let off = if num < 0 { size + num } else { num };
            if off < 0 || off >= size {
                return Err(format!("host {num} is outside {base}"));
            }
            let ip = std::net::Ipv4Addr::from((u32::from(v4.network()) as i128 + off) as u32);
            Ok(ip.to_string())
        }
        ipnet::IpNet::V6(v6) => {
            let off = num.max(0) as u128;
            Ok(std::net::Ipv6Addr::from(u128::from(v6.network()) + off).to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::terraform::budget::DEFAULT_LIMITS;

    fn call(name: &str, args: &[V]) -> Result<V, FnErr> {
        super::call(name, args, &DEFAULT_LIMITS)
    }

    fn st(x: &str) -> V {
        V::Str(x.into())
    }

    #[test]
    fn network_functions_match_terraform() {
        assert_eq!(
            call("cidrsubnet", &[st("10.0.0.0/16"), V::Num(8.0), V::Num(2.0)]).unwrap(),
            st("10.0.2.0/24")
        );
        assert_eq!(
            call("cidrhost", &[st("10.12.112.0/20"), V::Num(16.0)]).unwrap(),
            st("10.12.112.16")
        );
        assert_eq!(
            call("cidrnetmask", &[st("172.16.0.0/12")]).unwrap(),
            st("255.240.0.0")
        );
        assert_eq!(
            call(
                "cidrsubnets",
                &[st("10.1.0.0/16"), V::Num(4.0), V::Num(4.0), V::Num(8.0)]
            )
            .unwrap(),
            V::List(vec![
                st("10.1.0.0/20"),
                st("10.1.16.0/20"),
                st("10.1.32.0/24")
            ])
        );
    }

    #[test]
    fn string_and_collection_functions() {
        assert_eq!(
            call("format", &[st("%s-%03d"), st("a"), V::Num(7.0)]).unwrap(),
            st("a-007")
        );
        assert_eq!(
            call("title", &[st("hello world")]).unwrap(),
            st("Hello World")
        );
        assert_eq!(
            call("substr", &[st("hello"), V::Num(1.0), V::Num(3.0)]).unwrap(),
            st("ell")
        );
        assert_eq!(
            call("replace", &[st("a-b-c"), st("/-/"), st("_")]).unwrap(),
            st("a_b_c")
        );
        assert_eq!(
            call("toset", &[V::List(vec![st("b"), st("a"), st("b")])]).unwrap(),
            V::List(vec![st("a"), st("b")])
        );
        assert_eq!(
            call("coalesce", &[V::Null, st(""), st("x")]).unwrap(),
            st("x")
        );
        assert_eq!(
            call(
                "jsonencode",
                &[V::Map([("a".to_string(), V::Num(1.0))].into())]
            )
            .unwrap(),
            st("{\"a\":1}")
        );
        assert_eq!(
            call("element", &[V::List(vec![st("a"), st("b")]), V::Num(3.0)]).unwrap(),
            st("b")
        );
    }
}
