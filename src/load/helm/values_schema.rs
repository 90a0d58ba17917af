//! The values schema check Helm runs before rendering (`ValidateAgainstSchema`): the release
//! values against the root chart's `values.schema.json`, then each enabled subchart's table
//! against that subchart's schema, recursively. The failures of all charts are gathered into
//! one error, in Helm's words:
//!
//! ```text
//! values don't meet the specifications of the schema(s) in the following chart(s):
//! external-dns:
//! - at '': missing property 'policy'
//! ```
//!
//! Helm validates with santhosh-tekuri/jsonschema v6; the validation here is the
//! `jsonschema` crate's, and its errors are arranged and worded as santhosh-tekuri's are
//! (`at '<instance pointer>': <message>`, several errors at one place grouped under
//! `validation failed`, `anyOf failed` / `oneOf failed, none matched` with the errors of
//! each branch). Formats are asserted for drafts 4 to 7 only, as there. Messages that would
//! quote a value of the instance (pattern and format failures) do not, since values may be
//! secrets. A `$ref` to another document (an `http(s)://`, `file:` or `urn:` URL) is never
//! fetched: it is reported, and the referenced schema accepts anything.

use super::super::chart::Chart;
use serde_json::Value;

/// The outcome of the check of a chart tree.
pub(super) struct Checked {
    /// Helm's error text when values fail (`values don't meet …`), `None` when they pass.
    pub error: Option<String>,
    /// What was not checked, and why.
    pub notes: Vec<String>,
}

/// Checks `values` (the release values) against the schemas of `chart` and its
/// subcharts.
pub(super) fn check(chart: &Chart, values: &serde_json::Map<String, Value>) -> Checked {
    let mut notes = Vec::new();
    let text = check_tree(chart, values, &mut notes);
    Checked {
        error: (!text.is_empty()).then(|| {
            format!(
                "values don't meet the specifications of the schema(s) in the following \
                 chart(s):\n{text}"
            )
        }),
        notes,
    }
}

fn check_tree(
    chart: &Chart,
    values: &serde_json::Map<String, Value>,
    notes: &mut Vec<String>,
) -> String {
    let mut sb = String::new();
    if let Some(schema) = &chart.schema {
        if let Err(e) = validate_single(values, &schema.bytes, chart, notes) {
            sb.push_str(&format!("{}:\n{e}", chart.name()));
        }
    }
    for sub in &chart.dependencies {
        match values.get(sub.name()) {
            None | Some(Value::Null) => {}
            Some(Value::Object(m)) => sb.push_str(&check_tree(sub, m, notes)),
            Some(other) => sb.push_str(&format!(
                "{}:\ninvalid type for values: expected object (map), got {}\n",
                sub.name(),
                match other {
                    Value::Bool(_) => "bool",
                    Value::Number(n) if n.is_f64() => "float64",
                    Value::Number(_) => "int64",
                    Value::String(_) => "string",
                    _ => "[]interface {}",
                }
            )),
        }
    }
    sb
}

/// One chart's schema against its values: `Err` with santhosh-tekuri's text (ending in a
/// line break) when they fail.
fn validate_single(
    values: &serde_json::Map<String, Value>,
    schema: &[u8],
    chart: &Chart,
    notes: &mut Vec<String>,
) -> Result<(), String> {
    validator::validate_single(values, schema, chart, notes)
}

mod validator {
    use super::super::super::chart::yaml::go_format_float;
    use super::Chart;
    use jsonschema::error::{TypeKind, ValidationErrorKind as K};
    use jsonschema::{Draft, ValidationError};
    use serde_json::Value;
    use std::sync::{Arc, Mutex};

    const BASE: &str = "file:///values.schema.json";

    /// A retriever that fetches nothing: it records what was asked and hands back a schema
    /// that accepts everything.
    struct NoFetch {
        asked: Arc<Mutex<Vec<String>>>,
    }

    impl jsonschema::Retrieve for NoFetch {
        fn retrieve(
            &self,
            uri: &jsonschema::Uri<String>,
        ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
            if let Ok(mut a) = self.asked.lock() {
                let u = uri.as_str().to_string();
                if !a.contains(&u) {
                    a.push(u);
                }
            }
            Ok(Value::Bool(true))
        }
    }

