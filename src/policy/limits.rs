//! Resource limits on Rego evaluation: what one builtin call, and the builtin calls of one
//! evaluation, may allocate.
//!
//! A policy may come from the scanned repository, so it is untrusted. regorus 0.14 bounds
//! evaluation time (`ExecutionTimerConfig`, checked between statements and calls, see
//! `--policy-timeout`), but a builtin call runs to completion: `numbers.range(0, 1e9)` or
//! `sprintf("%999999999d", [1])` allocates gigabytes before the next time check, and a chain of
//! `concat`s doubles a string per rule. regorus's memory limit (feature
//! `allocator-memory-limits`) needs its own global allocator and counts the whole process, so
//! it cannot tell a hostile rule from a large scan. Instead, every builtin whose output can be
//! much larger than its input is registered again as an extension (regorus looks extensions up
//! before builtins): it works out how large the result can be, refuses a call over the per-call
//! limits, charges the result to the evaluation's budget, then calls the original builtin.

use regorus::unstable::{Expr, NodeRef, Source, Span, BUILTINS};
use regorus::Value;
use std::cell::Cell;

/// Elements (array or set items, object entries) one builtin call may create.
pub const MAX_ELEMENTS: u64 = 1_000_000;
/// Bytes of one string one builtin call may create.
pub const MAX_STRING_BYTES: u64 = 32 << 20;
/// Bytes the guarded builtin calls of one evaluation (one rule on one document, one test) may
/// create in all.
pub const EVALUATION_BUDGET_BYTES: u64 = 256 << 20;
/// Bits `bits.lsh` may shift by (regorus numbers are big integers).
pub const MAX_SHIFT_BITS: u64 = 1 << 16;
/// What one created element is charged (a `Value` and its share of the container).
const ELEMENT_BYTES: u64 = 32;

/// The marker in every limit message, so the caller can tell a limit from a policy bug.
pub const LIMIT_MARKER: &str = "plumbline's policy resource limit";

thread_local! {
    /// Bytes charged by the current evaluation on this thread (an engine evaluates on the
    /// thread that calls it, so the extensions of one evaluation run on one thread).
    static CHARGED: Cell<u64> = const { Cell::new(0) };
}

/// Starts a new evaluation's budget on this thread: call before each `eval_rule`.
pub fn start_evaluation() {
    CHARGED.with(|c| c.set(0));
}

/// A builtin call that would exceed a limit.
#[derive(Debug)]
pub struct LimitExceeded(String);

impl std::fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({LIMIT_MARKER})", self.0)
    }
}

impl std::error::Error for LimitExceeded {}

/// What a call may create, worked out from its arguments before it runs.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Size {
    elements: u64,
    bytes: u64,
}

impl Size {
    fn elements(n: u64) -> Self {
        Size {
            elements: n,
            bytes: 0,
        }
    }
    fn bytes(n: u64) -> Self {
        Size {
            elements: 0,
            bytes: n,
        }
    }
}

/// Checks `size` against the per-call limits and charges it to the evaluation's budget.
fn admit(name: &str, size: Size) -> Result<(), LimitExceeded> {
    if size.elements > MAX_ELEMENTS {
        return Err(LimitExceeded(format!(
            "{name} would create {} elements, more than the limit of {MAX_ELEMENTS} per call",
            size.elements
        )));
    }
    if size.bytes > MAX_STRING_BYTES {
        return Err(LimitExceeded(format!(
            "{name} would create a string of up to {} bytes, more than the limit of \
             {MAX_STRING_BYTES} bytes per call",
            size.bytes
        )));
    }
    let cost = size
        .bytes
        .saturating_add(size.elements.saturating_mul(ELEMENT_BYTES));
    let total = CHARGED.with(|c| {
        let total = c.get().saturating_add(cost);
        c.set(total);
        total
    });
    if total > EVALUATION_BUDGET_BYTES {
        return Err(LimitExceeded(format!(
            "{name}: the builtin calls of this evaluation would create more than \
             {EVALUATION_BUDGET_BYTES} bytes, the limit per rule and document"
        )));
    }
    Ok(())
}

/// A regorus builtin: call site, argument expressions, arguments, strict errors.
type Builtin = fn(&Span, &[NodeRef<Expr>], &[Value], bool) -> anyhow::Result<Value>;

