//! sprig's lists (list.go), dicts (dict.go, with dario.cat/mergo's merge rules) and defaults
//! (defaults.go).
//!
//! Maps are immutable here ([`Value::Map`] is an `Arc`): `set`, `unset`, `merge`,
//! `mergeOverwrite` and their `must` variants return the changed map instead of changing
//! their first argument in place as Go does; see the module documentation of `funcs` for
//! what that means for `$_ := set $d "k" v`.

use std::sync::Arc;

use gotmpl::{FuncMap, Result, Value};

use super::convert::{
    arg_bool, arg_int, arg_map, arg_str, arity, arity_min, call_err, go_kind_name, go_type_name,
    is_empty, list, map, string, strval, to_int64, Map,
};
use super::reg;

const NIL_DEREF: &str = "runtime error: invalid memory address or nil pointer dereference";

/// A list argument of sprig's reflective list functions: nil panics in Go (`reflect.TypeOf(nil)
/// .Kind()`), other kinds give `what` with the kind's name.
fn as_list<'a>(name: &str, v: &'a Value, what: &str) -> Result<&'a [Value]> {
    match v {
        Value::List(l) => Ok(l),
        Value::Nil => Err(call_err(name, NIL_DEREF)),
        other => Err(call_err(name, what.replace("%s", go_kind_name(other)))),
    }
}

/// The result of mergo's `Merge` (`overwrite == false`) or `MergeWithOverwrite` of `src`
/// into `dst`, for `map[string]interface{}` values: a key missing from `dst`, or holding an
/// empty value (nil, false, 0, "", empty list or map), takes `src`'s value; with `overwrite`
/// every key of `src` does (a nil included); two maps merge recursively.
pub(crate) fn mergo(dst: &mut Map, src: &Map, overwrite: bool) {
    for (k, sv) in src {
        if matches!(sv, Value::Nil) {
            if overwrite {
                dst.insert(k.clone(), Value::Nil);
            }
            continue;
        }
        if let (Value::Map(sm), Some(Value::Map(dm))) = (sv, dst.get(k)) {
            let mut inner: Map = (**dm).clone();
            mergo(&mut inner, sm, overwrite);
            dst.insert(k.clone(), map(inner));
            continue;
        }
        let take = overwrite || dst.get(k).is_none_or(is_empty);
        if take {
            dst.insert(k.clone(), sv.clone());
        }
    }
}

fn merge_fn(name: &str, a: &[Value], overwrite: bool) -> Result<Value> {
    arity_min(name, a, 1)?;
    let mut dst: Map = arg_map(a, 0)?.map(|m| (**m).clone()).unwrap_or_default();
    for i in 1..a.len() {
        if let Some(src) = arg_map(a, i)? {
            mergo(&mut dst, src, overwrite);
        }
    }
    Ok(map(dst))
}

/// Go's message for a failed type assertion from `interface{}`.
fn assertion(got: &Value, want: &str) -> String {
    let got = match got {
        Value::Nil => "nil",
        other => go_type_name(other),
    };
    format!("interface conversion: interface {{}} is {got}, not {want}")
}

fn dig(name: &str, a: &[Value]) -> Result<Value> {
    if a.len() < 3 {
        return Err(call_err(name, "dig needs at least three arguments"));
    }
    let Value::Map(dict) = &a[a.len() - 1] else {
        return Err(call_err(
            name,
            assertion(&a[a.len() - 1], "map[string]interface {}"),
        ));
    };
    let default = &a[a.len() - 2];
    let mut keys = Vec::with_capacity(a.len() - 2);
    for k in &a[..a.len() - 2] {
        match k {
            Value::String(s) => keys.push(s.clone()),
            other => return Err(call_err(name, assertion(other, "string"))),
        }
    }
    let mut current: Arc<Map> = dict.clone();
    for (i, k) in keys.iter().enumerate() {
        let Some(step) = current.get(k.as_ref()) else {
            return Ok(default.clone());
        };
        if i + 1 == keys.len() {
            return Ok(step.clone());
        }
        match step {
            Value::Map(m) => current = m.clone(),
            other => return Err(call_err(name, assertion(other, "map[string]interface {}"))),
        }
    }
    Ok(default.clone())
}