    /// The draft santhosh-tekuri reads from `$schema` (2020-12 when absent); `None` for a
    /// `$schema` it would have to download.
    fn draft_of(schema: &Value) -> Option<Draft> {
        let Some(s) = schema.get("$schema").and_then(Value::as_str) else {
            return Some(Draft::Draft202012);
        };
        let s = s.strip_suffix('#').unwrap_or(s);
        let s = s
            .strip_prefix("http://")
            .or_else(|| s.strip_prefix("https://"))
            .unwrap_or(s);
        Some(match s {
            "json-schema.org/schema" | "json-schema.org/draft/2020-12/schema" => Draft::Draft202012,
            "json-schema.org/draft/2019-09/schema" => Draft::Draft201909,
            "json-schema.org/draft-07/schema" => Draft::Draft7,
            "json-schema.org/draft-06/schema" => Draft::Draft6,
            "json-schema.org/draft-04/schema" => Draft::Draft4,
            _ => return None,
        })
    }

    /// Whole numbers as integers: Helm's values are float64, and santhosh-tekuri counts a
    /// whole float64 as an integer in every draft.
    fn normalize(v: &Value) -> Value {
        match v {
            Value::Number(n) => match n.as_f64() {
                Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 9.0e15 => {
                    Value::from(f as i64)
                }
                _ => v.clone(),
            },
            Value::Array(items) => Value::Array(items.iter().map(normalize).collect()),
            Value::Object(m) => {
                Value::Object(m.iter().map(|(k, v)| (k.clone(), normalize(v))).collect())
            }
            other => other.clone(),
        }
    }

    pub(super) fn validate_single(
        values: &serde_json::Map<String, Value>,
        schema: &[u8],
        chart: &Chart,
        notes: &mut Vec<String>,
    ) -> Result<(), String> {
        let mut schema: Value = match serde_json::from_slice(schema) {
            Ok(s) => s,
            Err(e) => {
                return Err(format!(
                    "values.schema.json is not valid JSON: {e} (fix the file or delete it)\n"
                ))
            }
        };
        let draft = match draft_of(&schema) {
            Some(d) => d,
            None => {
                let url = schema
                    .get("$schema")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                notes.push(format!(
                    "the values schema of chart {} names the meta-schema {}, which Helm would \
                     download: it was not fetched, and the schema was read as draft 2020-12",
                    chart.name(),
                    crate::textsafe::escape(&url)
                ));
                if let Some(m) = schema.as_object_mut() {
                    m.remove("$schema");
                }
                Draft::Draft202012
            }
        };
        let asked = Arc::new(Mutex::new(Vec::new()));
        let validator = jsonschema::options()
            .with_draft(draft)
            .with_base_uri(BASE)
            .with_retriever(NoFetch {
                asked: Arc::clone(&asked),
            })
            .should_validate_formats(matches!(
                draft,
                Draft::Draft4 | Draft::Draft6 | Draft::Draft7
            ))
            .should_ignore_unknown_formats(true)
            .with_pattern_options(jsonschema::PatternOptions::regex())
            .without_content_media_type_support("application/json")
            .without_content_encoding_support("base64")
            .build(&schema);
        // In the order the validator asked, which is not fixed: sorted, so reports are.
        let mut asked: Vec<String> = asked.lock().map(|a| a.clone()).unwrap_or_default();
        asked.sort();
        asked.dedup();
        let validator = match validator {
            Ok(v) => v,
            Err(e) if !asked.is_empty() => {
                notes.push(format!(
                    "the values schema of chart {} was not checked: it refers to {} (a \
                     `$ref` plumbline does not fetch), and cannot be used without it ({})",
                    chart.name(),
                    crate::textsafe::escape(&asked.join(", ")),
                    e.masked()
                ));
                return Ok(());
            }
            Err(e) => {
                return Err(format!(
                    "values.schema.json is not a valid JSON schema: {}\n",
                    e.masked()
                ))
            }
        };
        if !asked.is_empty() {
            notes.push(format!(
                "the values schema of chart {} refers to {}: plumbline does not fetch \
                 schemas, so what they say was not checked",
                chart.name(),
                crate::textsafe::escape(&asked.join(", "))
            ));
        }
        let instance = normalize(&Value::Object(values.clone()));
        let items: Vec<Item> = validator.iter_errors(&instance).map(|e| item(&e)).collect();
        if items.is_empty() {
            return Ok(());
        }
        let nodes = group(items, 0, 0);
        let mut out = String::new();
        for n in &nodes {
            display(n, 1, &mut out);
        }
        // Helm trims santhosh-tekuri's first line (`jsonschema validation failed with
        // 'file:///values.schema.json#'`) and its line break, and adds one at the end.
        Err(format!("{}\n", out.trim_start_matches('\n')))
    }