/// How a guarded builtin's result size is bounded from its arguments; `None` when the
/// arguments are not what the builtin takes (it then fails or is undefined on its own).
type Bound = fn(&[Value]) -> Option<Size>;

/// The builtins whose result can be much larger than their arguments.
const GUARDED: &[(&str, Bound)] = &[
    ("numbers.range", range),
    ("numbers.range_step", range_step),
    ("net.cidr_expand", cidr_expand),
    ("sprintf", sprintf),
    ("concat", concat),
    ("array.concat", array_concat),
    ("replace", replace),
    ("strings.replace_n", replace_n),
    ("regex.replace", regex_replace),
    ("split", split),
    ("indexof_n", indexof_n),
    ("regex.split", regex_split),
    ("regex.find_n", regex_split),
    ("json.marshal", |a| Some(Size::bytes(json_len(a.first()?)))),
    ("json.marshal_with_options", json_marshal_with_options),
    ("yaml.marshal", |a| {
        Some(Size::bytes(json_len(a.first()?) * 2))
    }),
    ("base64.encode", |a| encoded(a, 2)),
    ("base64url.encode", |a| encoded(a, 2)),
    ("base64url.encode_no_pad", |a| encoded(a, 2)),
    ("hex.encode", |a| encoded(a, 2)),
    ("urlquery.encode", |a| encoded(a, 3)),
    ("urlquery.encode_object", |a| {
        Some(Size::bytes(json_len(a.first()?).saturating_mul(3)))
    }),
    ("bits.lsh", bits_lsh),
    ("union", union),
    ("object.union", |a| {
        Some(Size::elements(len(a.first()?)? + len(a.get(1)?)?))
    }),
    ("object.union_n", union),
];

/// Registers the guarded builtins (those this build of regorus has) as extensions.
pub fn register(engine: &mut regorus::Engine) -> anyhow::Result<()> {
    for &(name, bound) in GUARDED {
        let Some(&(builtin, arity)) = BUILTINS.get(name) else {
            continue;
        };
        engine.add_extension(
            name.to_string(),
            arity,
            Box::new(move |args: Vec<Value>| guarded_call(name, builtin, bound, args)),
        )?;
    }
    Ok(())
}

/// Checks and charges a call, then runs the original builtin as regorus would (with strict
/// builtin errors, regorus's default, which plumbline keeps: a builtin's error is the call's
/// error, its message without the stand-in call site).
fn guarded_call(
    name: &'static str,
    builtin: Builtin,
    bound: Bound,
    args: Vec<Value>,
) -> anyhow::Result<Value> {
    if let Some(size) = bound(&args) {
        admit(name, size)?;
    }
    let result = CALL_SITES.with(|sites| {
        let mut sites = sites.borrow_mut();
        let (span, params) = sites
            .entry((name, args.len()))
            .or_insert_with(|| call_site(name, args.len()));
        builtin(span, params, &args, true)
    });
    result.map_err(|e| {
        if e.downcast_ref::<regorus::LimitError>().is_some() {
            e
        } else {
            anyhow::anyhow!("{}", super::split_rego_error(&e).message)
        }
    })
}

type CallSite = (Span, Vec<NodeRef<Expr>>);