/// sprig's `untilStep`.
pub(crate) fn until_step(start: i64, stop: i64, step: i64) -> Vec<i64> {
    let mut v = Vec::new();
    if stop < start {
        if step >= 0 {
            return v;
        }
        let mut i = start;
        while i > stop {
            v.push(i);
            i += step;
        }
        return v;
    }
    if step <= 0 {
        return v;
    }
    let mut i = start;
    while i < stop {
        v.push(i);
        i += step;
    }
    v
}

fn ints(v: Vec<i64>) -> Value {
    list(v.into_iter().map(Value::Int).collect())
}

pub(crate) fn register(m: &mut FuncMap) {
    // Lists.
    for name in ["list", "tuple"] {
        reg(m, name, |_, a| Ok(list(a.to_vec())));
    }
    for name in ["append", "push", "mustAppend", "mustPush"] {
        reg(m, name, |n, a| {
            arity(n, a, 2)?;
            let l = as_list(n, &a[0], "Cannot push on type %s")?;
            let mut out = l.to_vec();
            out.push(a[1].clone());
            Ok(list(out))
        });
    }
    for name in ["prepend", "mustPrepend"] {
        reg(m, name, |n, a| {
            arity(n, a, 2)?;
            let l = as_list(n, &a[0], "Cannot prepend on type %s")?;
            let mut out = Vec::with_capacity(l.len() + 1);
            out.push(a[1].clone());
            out.extend_from_slice(l);
            Ok(list(out))
        });
    }
    for name in ["first", "mustFirst"] {
        reg(m, name, |n, a| {
            arity(n, a, 1)?;
            let l = as_list(n, &a[0], "Cannot find first on type %s")?;
            Ok(l.first().cloned().unwrap_or(Value::Nil))
        });
    }
    for name in ["last", "mustLast"] {
        reg(m, name, |n, a| {
            arity(n, a, 1)?;
            let l = as_list(n, &a[0], "Cannot find last on type %s")?;
            Ok(l.last().cloned().unwrap_or(Value::Nil))
        });
    }
    for name in ["rest", "mustRest"] {
        reg(m, name, |n, a| {
            arity(n, a, 1)?;
            let l = as_list(n, &a[0], "Cannot find rest on type %s")?;
            Ok(list(l.iter().skip(1).cloned().collect()))
        });
    }
    for name in ["initial", "mustInitial"] {
        reg(m, name, |n, a| {
            arity(n, a, 1)?;
            let l = as_list(n, &a[0], "Cannot find initial on type %s")?;
            Ok(list(l[..l.len().saturating_sub(1)].to_vec()))
        });
    }
    for name in ["reverse", "mustReverse"] {
        reg(m, name, |n, a| {
            arity(n, a, 1)?;
            let l = as_list(n, &a[0], "Cannot find reverse on type %s")?;
            Ok(list(l.iter().rev().cloned().collect()))
        });
    }
    for name in ["uniq", "mustUniq"] {
        reg(m, name, |n, a| {
            arity(n, a, 1)?;
            let l = as_list(n, &a[0], "Cannot find uniq on type %s")?;
            let mut out: Vec<Value> = Vec::new();
            for item in l {
                if !out.contains(item) {
                    out.push(item.clone());
                }
            }
            Ok(list(out))
        });
    }
    for name in ["without", "mustWithout"] {
        reg(m, name, |n, a| {
            arity_min(n, a, 1)?;
            let l = as_list(n, &a[0], "Cannot find without on type %s")?;
            let omit = &a[1..];
            Ok(list(
                l.iter().filter(|i| !omit.contains(i)).cloned().collect(),
            ))
        });
    }
    for name in ["has", "mustHas"] {
        reg(m, name, |n, a| {
            arity(n, a, 2)?;
            if matches!(a[1], Value::Nil) {
                return Ok(Value::Bool(false));
            }
            let l = as_list(n, &a[1], "Cannot find has on type %s")?;
            Ok(Value::Bool(l.contains(&a[0])))
        });
    }
    for name in ["compact", "mustCompact"] {
        reg(m, name, |n, a| {
            arity(n, a, 1)?;
            let l = as_list(n, &a[0], "Cannot compact on type %s")?;
            Ok(list(l.iter().filter(|i| !is_empty(i)).cloned().collect()))
        });
    }
    for name in ["slice", "mustSlice"] {
        reg(m, name, |n, a| {
            arity_min(n, a, 1)?;
            let l = as_list(n, &a[0], "list should be type of slice or array but %s")?;
            if l.is_empty() {
                return Ok(Value::Nil);
            }
            let start = if a.len() > 1 { to_int64(&a[1]) } else { 0 };
            let end = if a.len() > 2 {
                to_int64(&a[2])
            } else {
                l.len() as i64
            };
            if start < 0 || end < start || end > l.len() as i64 {
                return Err(call_err(n, "reflect: slice index out of range"));
            }
            Ok(list(l[start as usize..end as usize].to_vec()))
        });
    }
    reg(m, "concat", |n, a| {
        let mut out = Vec::new();
        for v in a {
            out.extend_from_slice(as_list(n, v, "Cannot concat type %s as list")?);
        }
        Ok(list(out))
    });
    for name in ["chunk", "mustChunk"] {
        reg(m, name, |n, a| {
            arity(n, a, 2)?;
            let size = arg_int(a, 0)?;
            let l = as_list(n, &a[1], "Cannot chunk type %s")?;
            if size <= 0 {
                return Err(call_err(n, "runtime error: integer divide by zero"));
            }
            Ok(list(
                l.chunks(size as usize).map(|c| list(c.to_vec())).collect(),
            ))
        });
    }
    reg(m, "until", |n, a| {
        arity(n, a, 1)?;
        let count = arg_int(a, 0)?;
        super::convert::within(n, count.unsigned_abs(), super::convert::MAX_ITEMS)?;
        let step = if count < 0 { -1 } else { 1 };
        Ok(ints(until_step(0, count, step)))
    });
    reg(m, "untilStep", |n, a| {
        arity(n, a, 3)?;
        let (start, stop, step) = (arg_int(a, 0)?, arg_int(a, 1)?, arg_int(a, 2)?);
        if step != 0 {
            let items = (i128::from(stop) - i128::from(start)) / i128::from(step);
            super::convert::within(n, items.unsigned_abs() as u64, super::convert::MAX_ITEMS)?;
        }
        Ok(ints(until_step(
            arg_int(a, 0)?,
            arg_int(a, 1)?,
            arg_int(a, 2)?,
        )))
    });

    // Dicts.
    reg(m, "dict", |_, a| {
        let mut d = Map::new();
        for pair in a.chunks(2) {
            let key: Arc<str> = Arc::from(strval(&pair[0]));
            d.insert(key, pair.get(1).cloned().unwrap_or_else(|| string("")));
        }
        Ok(map(d))
    });
    reg(m, "get", |n, a| {
        arity(n, a, 2)?;
        let key = arg_str(a, 1)?;
        Ok(arg_map(a, 0)?
            .and_then(|d| d.get(key).cloned())
            .unwrap_or_else(|| string("")))
    });
    reg(m, "set", |n, a| {
        arity(n, a, 3)?;
        let key = arg_str(a, 1)?;
        let Some(d) = arg_map(a, 0)? else {
            return Err(call_err(n, "assignment to entry in nil map"));
        };
        let mut d: Map = (**d).clone();
        d.insert(Arc::from(key), a[2].clone());
        Ok(map(d))
    });
    reg(m, "unset", |n, a| {
        arity(n, a, 2)?;
        let key = arg_str(a, 1)?;
        let mut d: Map = arg_map(a, 0)?.map(|d| (**d).clone()).unwrap_or_default();
        d.remove(key);
        Ok(map(d))
    });
    reg(m, "hasKey", |n, a| {
        arity(n, a, 2)?;
        let key = arg_str(a, 1)?;
        Ok(Value::Bool(
            arg_map(a, 0)?.is_some_and(|d| d.contains_key(key)),
        ))
    });
    reg(m, "pluck", |n, a| {
        arity_min(n, a, 1)?;
        let key = arg_str(a, 0)?;
        let mut out = Vec::new();
        for i in 1..a.len() {
            if let Some(v) = arg_map(a, i)?.and_then(|d| d.get(key)) {
                out.push(v.clone());
            }
        }
        Ok(list(out))
    });
    reg(m, "keys", |_, a| {
        // Go's map order is random; here each dict's keys come sorted.
        let mut out = Vec::new();
        for i in 0..a.len() {
            if let Some(d) = arg_map(a, i)? {
                out.extend(d.keys().map(|k| Value::String(k.clone())));
            }
        }
        Ok(list(out))
    });
    reg(m, "values", |n, a| {
        arity(n, a, 1)?;
        Ok(list(
            arg_map(a, 0)?
                .map(|d| d.values().cloned().collect())
                .unwrap_or_default(),
        ))
    });
    reg(m, "pick", |n, a| {
        arity_min(n, a, 1)?;
        let d = arg_map(a, 0)?;
        let mut out = Map::new();
        for i in 1..a.len() {
            let k = arg_str(a, i)?;
            if let Some(v) = d.and_then(|d| d.get(k)) {
                out.insert(Arc::from(k), v.clone());
            }
        }
        Ok(map(out))
    });
    reg(m, "omit", |n, a| {
        arity_min(n, a, 1)?;
        let d = arg_map(a, 0)?;
        let mut omit = Vec::with_capacity(a.len());
        for i in 1..a.len() {
            omit.push(arg_str(a, i)?);
        }
        Ok(map(d
            .map(|d| {
                d.iter()
                    .filter(|(k, _)| !omit.contains(&k.as_ref()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default()))
    });
    for name in ["merge", "mustMerge"] {
        reg(m, name, |n, a| merge_fn(n, a, false));
    }
    for name in ["mergeOverwrite", "mustMergeOverwrite"] {
        reg(m, name, |n, a| merge_fn(n, a, true));
    }
    reg(m, "dig", dig);
    for name in ["deepCopy", "mustDeepCopy"] {
        reg(m, name, |n, a| {
            arity(n, a, 1)?;
            Ok(a[0].clone())
        });
    }

    // Defaults.
    reg(m, "default", |n, a| {
        arity_min(n, a, 1)?;
        match a.get(1) {
            Some(given) if !is_empty(given) => Ok(given.clone()),
            _ => Ok(a[0].clone()),
        }
    });
    reg(m, "empty", |n, a| {
        arity(n, a, 1)?;
        Ok(Value::Bool(is_empty(&a[0])))
    });
    reg(m, "coalesce", |_, a| {
        Ok(a.iter()
            .find(|v| !is_empty(v))
            .cloned()
            .unwrap_or(Value::Nil))
    });
    reg(m, "all", |_, a| {
        Ok(Value::Bool(a.iter().all(|v| !is_empty(v))))
    });
    reg(m, "any", |_, a| {
        Ok(Value::Bool(a.iter().any(|v| !is_empty(v))))
    });
    reg(m, "ternary", |n, a| {
        arity(n, a, 3)?;
        Ok(if arg_bool(a, 2)? {
            a[0].clone()
        } else {
            a[1].clone()
        })
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::helm::funcs::convert::{from_value, to_value};
    use serde_json::json;

    fn m(v: serde_json::Value) -> Map {
        match to_value(&v) {
            Value::Map(m) => (*m).clone(),
            _ => Map::new(),
        }
    }

    #[test]
    fn merge_fills_missing_and_empty_keys() {
        let mut dst = m(json!({"a": 1, "b": "", "c": false, "d": {"x": 1, "y": ""}, "l": [1]}));
        let src = m(
            json!({"a": 2, "b": "s", "c": true, "d": {"y": "z", "w": 3}, "l": [2], "n": null, "e": "new"}),
        );
        mergo(&mut dst, &src, false);
        assert_eq!(
            from_value(&map(dst)),
            json!({"a": 1.0, "b": "s", "c": true, "d": {"x": 1.0, "y": "z", "w": 3.0}, "l": [1.0], "e": "new"})
        );
    }

    #[test]
    fn merge_overwrite_replaces_even_with_empty() {
        let mut dst = m(json!({"a": 1, "b": "x", "d": {"x": 1, "y": 2}, "l": [1], "s": "keep"}));
        let src = m(json!({"a": 2, "b": "", "d": {"y": 3}, "l": [], "s": null}));
        mergo(&mut dst, &src, true);
        assert_eq!(
            from_value(&map(dst)),
            json!({"a": 2.0, "b": "", "d": {"x": 1.0, "y": 3.0}, "l": [], "s": null})
        );
    }

    #[test]
    fn until_step_like_sprig() {
        assert_eq!(until_step(0, 5, 1), vec![0, 1, 2, 3, 4]);
        assert_eq!(until_step(0, -3, -1), vec![0, -1, -2]);
        assert_eq!(until_step(3, 0, 1), Vec::<i64>::new());
        assert_eq!(until_step(0, 10, 4), vec![0, 4, 8]);
    }
}