    /// A validation error, with what its message needs.
    struct Item {
        inst: Vec<String>,
        eval: Vec<String>,
        kind: What,
    }

    enum What {
        Msg(&'static str, String),
        Required(String),
        Branches(String, Vec<Vec<Item>>),
    }

    fn pointer(p: &str) -> Vec<String> {
        if p.is_empty() {
            return Vec::new();
        }
        p.trim_start_matches('/')
            .split('/')
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
            .collect()
    }

    fn type_name(v: &Value) -> &'static str {
        match v {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }

    /// santhosh-tekuri's `quote`: Go's `%q` with single quotes.
    fn quote(s: &str) -> String {
        let q = format!("{s:?}");
        let inner = &q[1..q.len() - 1];
        format!("'{}'", inner.replace("\\\"", "\"").replace('\'', "\\'"))
    }

    /// santhosh-tekuri's `display` of a primitive (from the schema).
    fn display_value(v: &Value) -> String {
        match v {
            Value::String(s) => quote(s),
            Value::Null => "<nil>".into(),
            Value::Array(_) | Value::Object(_) => "value".into(),
            other => other.to_string(),
        }
    }

    fn num(v: &Value) -> String {
        v.as_f64()
            .map_or_else(|| v.to_string(), |f| go_format_float(f, 64))
    }