thread_local! {
    /// The stand-in call sites, made once per builtin and thread (a builtin like `sprintf` is
    /// called for most findings).
    static CALL_SITES: std::cell::RefCell<std::collections::BTreeMap<(&'static str, usize), CallSite>> =
        const { std::cell::RefCell::new(std::collections::BTreeMap::new()) };
}

/// A stand-in call site for the original builtin, which takes the argument expressions only
/// to point its error messages at them.
fn call_site(name: &str, nargs: usize) -> CallSite {
    let text = format!("{name}({})", vec!["_"; nargs].join(", "));
    let source = Source::from_contents(format!("<{name}>"), text.clone())
        .expect("a one-line stand-in source");
    let span = Span {
        source,
        line: 1,
        col: 1,
        start: 0,
        end: text.len() as u32,
    };
    let params = (0..nargs)
        .map(|i| {
            NodeRef::new(Expr::Var {
                span: span.clone(),
                value: Value::from("_"),
                eidx: i as u32,
            })
        })
        .collect();
    (span, params)
}

// The bounds. Each is an upper bound of what the builtin creates, computed in time linear in
// its arguments (and never more than the limits), so that checking costs no more than calling.

fn int(v: &Value) -> Option<i128> {
    v.as_i128().ok()
}

fn string(v: &Value) -> Option<&str> {
    v.as_string().ok().map(|s| s.as_ref())
}

fn len(v: &Value) -> Option<u64> {
    match v {
        Value::Array(a) => Some(a.len() as u64),
        Value::Set(s) => Some(s.len() as u64),
        Value::Object(o) => Some(o.len() as u64),
        _ => None,
    }
}

fn range(a: &[Value]) -> Option<Size> {
    let (from, to) = (int(a.first()?)?, int(a.get(1)?)?);
    Some(Size::elements(
        u64::try_from(to.abs_diff(from))
            .unwrap_or(u64::MAX)
            .saturating_add(1),
    ))
}

fn range_step(a: &[Value]) -> Option<Size> {
    let (from, to, step) = (int(a.first()?)?, int(a.get(1)?)?, int(a.get(2)?)?);
    if step <= 0 {
        return None;
    }
    let n = to.abs_diff(from) / step.unsigned_abs() + 1;
    Some(Size::elements(u64::try_from(n).unwrap_or(u64::MAX)))
}

fn cidr_expand(a: &[Value]) -> Option<Size> {
    let net: ipnet::IpNet = string(a.first()?)?.parse().ok()?;
    let host_bits = u32::from(net.max_prefix_len() - net.prefix_len());
    Some(Size::elements(
        1u64.checked_shl(host_bits)
            .unwrap_or(u64::MAX)
            .saturating_add(2),
    ))
}

/// `sprintf`: the format, its widths (`%10d`, `%.3f`: regorus reads them into a `u32`, so more
/// than nine digits is refused here too) and what each argument prints as (at most twice its
/// JSON: `%x` doubles a string).
fn sprintf(a: &[Value]) -> Option<Size> {
    let format = string(a.first()?)?;
    let mut bytes = format.len() as u64;
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            continue;
        }
        let mut digits = 0u32;
        let mut width = 0u64;
        if chars.peek() == Some(&'.') {
            chars.next();
        }
        while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
            chars.next();
            digits += 1;
            width = width.saturating_mul(10).saturating_add(u64::from(d));
        }
        bytes = bytes.saturating_add(if digits > 9 { u64::MAX } else { width });
        chars.next();
    }
    let args = match a.get(1)? {
        Value::Array(items) => items.iter().map(json_len).fold(0u64, u64::saturating_add),
        _ => return None,
    };
    Some(Size::bytes(bytes.saturating_add(args.saturating_mul(2))))
}

fn concat(a: &[Value]) -> Option<Size> {
    let sep = string(a.first()?)?.len() as u64;
    let items: Vec<&Value> = match a.get(1)? {
        Value::Array(items) => items.iter().collect(),
        Value::Set(items) => items.iter().collect(),
        _ => return None,
    };
    let text = items
        .iter()
        .map(|v| string(v).map_or(0, |s| s.len() as u64))
        .fold(0u64, u64::saturating_add);
    let seps = sep.saturating_mul(items.len().saturating_sub(1) as u64);
    Some(Size::bytes(text.saturating_add(seps)))
}

fn array_concat(a: &[Value]) -> Option<Size> {
    Some(Size::elements(
        len(a.first()?)?.saturating_add(len(a.get(1)?)?),
    ))
}

/// Occurrences of `pattern` in `s` (an empty pattern matches between every character).
fn occurrences(s: &str, pattern: &str) -> u64 {
    if pattern.is_empty() {
        s.chars().count() as u64 + 1
    } else {
        s.matches(pattern).count() as u64
    }
}

fn replace(a: &[Value]) -> Option<Size> {
    let (s, old, new) = (string(a.first()?)?, string(a.get(1)?)?, string(a.get(2)?)?);
    let added = occurrences(s, old).saturating_mul(new.len() as u64);
    Some(Size::bytes((s.len() as u64).saturating_add(added)))
}

fn replace_n(a: &[Value]) -> Option<Size> {
    let Value::Object(patterns) = a.first()? else {
        return None;
    };
    let s = string(a.get(1)?)?;
    let mut bytes = s.len() as u64;
    for (old, new) in patterns.iter() {
        let (old, new) = (string(old)?, string(new)?);
        bytes = bytes.saturating_add(occurrences(s, old).saturating_mul(new.len() as u64));
    }
    Some(Size::bytes(bytes))
}

/// `regex.replace(s, pattern, value)`: each match (at most `len(s) + 1`) becomes `value`, whose
/// `$1` references copy at most the match; a bound too large for the limit is narrowed by
/// running the regex.
fn regex_replace(a: &[Value]) -> Option<Size> {
    let (s, pattern, value) = (string(a.first()?)?, string(a.get(1)?)?, string(a.get(2)?)?);
    let (n, v) = (s.len() as u64, value.len() as u64);
    let refs = value.matches('$').count() as u64;
    let coarse = n
        .saturating_add((n + 1).saturating_mul(v))
        .saturating_add(refs.saturating_mul(n));
    if coarse <= MAX_STRING_BYTES {
        return Some(Size::bytes(coarse));
    }
    let re = regex::Regex::new(pattern).ok()?;
    let mut bytes = n;
    for m in re.find_iter(s) {
        let copied = refs.saturating_mul(m.len() as u64);
        bytes = bytes.saturating_add(v).saturating_add(copied);
        if bytes > MAX_STRING_BYTES {
            break;
        }
    }
    Some(Size::bytes(bytes))
}

fn split(a: &[Value]) -> Option<Size> {
    let (s, sep) = (string(a.first()?)?, string(a.get(1)?)?);
    Some(Size {
        elements: occurrences(s, sep) + 1,
        bytes: s.len() as u64,
    })
}

fn indexof_n(a: &[Value]) -> Option<Size> {
    let (s, sub) = (string(a.first()?)?, string(a.get(1)?)?);
    Some(Size::elements(occurrences(s, sub)))
}

/// `regex.split(pattern, s)` and `regex.find_n(pattern, s, n)`: at most `len(s) + 1` pieces;
/// a bound over the limit is narrowed by running the regex.
fn regex_split(a: &[Value]) -> Option<Size> {
    let (pattern, s) = (string(a.first()?)?, string(a.get(1)?)?);
    let coarse = s.len() as u64 + 1;
    if coarse <= MAX_ELEMENTS {
        return Some(Size {
            elements: coarse,
            bytes: s.len() as u64,
        });
    }
    let re = regex::Regex::new(pattern).ok()?;
    let found = re.find_iter(s).take(MAX_ELEMENTS as usize + 1).count() as u64;
    Some(Size {
        elements: found + 1,
        bytes: s.len() as u64,
    })
}

fn json_marshal_with_options(a: &[Value]) -> Option<Size> {
    let value = a.first()?;
    let Value::Object(options) = a.get(1)? else {
        return None;
    };
    let option = |k: &str| {
        options
            .get(&Value::from(k))
            .and_then(string)
            .map_or(1, |s| s.len() as u64)
    };
    // Pretty printing puts each value on its own line: prefix, then indent per level.
    let (nodes, depth) = shape(value);
    let per_line = option("prefix") + option("indent").saturating_mul(depth) + 1;
    Some(Size::bytes(
        json_len(value).saturating_add(nodes.saturating_mul(per_line)),
    ))
}

fn encoded(a: &[Value], factor: u64) -> Option<Size> {
    Some(Size::bytes(
        (string(a.first()?)?.len() as u64)
            .saturating_mul(factor)
            .saturating_add(4),
    ))
}

fn bits_lsh(a: &[Value]) -> Option<Size> {
    let shift = a.get(1)?.as_u64().ok()?;
    if shift > MAX_SHIFT_BITS {
        return Some(Size::bytes(u64::MAX));
    }
    Some(Size::bytes(shift / 8))
}

fn union(a: &[Value]) -> Option<Size> {
    let items: Vec<&Value> = match a.first()? {
        Value::Array(items) => items.iter().collect(),
        Value::Set(items) => items.iter().collect(),
        _ => return None,
    };
    let n = items
        .iter()
        .map(|v| len(v).unwrap_or(0))
        .fold(0u64, u64::saturating_add);
    Some(Size::elements(n))
}