    fn item(e: &ValidationError<'_>) -> Item {
        let inst = pointer(e.instance_path().as_str());
        let eval = pointer(e.evaluation_path().as_str());
        let instance = e.instance();
        let count = |v: &Value| match v {
            Value::String(s) => s.chars().count(),
            Value::Array(a) => a.len(),
            Value::Object(m) => m.len(),
            _ => 0,
        };
        let kind = match e.kind() {
            K::Type { kind } => {
                let mut want: Vec<&str> = match kind {
                    TypeKind::Single(t) => vec![json_type(&t.to_string())],
                    TypeKind::Multiple(set) => {
                        set.iter().map(|t| json_type(&t.to_string())).collect()
                    }
                };
                let order = [
                    "null", "boolean", "number", "integer", "string", "array", "object",
                ];
                want.sort_by_key(|w| order.iter().position(|o| o == w));
                What::Msg(
                    "type",
                    format!("got {}, want {}", type_name(instance), want.join(" or ")),
                )
            }
            K::Constant { expected_value } => What::Msg(
                "const",
                match expected_value.as_ref() {
                    Value::Array(_) | Value::Object(_) => "const failed".into(),
                    v => format!("value must be {}", display_value(v)),
                },
            ),
            K::Enum { options } => What::Msg("enum", {
                let opts = options.as_array().cloned().unwrap_or_default();
                if opts.iter().any(|o| o.is_array() || o.is_object()) {
                    "enum failed".into()
                } else if opts.len() == 1 {
                    format!("value must be {}", display_value(&opts[0]))
                } else {
                    format!(
                        "value must be one of {}",
                        opts.iter()
                            .map(display_value)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }
            }),
            K::Format { format } => What::Msg("format", format!("value is not valid {format}")),
            K::Required { property } => What::Required(
                property
                    .as_str()
                    .map_or_else(|| property.to_string(), str::to_string),
            ),
            K::AdditionalProperties { unexpected } => What::Msg(
                "additionalProperties",
                format!(
                    "additional properties {} not allowed",
                    unexpected
                        .iter()
                        .map(|p| quote(p))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            K::MinProperties { limit } => What::Msg(
                "minProperties",
                format!("minProperties: got {}, want {limit}", count(instance)),
            ),
            K::MaxProperties { limit } => What::Msg(
                "maxProperties",
                format!("maxProperties: got {}, want {limit}", count(instance)),
            ),
            K::MinItems { limit } => What::Msg(
                "minItems",
                format!("minItems: got {}, want {limit}", count(instance)),
            ),
            K::MaxItems { limit } => What::Msg(
                "maxItems",
                format!("maxItems: got {}, want {limit}", count(instance)),
            ),
            K::MinLength { limit } => What::Msg(
                "minLength",
                format!("minLength: got {}, want {limit}", count(instance)),
            ),
            K::MaxLength { limit } => What::Msg(
                "maxLength",
                format!("maxLength: got {}, want {limit}", count(instance)),
            ),
            K::Pattern { pattern } => What::Msg(
                "pattern",
                format!("value does not match pattern {}", quote(pattern)),
            ),
            K::Minimum { limit } => What::Msg(
                "minimum",
                format!("minimum: got {}, want {}", num(instance), num(limit)),
            ),
            K::Maximum { limit } => What::Msg(
                "maximum",
                format!("maximum: got {}, want {}", num(instance), num(limit)),
            ),
            K::ExclusiveMinimum { limit } => What::Msg(
                "exclusiveMinimum",
                format!(
                    "exclusiveMinimum: got {}, want {}",
                    num(instance),
                    num(limit)
                ),
            ),
            K::ExclusiveMaximum { limit } => What::Msg(
                "exclusiveMaximum",
                format!(
                    "exclusiveMaximum: got {}, want {}",
                    num(instance),
                    num(limit)
                ),
            ),
            K::MultipleOf { multiple_of, .. } => What::Msg(
                "multipleOf",
                format!(
                    "multipleOf: got {}, want {}",
                    num(instance),
                    go_format_float(*multiple_of, 64)
                ),
            ),
            K::UniqueItems => What::Msg("uniqueItems", {
                let arr = instance.as_array().cloned().unwrap_or_default();
                let mut pair = (0, 0);
                'outer: for i in 1..arr.len() {
                    for j in 0..i {
                        if arr[i] == arr[j] {
                            pair = (j, i);
                            break 'outer;
                        }
                    }
                }
                format!("items at {} and {} are equal", pair.0, pair.1)
            }),
            K::AdditionalItems { limit } => What::Msg(
                "additionalItems",
                format!(
                    "last {} additionalItem(s) not allowed",
                    count(instance).saturating_sub(*limit)
                ),
            ),
            K::Contains => What::Msg("contains", "no items match contains schema".into()),
            K::FalseSchema => What::Msg("false", "false schema".into()),
            K::Not { .. } => What::Msg("not", "not failed".into()),
            K::PropertyNames { error } => What::Msg(
                "propertyNames",
                format!(
                    "invalid property {}",
                    quote(error.instance().as_str().unwrap_or_default())
                ),
            ),
            K::AnyOf { context } => What::Branches(
                "anyOf failed".into(),
                context
                    .iter()
                    .map(|b| b.iter().map(item).collect())
                    .collect(),
            ),
            K::OneOfNotValid { context } => What::Branches(
                "oneOf failed, none matched".into(),
                context
                    .iter()
                    .map(|b| b.iter().map(item).collect())
                    .collect(),
            ),
            K::OneOfMultipleValid { context } => {
                let valid: Vec<usize> = context
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| b.is_empty())
                    .map(|(i, _)| i)
                    .collect();
                What::Msg(
                    "oneOf",
                    match valid.as_slice() {
                        [a, b, ..] => format!("oneOf failed, subschemas {a}, {b} matched"),
                        _ => "oneOf failed, subschemas matched".into(),
                    },
                )
            }
            K::UnevaluatedProperties { unexpected } => What::Msg(
                "unevaluatedProperties",
                format!(
                    "additional properties {} not allowed",
                    unexpected
                        .iter()
                        .map(|p| quote(p))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            _ => What::Msg("other", e.masked().to_string()),
        };
        Item { inst, eval, kind }
    }

    fn json_type(t: &str) -> &'static str {
        match t {
            "null" => "null",
            "boolean" => "boolean",
            "integer" => "integer",
            "number" => "number",
            "string" => "string",
            "array" => "array",
            _ => "object",
        }
    }

    /// A node of santhosh-tekuri's error tree: an error at an instance location, or (no
    /// message) `validation failed` over several.
    struct SNode {
        inst: Vec<String>,
        msg: Option<String>,
        causes: Vec<SNode>,
        rank: u32,
        sub: String,
    }

    /// The order santhosh-tekuri checks keywords in.
    fn rank(kw: &str) -> u32 {
        match kw {
            "type" => 0,
            "const" => 1,
            "enum" => 2,
            "format" => 3,
            "$ref" => 4,
            "minProperties" => 10,
            "maxProperties" => 11,
            "required" => 12,
            "dependencies" => 13,
            "properties" | "patternProperties" => 14,
            "additionalProperties" => 15,
            "propertyNames" => 16,
            "dependentSchemas" => 17,
            "dependentRequired" => 18,
            "minItems" => 20,
            "maxItems" => 21,
            "uniqueItems" => 22,
            "items" | "prefixItems" => 23,
            "additionalItems" => 24,
            "contains" => 25,
            "minLength" => 30,
            "maxLength" => 31,
            "pattern" => 32,
            "minimum" => 40,
            "maximum" => 41,
            "exclusiveMinimum" => 42,
            "exclusiveMaximum" => 43,
            "multipleOf" => 44,
            "$dynamicRef" | "$recursiveRef" => 50,
            "not" => 51,
            "allOf" => 52,
            "anyOf" => 53,
            "oneOf" => 54,
            "then" | "else" => 55,
            "unevaluatedProperties" => 60,
            "unevaluatedItems" => 61,
            _ => 70,
        }
    }

    fn collapse(mut nodes: Vec<SNode>, inst: &[String], rank: u32, sub: String) -> Option<SNode> {
        match nodes.len() {
            0 => None,
            1 => {
                let mut n = nodes.pop()?;
                n.rank = rank;
                n.sub = sub;
                Some(n)
            }
            _ => Some(SNode {
                inst: inst.to_vec(),
                msg: None,
                causes: nodes,
                rank,
                sub,
            }),
        }
    }

    /// What one validator (a schema at one instance location) reports, from the errors
    /// under it: `pos` is where their evaluation paths continue, `depth` how many
    /// instance segments are consumed.
    fn group(items: Vec<Item>, depth: usize, pos: usize) -> Vec<SNode> {
        use std::collections::BTreeMap;
        let inst_here: Vec<String> = items
            .first()
            .map(|i| i.inst.iter().take(depth).cloned().collect())
            .unwrap_or_default();
        let mut leaves: Vec<SNode> = Vec::new();
        let mut required: Vec<String> = Vec::new();
        // Child validators: (rank, instance key or branch, eval end, depth after) → items.
        let mut children: BTreeMap<(u32, String, String, usize, usize), Vec<Item>> =
            BTreeMap::new();
        let mut all_of: BTreeMap<usize, Vec<Item>> = BTreeMap::new();
        for it in items {
            let kw = it.eval.get(pos).cloned().unwrap_or_default();
            let next = it.eval.get(pos + 1).cloned();
            let is_index = next
                .as_deref()
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
            let inst_key = it.inst.get(depth).cloned().unwrap_or_default();
            let sort_inst = |k: &str| -> String {
                if k.bytes().all(|b| b.is_ascii_digit()) {
                    format!("{k:0>20}")
                } else {
                    k.to_string()
                }
            };
            let child = match kw.as_str() {
                "properties" | "patternProperties" if next.is_some() => {
                    let seg = format!("{kw}/{}", next.clone().unwrap_or_default());
                    Some((rank(&kw), sort_inst(&inst_key), seg, pos + 2, depth + 1))
                }
                "additionalProperties" | "unevaluatedProperties" | "additionalItems"
                    if next.is_some() =>
                {
                    Some((
                        rank(&kw),
                        sort_inst(&inst_key),
                        kw.clone(),
                        pos + 1,
                        depth + 1,
                    ))
                }
                "items" | "prefixItems" if next.is_some() => {
                    let end = if is_index { pos + 2 } else { pos + 1 };
                    Some((rank(&kw), sort_inst(&inst_key), kw.clone(), end, depth + 1))
                }
                "$ref" | "$dynamicRef" | "$recursiveRef" | "then" | "else" if next.is_some() => {
                    Some((rank(&kw), kw.clone(), kw.clone(), pos + 1, depth))
                }
                "dependencies" | "dependentSchemas" if it.eval.len() > pos + 2 => {
                    let seg = next.clone().unwrap_or_default();
                    Some((rank(&kw), seg.clone(), seg, pos + 2, depth))
                }
                "$defs" | "definitions" if next.is_some() => {
                    Some((rank(&kw), kw.clone(), kw.clone(), pos + 2, depth))
                }
                "allOf" if is_index => {
                    let i: usize = next.as_deref().unwrap_or("0").parse().unwrap_or(0);
                    all_of.entry(i).or_default().push(it);
                    continue;
                }
                _ => None,
            };
            if let Some(key) = child {
                children.entry(key).or_default().push(it);
                continue;
            }
            match it.kind {
                What::Required(p) => required.push(p),
                What::Msg(k, msg) => leaves.push(SNode {
                    inst: it.inst.clone(),
                    msg: Some(msg),
                    causes: Vec::new(),
                    rank: rank(if k == "other" || k == "false" { &kw } else { k }),
                    sub: String::new(),
                }),
                What::Branches(msg, branches) => {
                    let causes: Vec<SNode> = branches
                        .into_iter()
                        .enumerate()
                        .filter_map(|(i, b)| {
                            let d = it.inst.len();
                            collapse(group(b, d, pos + 2), &it.inst, 0, format!("{i:020}"))
                        })
                        .collect();
                    leaves.push(SNode {
                        inst: it.inst.clone(),
                        msg: Some(msg),
                        causes,
                        rank: rank(&kw),
                        sub: String::new(),
                    });
                }
            }
        }
        if !required.is_empty() {
            let msg = if required.len() == 1 {
                format!("missing property {}", quote(&required[0]))
            } else {
                format!(
                    "missing properties {}",
                    required
                        .iter()
                        .map(|p| quote(p))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            leaves.push(SNode {
                inst: inst_here.clone(),
                msg: Some(msg),
                causes: Vec::new(),
                rank: rank("required"),
                sub: String::new(),
            });
        }
        // `type`, `const`, `enum` and `format` end the validation of their schema.
        if let Some(first) = leaves
            .iter()
            .filter(|l| l.rank <= 3)
            .min_by_key(|l| l.rank)
            .map(|l| l.rank)
        {
            let keep = leaves.into_iter().find(|l| l.rank == first);
            return keep.into_iter().collect();
        }
        let mut out = leaves;
        for ((r, sub, _, end, d), its) in children {
            let inst: Vec<String> = its
                .first()
                .map(|i| i.inst.iter().take(d).cloned().collect())
                .unwrap_or_default();
            if let Some(n) = collapse(group(its, d, end), &inst, r, sub) {
                out.push(n);
            }
        }
        if !all_of.is_empty() {
            let causes: Vec<SNode> = all_of
                .into_iter()
                .filter_map(|(i, its)| {
                    collapse(
                        group(its, depth, pos + 2),
                        &inst_here,
                        0,
                        format!("{i:020}"),
                    )
                })
                .collect();
            out.push(SNode {
                inst: inst_here.clone(),
                msg: Some("allOf failed".into()),
                causes,
                rank: rank("allOf"),
                sub: String::new(),
            });
        }
        out.sort_by(|a, b| (a.rank, &a.sub).cmp(&(b.rank, &b.sub)));
        out
    }

    fn display(n: &SNode, indent: usize, out: &mut String) {
        out.push('\n');
        for _ in 1..indent {
            out.push_str("  ");
        }
        out.push_str("- ");
        let ptr: String = n
            .inst
            .iter()
            .map(|s| format!("/{}", s.replace('~', "~0").replace('/', "~1")))
            .collect();
        out.push_str(&format!(
            "at {}: {}",
            quote(&ptr),
            n.msg.as_deref().unwrap_or("validation failed")
        ));
        for c in &n.causes {
            display(c, indent + 1, out);
        }
    }
}