/// An upper bound of the length of `v` printed as JSON (what `json.marshal` and `sprintf`'s
/// `%v` print), counting a value shared in several places once per place, and stopping past
/// the string limit (so a value built by doubling costs no more to measure than the limit).
pub fn json_len(v: &Value) -> u64 {
    json_len_within(v, MAX_STRING_BYTES)
}

/// [`json_len`], stopping as soon as the length is known to exceed `limit`.
pub fn json_len_within(v: &Value, limit: u64) -> u64 {
    let mut total = 0u64;
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        if total > limit {
            return total;
        }
        total += match v {
            Value::Null => 4,
            Value::Bool(_) => 5,
            Value::Number(_) => match v.as_f64() {
                Ok(f) if f.is_finite() && f.abs() < 1e300 => 24,
                _ => v.to_string().len() as u64,
            },
            Value::String(s) => 2 + escaped_len(s),
            Value::Array(items) => {
                stack.extend(items.iter());
                2 + items.len() as u64
            }
            Value::Set(items) => {
                stack.extend(items.iter());
                2 + items.len() as u64
            }
            Value::Object(fields) => {
                for (k, v) in fields.iter() {
                    stack.push(k);
                    stack.push(v);
                }
                2 + 2 * fields.len() as u64
            }
            Value::Undefined => 0,
        };
    }
    total
}

/// The length of `s` as a JSON string body: control characters take six bytes, `"` and `\` two.
fn escaped_len(s: &str) -> u64 {
    s.bytes()
        .map(|b| match b {
            b'"' | b'\\' => 2,
            0..=0x1f => 6,
            _ => 1,
        })
        .sum()
}

/// The number of values in `v` and its nesting depth, stopping past the element limit.
fn shape(v: &Value) -> (u64, u64) {
    let (mut nodes, mut depth) = (0u64, 0u64);
    let mut stack = vec![(v, 1u64)];
    while let Some((v, d)) = stack.pop() {
        nodes += 1;
        depth = depth.max(d);
        if nodes > MAX_ELEMENTS {
            break;
        }
        match v {
            Value::Array(items) => stack.extend(items.iter().map(|i| (i, d + 1))),
            Value::Set(items) => stack.extend(items.iter().map(|i| (i, d + 1))),
            Value::Object(fields) => stack.extend(fields.values().map(|i| (i, d + 1))),
            _ => {}
        }
    }
    (nodes, depth)
}

/// Whether an engine error is one of these limits.
pub fn is_limit(message: &str) -> bool {
    message.contains(LIMIT_MARKER)
}

/// A short excerpt of untrusted text for a message: control and invisible formatting
/// characters escaped (they could rewrite a terminal), at most `max` characters.
pub fn excerpt(text: &str, max: usize) -> String {
    let mut out = String::new();
    for (count, c) in text.chars().enumerate() {
        if count == max {
            out.push('…');
            break;
        }
        let invisible = matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}');
        if c.is_control() || invisible {
            match c {
                '\t' => out.push_str("\\t"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(rule: &str) -> anyhow::Result<Value> {
        let mut e = regorus::Engine::new();
        register(&mut e).unwrap();
        e.add_policy("t.rego".into(), format!("package t\nx := {rule}\n"))
            .unwrap();
        start_evaluation();
        e.eval_rule("data.t.x".into())
    }

    /// Guarded builtins give what the originals give, errors (undefined) included.
    #[test]
    fn guarded_builtins_behave_as_the_originals() {
        let calls = [
            "numbers.range(1, 3)",
            "numbers.range(3, -1)",
            "numbers.range_step(0, 10, 3)",
            "numbers.range_step(0, 10, 0)",
            r#"sprintf("%s-%d-%5d-%.2f-%v|%x", ["a", 7, 42, 3.14159, {"k": [1]}, "hi"])"#,
            r#"sprintf(1, [])"#,
            r#"concat("/", ["a", "b"])"#,
            r#"concat("/", {"b", "a"})"#,
            r#"concat("/", [1])"#,
            r#"array.concat([1], [2, 3])"#,
            r#"replace("aXbX", "X", "--")"#,
            r#"replace("ab", "", "-")"#,
            r#"strings.replace_n({"a": "1", "b": "22"}, "abc")"#,
            r#"regex.replace("a1b22", "[0-9]+", "<$0>")"#,
            r#"split("a,b,,c", ",")"#,
            r#"indexof_n("abab", "b")"#,
            r#"regex.split("/+", "a//b/c")"#,
            r#"regex.find_n("[a-z]", "a1b2c", 2)"#,
            r#"json.marshal({"a": [1, "x\ty"]})"#,
            r#"json.marshal_with_options({"a": [1]}, {"pretty": true, "indent": "  "})"#,
            r#"base64.encode("hello")"#,
            r#"base64url.encode_no_pad("hello")"#,
            r#"hex.encode("hi")"#,
            r#"urlquery.encode("a b&c")"#,
            r#"urlquery.encode_object({"a": "b c"})"#,
            "bits.lsh(3, 4)",
            "union({{1}, {2, 3}})",
            r#"object.union({"a": 1}, {"b": 2})"#,
            r#"object.union_n([{"a": 1}, {"a": 2}])"#,
            r#"net.cidr_expand("10.0.0.0/30")"#,
            r#"net.cidr_expand("fd00::/127")"#,
            r#"net.cidr_expand("nonsense")"#,
        ];
        for call in calls {
            let mut plain = regorus::Engine::new();
            plain
                .add_policy("t.rego".into(), format!("package t\nx := {call}\n"))
                .unwrap();
            match (plain.eval_rule("data.t.x".into()), eval(call)) {
                (Ok(expected), Ok(got)) => assert_eq!(got, expected, "{call}"),
                (Err(expected), Err(got)) => {
                    let expected = super::super::split_rego_error(&expected).message;
                    let got = super::super::split_rego_error(&got).message;
                    assert_eq!(got, expected, "{call}");
                }
                (expected, got) => panic!("{call}: {expected:?} but {got:?}"),
            }
        }
        assert_eq!(
            eval("numbers.range(1, 3)").unwrap(),
            Value::from_json_str("[1, 2, 3]").unwrap()
        );
    }

    #[test]
    fn oversized_calls_are_refused() {
        for call in [
            "numbers.range(0, 1000000000)",
            "numbers.range_step(0, 1000000000, 1)",
            r#"net.cidr_expand("10.0.0.0/8")"#,
            r#"sprintf("%999999999d", [1])"#,
            r#"sprintf("%99999999999999d", [1])"#,
            r#"replace(concat("", ["aaaaaaaaaa" | some _ in numbers.range(1, 100)]), "", concat("", ["0123456789" | some _ in numbers.range(1, 10000)]))"#,
            "bits.lsh(1, 100000000)",
        ] {
            let err = eval(call).expect_err(call);
            assert!(is_limit(&format!("{err:#}")), "{call}: {err:#}");
        }
    }

    #[test]
    fn a_doubling_chain_hits_the_evaluation_budget() {
        let mut text = String::from("package t\ns0 := \"0123456789abcdef\"\n");
        for i in 1..40 {
            text.push_str(&format!("s{i} := concat(\"\", [s{}, s{}])\n", i - 1, i - 1));
        }
        let mut e = regorus::Engine::new();
        register(&mut e).unwrap();
        e.add_policy("t.rego".into(), text).unwrap();
        start_evaluation();
        let err = e.eval_rule("data.t.s39".into()).unwrap_err();
        assert!(is_limit(&format!("{err:#}")), "{err:#}");
    }

    #[test]
    fn json_length_of_a_shared_value_stops_at_the_limit() {
        let mut v = Value::from("x");
        for _ in 0..64 {
            v = Value::from(vec![v.clone(), v]);
        }
        assert!(json_len(&v) > MAX_STRING_BYTES);
    }

    #[test]
    fn excerpts_are_short_and_escaped() {
        assert_eq!(excerpt("a\u{1b}[2Jb\0c", 100), "a\\u{1b}[2Jb\\u{0}c");
        assert_eq!(excerpt("abcdef", 3), "abc…");
        assert_eq!(excerpt("x\u{202e}y", 10), "x\\u{202e}y");
    }
}
