//! `data "aws_iam_policy_document"` rendered in-process, to the JSON the AWS provider writes
//! (`internal/service/iam/policy_document_data_source.go` and `policy_model.go` there), so that
//! `data.aws_iam_policy_document.x.json` is a policy the rules can read:
//!
//! - the document is `Version` (default `2012-10-17`), `Id` (`policy_id`), `Statement`, each
//!   left out when empty; a statement's fields are written in the provider's order (`Sid`,
//!   `Effect` (default `Allow`), `Action`, `NotAction`, `Resource`, `NotResource`,
//!   `Principal`, `NotPrincipal`, `Condition`);
//! - a set of strings (`actions`, `resources`, principal `identifiers`…) with one element is a
//!   string, with more a list sorted in reverse order; `&{` becomes `${` in resources,
//!   identifiers and condition values;
//! - `principals` blocks are grouped by type (`{"AWS": […], "Service": …}`), and a single
//!   `type = "*"`, `identifiers = ["*"]` block is `"*"`; `condition` blocks are grouped by
//!   test and variable, a single value being a string;
//! - `source_policy_documents` are merged first (a `Sid` may appear only once among them),
//!   then the statements of the block (a later statement with the same `Sid` replaces the
//!   earlier one), then `override_policy_documents` in order; the highest `Version` wins and
//!   the last `Id` given. Documents given as JSON are read back as the provider reads them
//!   (a string `Principal` is `"*"`, condition values that are not strings or booleans are
//!   dropped, keys match without regard to case);
//! - `json` is indented by two spaces, `minified_json` has no space, both escape `<`, `>` and
//!   `&` as Go does; `id` is the CRC-32 of `json`.
//!
//! A value known only after apply stays in place as `{"$unknown": "<reference>"}` (the input
//! model's unknown value), so the rest of the document is still known. Where the unknown part
//! could change which statements there are (an unknown override document may replace any
//! statement that has a `Sid`), those statements are unknown too. Not reproduced: the order
//! the provider gives to several `principals` or `condition` blocks, which comes from the
//! hash of each block (here they keep the order they are written in).

use super::value::V;
use std::collections::BTreeMap;

/// A JSON value in the order the provider writes it.
#[derive(Debug, Clone, PartialEq)]
enum J {
    Null,
    Bool(bool),
    /// A number, as its JSON text.
    Num(String),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
    Unknown(String),
}

impl J {
    fn is_empty_str(&self) -> bool {
        matches!(self, J::Str(s) if s.is_empty())
    }

    fn has_unknown(&self) -> bool {
        match self {
            J::Unknown(_) => true,
            J::Arr(items) => items.iter().any(J::has_unknown),
            J::Obj(entries) => entries.iter().any(|(_, v)| v.has_unknown()),
            _ => false,
        }
    }

    /// JSON as the provider reads it back: the input model's unknown value is unknown.
    fn from_json(v: &serde_json::Value) -> J {
        use serde_json::Value as S;
        match v {
            S::Null => J::Null,
            S::Bool(b) => J::Bool(*b),
            S::Number(n) => J::Num(n.to_string()),
            S::String(s) => J::Str(s.clone()),
            S::Array(items) => J::Arr(items.iter().map(J::from_json).collect()),
            S::Object(o) => match unknown_marker(v) {
                Some(r) => J::Unknown(r),
                None => J::Obj(
                    o.iter()
                        .map(|(k, v)| (k.clone(), J::from_json(v)))
                        .collect(),
                ),
            },
        }
    }
}

fn unknown_marker(v: &serde_json::Value) -> Option<String> {
    let o = v.as_object()?;
    if o.len() != 1 {
        return None;
    }
    o.get("$unknown")?.as_str().map(str::to_string)
}

/// A statement of the merged document; `Unknown` when even its presence depends on apply.
#[derive(Debug, Clone)]
enum Stmt {
    Known(Box<Statement>),
    Unknown(String),
}

#[derive(Debug, Clone, Default)]
struct Statement {
    /// `J::Str("")` when there is none.
    sid: Option<J>,
    effect: Option<J>,
    action: Option<J>,
    not_action: Option<J>,
    resource: Option<J>,
    not_resource: Option<J>,
    principal: Option<J>,
    not_principal: Option<J>,
    condition: Option<J>,
}

impl Statement {
    fn known_sid(&self) -> Option<&str> {
        match &self.sid {
            Some(J::Str(s)) if !s.is_empty() => Some(s),
            _ => None,
        }
    }

    fn to_json(&self) -> J {
        let mut out = Vec::new();
        let fields = [
            ("Sid", &self.sid),
            ("Effect", &self.effect),
            ("Action", &self.action),
            ("NotAction", &self.not_action),
            ("Resource", &self.resource),
            ("NotResource", &self.not_resource),
            ("Principal", &self.principal),
            ("NotPrincipal", &self.not_principal),
            ("Condition", &self.condition),
        ];
        for (name, v) in fields {
            match v {
                None | Some(J::Null) => {}
                Some(v) if v.is_empty_str() && matches!(name, "Sid" | "Effect") => {}
                Some(v) => out.push((name.to_string(), v.clone())),
            }
        }
        J::Obj(out)
    }
}

#[derive(Debug, Clone, Default)]
struct Doc {
    version: Option<J>,
    id: Option<J>,
    statements: Vec<Stmt>,
}

impl Doc {
    /// The provider's `Merge`: `other`'s Id when it has one, the higher Version, and its
    /// statements replacing those with the same Sid or appended.
    fn merge(&mut self, other: Doc) {
        match other.id {
            Some(J::Str(s)) if s.is_empty() => {}
            None => {}
            id => self.id = id,
        }
        self.version = match (self.version.take(), other.version) {
            (None, v) | (v, None) => v,
            (Some(J::Str(a)), Some(J::Str(b))) => Some(J::Str(if b > a { b } else { a })),
            (Some(J::Unknown(r)), _) | (_, Some(J::Unknown(r))) => Some(J::Unknown(r)),
            (a, _) => a,
        };
        for s in other.statements {
            let sid = match &s {
                Stmt::Known(st) => st.known_sid().map(str::to_string),
                Stmt::Unknown(_) => None,
            };
            let existing = sid.as_deref().and_then(|sid| {
                self.statements
                    .iter()
                    .position(|e| matches!(e, Stmt::Known(e) if e.known_sid() == Some(sid)))
            });
            match existing {
                Some(i) => self.statements[i] = s,
                None => self.statements.push(s),
            }
        }
    }

    /// An override document known only after apply: it may replace any statement that has a
    /// Sid, and add statements.
    fn merge_unknown(&mut self, reference: &str) {
        for s in &mut self.statements {
            if matches!(s, Stmt::Known(st) if st.known_sid().is_some() || matches!(st.sid, Some(J::Unknown(_))))
            {
                *s = Stmt::Unknown(reference.to_string());
            }
        }
        self.statements.push(Stmt::Unknown(reference.to_string()));
    }

    fn to_json(&self) -> J {
        let mut out = Vec::new();
        for (name, v) in [("Version", &self.version), ("Id", &self.id)] {
            match v {
                None => {}
                Some(v) if v.is_empty_str() => {}
                Some(v) => out.push((name.to_string(), v.clone())),
            }
        }
        if !self.statements.is_empty() {
            let items = self
                .statements
                .iter()
                .map(|s| match s {
                    Stmt::Known(st) => st.to_json(),
                    Stmt::Unknown(r) => J::Unknown(r.clone()),
                })
                .collect();
            out.push(("Statement".to_string(), J::Arr(items)));
        }
        J::Obj(out)
    }
}

/// The attributes `aws_iam_policy_document` computes (`json`, `minified_json`, `id`), added to
/// the block's own values `body` (its attributes, and its nested blocks as lists of objects).
/// `reference` (`data.aws_iam_policy_document.x`) names what is unknown. An error is what
/// Terraform would report for the block, with what to change.
pub fn render(body: &V, reference: &str) -> Result<V, String> {
    let V::Map(attrs) = body else {
        return Err("the block could not be read".into());
    };
    let get = |name: &str| attrs.get(name).filter(|v| !matches!(v, V::Null));
    let version =
        match get("version") {
            None => J::Str("2012-10-17".into()),
            Some(V::Unknown(r)) => J::Unknown(r.clone()),
            Some(v) => match v.to_str().as_deref() {
                Some(s @ ("2008-10-17" | "2012-10-17")) => J::Str(s.into()),
                _ => return Err(
                    "version must be \"2012-10-17\" or \"2008-10-17\"; fix the version argument"
                        .into(),
                ),
            },
        };
    let old_version = version == J::Str("2008-10-17".into());

    let mut merged = Doc::default();
    if let Some(sources) = get("source_policy_documents") {
        let mut sids: Vec<String> = Vec::new();
        for (i, source) in list_of(sources, "source_policy_documents")?
            .into_iter()
            .enumerate()
        {
            match read_document(source, "source_policy_documents", i)? {
                None => {}
                Some(Err(r)) => merged.statements.push(Stmt::Unknown(r)),
                Some(Ok(doc)) => {
                    for (n, s) in doc.statements.iter().enumerate() {
                        if let Stmt::Known(st) = s {
                            if let Some(sid) = st.known_sid() {
                                if sids.iter().any(|x| x == sid) {
                                    return Err(format!(
                                        "source_policy_documents[{i}]: duplicate Sid ({sid}) in \
                                         source_policy_documents (statement {n}); remove the Sid \
                                         or make the Sids unique"
                                    ));
                                }
                                sids.push(sid.to_string());
                            }
                        }
                    }
                    merged.merge(doc);
                }
            }
        }
    }

    let mut doc = Doc {
        version: Some(version),
        id: get("policy_id")
            .map(|v| scalar(v, "policy_id"))
            .transpose()?,
        statements: Vec::new(),
    };
    if let Some(statements) = get("statement") {
        let mut sids: Vec<String> = Vec::new();
        for (i, s) in list_of(statements, "statement")?.into_iter().enumerate() {
            if let V::Unknown(r) = s {
                doc.statements.push(Stmt::Unknown(r.clone()));
                continue;
            }
            let st = config_statement(s, i, old_version)?;
            if let Some(sid) = st.known_sid() {
                if sids.iter().any(|x| x == sid) {
                    return Err(format!(
                        "statement {i}: duplicate Sid ({sid}); remove the Sid or make it unique"
                    ));
                }
                sids.push(sid.to_string());
            }
            doc.statements.push(Stmt::Known(Box::new(st)));
        }
    }
    merged.merge(doc);

    if let Some(overrides) = get("override_policy_documents") {
        for (i, o) in list_of(overrides, "override_policy_documents")?
            .into_iter()
            .enumerate()
        {
            match read_document(o, "override_policy_documents", i)? {
                None => {}
                Some(Err(r)) => merged.merge_unknown(&r),
                Some(Ok(doc)) => merged.merge(doc),
            }
        }
    }

    let json = merged.to_json();
    let pretty = write(&json, Some(0));
    let minified = write(&json, None);
    let mut out = attrs.clone();
    let id = if json.has_unknown() {
        V::Unknown(format!("{reference}.id"))
    } else {
        V::Str(crc32(pretty.as_bytes()).to_string())
    };
    out.insert("json".into(), V::Str(pretty));
    out.insert("minified_json".into(), V::Str(minified));
    out.insert("id".into(), id);
    Ok(V::Map(out))
}

/// The elements of a list argument or block; an unknown list is one unknown element.
fn list_of<'v>(v: &'v V, what: &str) -> Result<Vec<&'v V>, String> {
    match v {
        V::List(items) => Ok(items.iter().collect()),
        V::Unknown(_) => Ok(vec![v]),
        other => Err(format!(
            "{what} must be a list, not a {}; fix the argument",
            other.type_name()
        )),
    }
}

/// A string argument (numbers and bools converted as Terraform converts them).
fn scalar(v: &V, what: &str) -> Result<J, String> {
    match v {
        V::Unknown(r) => Ok(J::Unknown(r.clone())),
        v => v
            .to_str()
            .map(J::Str)
            .ok_or_else(|| format!("{what} must be a string, not a {}", v.type_name())),
    }
}

/// `&{aws:username}` is how a configuration writes the policy variable `${aws:username}`
/// (Terraform would interpolate `${…}`); version 2008-10-17 has no policy variables.
fn policy_variables(s: String, old_version: bool, what: &str) -> Result<String, String> {
    if !s.contains("&{") {
        return Ok(s);
    }
    if old_version {
        return Err(format!(
            "{what}: found &{{ sequence in ({s}), which is not supported in document version \
             2008-10-17; use version 2012-10-17"
        ));
    }
    Ok(s.replace("&{", "${"))
}

/// A set of strings as the provider writes it: one element as a string, more sorted in
/// reverse order (elements known only after apply last); `None` when empty.
fn string_set(v: &V, vars: Option<bool>, what: &str) -> Result<Option<J>, String> {
    let items = match v {
        V::Unknown(r) => return Ok(Some(J::Unknown(r.clone()))),
        V::List(items) => items,
        other => {
            return Err(format!(
                "{what} must be a set of strings, not a {}; write it as a list",
                other.type_name()
            ))
        }
    };
    let mut known: Vec<String> = Vec::new();
    let mut unknown: Vec<J> = Vec::new();
    for item in items {
        match item {
            V::Unknown(r) => unknown.push(J::Unknown(r.clone())),
            V::Null => return Err(format!("{what} must not hold null")),
            item => {
                let s = item.to_str().ok_or_else(|| {
                    format!("{what} must hold strings, not a {}", item.type_name())
                })?;
                let s = match vars {
                    Some(old) => policy_variables(s, old, what)?,
                    None => s,
                };
                if !known.contains(&s) {
                    known.push(s);
                }
            }
        }
    }
    Ok(decode_strings(known, unknown))
}

/// The provider's `policyDecodeConfigStrings`.
fn decode_strings(mut known: Vec<String>, unknown: Vec<J>) -> Option<J> {
    match (known.len(), unknown.len()) {
        (0, 0) => None,
        (1, 0) => Some(J::Str(known.remove(0))),
        (0, 1) => unknown.into_iter().next(),
        _ => {
            known.sort();
            known.reverse();
            let mut items: Vec<J> = known.into_iter().map(J::Str).collect();
            items.extend(unknown);
            Some(J::Arr(items))
        }
    }
}

fn config_statement(s: &V, i: usize, old_version: bool) -> Result<Statement, String> {
    let attrs = match s {
        V::Map(m) => m,
        other => {
            return Err(format!(
                "statement {i} must be a block, not a {}",
                other.type_name()
            ))
        }
    };
    let get = |name: &str| attrs.get(name).filter(|v| !matches!(v, V::Null));
    let what = |field: &str| format!("statement {i}: {field}");
    let sid = match get("sid") {
        None => J::Str(String::new()),
        Some(v) => match scalar(v, &what("sid"))? {
            J::Str(s) if !s.chars().all(|c| c.is_ascii_alphanumeric()) => {
                return Err(format!(
                    "statement {i}: sid \"{s}\" must only include alphanumeric characters; \
                     remove the other characters"
                ))
            }
            sid => sid,
        },
    };
    let effect = match get("effect") {
        None => J::Str("Allow".into()),
        Some(v) => match scalar(v, &what("effect"))? {
            J::Str(e) if e != "Allow" && e != "Deny" => {
                return Err(format!(
                    "statement {i}: effect must be \"Allow\" or \"Deny\", not \"{e}\""
                ))
            }
            e => e,
        },
    };
    let set = |name: &str, vars: bool| -> Result<Option<J>, String> {
        match get(name) {
            None => Ok(None),
            Some(v) => string_set(v, vars.then_some(old_version), &what(name)),
        }
    };
    let principals = |name: &str| -> Result<Option<J>, String> {
        match get(name) {
            None => Ok(None),
            Some(v) => config_principals(v, old_version, &what(name)),
        }
    };
    Ok(Statement {
        sid: Some(sid),
        effect: Some(effect),
        action: set("actions", false)?,
        not_action: set("not_actions", false)?,
        resource: set("resources", true)?,
        not_resource: set("not_resources", true)?,
        principal: principals("principals")?,
        not_principal: principals("not_principals")?,
        condition: match get("condition") {
            None => None,
            Some(v) => config_conditions(v, old_version, &what("condition"))?,
        },
    })
}

/// `principals` blocks as the provider's `MarshalJSON` of a principal set writes them.
fn config_principals(v: &V, old_version: bool, what: &str) -> Result<Option<J>, String> {
    let mut blocks: Vec<(J, Option<J>)> = Vec::new();
    for b in list_of(v, what)? {
        let (ty, ids) = match b {
            V::Unknown(r) => return Ok(Some(J::Unknown(r.clone()))),
            V::Map(m) => (
                m.get("type").unwrap_or(&V::Null),
                m.get("identifiers").unwrap_or(&V::Null),
            ),
            other => {
                return Err(format!(
                    "{what} must be blocks, not a {}",
                    other.type_name()
                ))
            }
        };
        let ty = match ty {
            V::Null => return Err(format!("{what}: type is required")),
            t => scalar(t, &format!("{what} type"))?,
        };
        let ids = match ids {
            V::Null => return Err(format!("{what}: identifiers is required")),
            ids => string_set(ids, Some(old_version), &format!("{what} identifiers"))?,
        };
        // A set of blocks: the same block twice is one.
        if !blocks.contains(&(ty.clone(), ids.clone())) {
            blocks.push((ty, ids));
        }
    }
    if blocks.is_empty() {
        return Ok(None);
    }
    let blocks: Vec<(J, J)> = blocks
        .into_iter()
        .map(|(t, ids)| (t, ids.unwrap_or(J::Arr(Vec::new()))))
        .collect();
    Ok(Some(marshal_principals(blocks)))
}

/// The provider's principal set `MarshalJSON`: one `*`/`*` principal is `"*"`; otherwise the
/// identifiers of each type, a type given once as a string staying a string.
fn marshal_principals(blocks: Vec<(J, J)>) -> J {
    if let [(J::Str(t), ids)] = blocks.as_slice() {
        let star = match ids {
            J::Str(s) => s == "*",
            J::Arr(items) => items.len() == 1 && items[0] == J::Str("*".into()),
            _ => false,
        };
        if t == "*" && star {
            return J::Str("*".into());
        }
    }
    let mut raw: BTreeMap<String, J> = BTreeMap::new();
    for (ty, ids) in blocks {
        let ty = match ty {
            J::Str(t) => t,
            J::Unknown(r) => return J::Unknown(r),
            _ => continue,
        };
        let entry = raw.remove(&ty);
        let merged = match (entry, ids) {
            (Some(J::Unknown(r)), _) | (_, J::Unknown(r)) => J::Unknown(r),
            (None, J::Arr(items)) => J::Arr(reverse_sorted(items)),
            (Some(J::Str(s)), J::Arr(items)) => {
                let mut all = vec![J::Str(s)];
                all.extend(reverse_sorted(items));
                J::Arr(all)
            }
            (Some(J::Arr(mut all)), J::Arr(items)) => {
                all.extend(reverse_sorted(items));
                J::Arr(all)
            }
            (None, s) => s,
            (Some(J::Str(a)), s) => J::Arr(vec![J::Str(a), s]),
            (Some(J::Arr(mut all)), s) => {
                all.push(s);
                J::Arr(all)
            }
            (Some(other), _) => other,
        };
        raw.insert(ty, merged);
    }
    J::Obj(raw.into_iter().collect())
}

/// Known strings sorted in reverse order, what is unknown after them.
fn reverse_sorted(items: Vec<J>) -> Vec<J> {
    let (mut known, unknown): (Vec<J>, Vec<J>) =
        items.into_iter().partition(|i| matches!(i, J::Str(_)));
    known.sort_by(|a, b| match (a, b) {
        (J::Str(a), J::Str(b)) => b.cmp(a),
        _ => std::cmp::Ordering::Equal,
    });
    known.extend(unknown);
    known
}

/// One condition: test, variable, and its values (a string when there is one).
type Condition = (J, J, J);

fn config_conditions(v: &V, old_version: bool, what: &str) -> Result<Option<J>, String> {
    let mut conds: Vec<Condition> = Vec::new();
    for b in list_of(v, what)? {
        let m = match b {
            V::Unknown(r) => return Ok(Some(J::Unknown(r.clone()))),
            V::Map(m) => m,
            other => {
                return Err(format!(
                    "{what} must be blocks, not a {}",
                    other.type_name()
                ))
            }
        };
        let field = |name: &str| match m.get(name) {
            None | Some(V::Null) => Err(format!("{what}: {name} is required")),
            Some(v) => scalar(v, &format!("{what} {name}")),
        };
        let (test, variable) = (field("test")?, field("variable")?);
        let values = match m.get("values") {
            None | Some(V::Null) => return Err(format!("{what}: values is required")),
            Some(V::Unknown(r)) => J::Unknown(r.clone()),
            Some(V::List(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(match item {
                        V::Unknown(r) => J::Unknown(r.clone()),
                        item => J::Str(policy_variables(
                            item.to_str().ok_or_else(|| {
                                format!(
                                    "{what}: values must be strings, not a {}",
                                    item.type_name()
                                )
                            })?,
                            old_version,
                            what,
                        )?),
                    });
                }
                if out.len() == 1 {
                    out.remove(0)
                } else {
                    J::Arr(out)
                }
            }
            Some(other) => {
                return Err(format!(
                    "{what}: values must be a list, not a {}",
                    other.type_name()
                ))
            }
        };
        let c = (test, variable, values);
        if !conds.contains(&c) {
            conds.push(c);
        }
    }
    Ok(marshal_conditions(conds))
}

/// The provider's condition set `MarshalJSON`: values grouped by test and variable, one value
/// written as a string.
fn marshal_conditions(conds: Vec<Condition>) -> Option<J> {
    if conds.is_empty() {
        return None;
    }
    let mut raw: BTreeMap<String, BTreeMap<String, J>> = BTreeMap::new();
    for (test, variable, values) in conds {
        let (test, variable) = match (test, variable) {
            (J::Str(t), J::Str(v)) => (t, v),
            (J::Unknown(r), _) | (_, J::Unknown(r)) => return Some(J::Unknown(r)),
            _ => continue,
        };
        let slot = raw
            .entry(test)
            .or_default()
            .entry(variable)
            .or_insert_with(|| J::Arr(Vec::new()));
        match (slot, values) {
            (J::Arr(items), J::Arr(values)) => items.extend(values),
            (slot @ J::Arr(_), J::Unknown(r)) => *slot = J::Unknown(r),
            (J::Arr(items), value) => items.push(value),
            _ => {}
        }
    }
    let obj = raw
        .into_iter()
        .map(|(test, vars)| {
            let vars = vars
                .into_iter()
                .map(|(var, values)| match values {
                    J::Arr(mut items) if items.len() == 1 => (var, items.remove(0)),
                    values => (var, values),
                })
                .collect();
            (test, J::Obj(vars))
        })
        .collect();
    Some(J::Obj(obj))
}

/// A JSON policy of `source_policy_documents` or `override_policy_documents`, read as the
/// provider reads it: `None` for a null element, `Err(reference)` when it is unknown.
#[allow(clippy::type_complexity)]
fn read_document(v: &V, what: &str, i: usize) -> Result<Option<Result<Doc, String>>, String> {
    let text = match v {
        V::Null => return Ok(None),
        V::Unknown(r) => return Ok(Some(Err(r.clone()))),
        V::Str(s) => s,
        other => {
            return Err(format!(
                "{what}[{i}] must be a JSON string, not a {}",
                other.type_name()
            ))
        }
    };
    let fail = |e: String| format!("{what}[{i}]: {e}; fix the document");
    let parsed: serde_json::Value =
        serde_json::from_str(text).map_err(|e| fail(format!("it is not valid JSON ({e})")))?;
    if let Some(r) = unknown_marker(&parsed) {
        return Ok(Some(Err(r)));
    }
    let serde_json::Value::Object(top) = &parsed else {
        return Err(fail("it is not a JSON object".into()));
    };
    let mut doc = Doc::default();
    for (key, value) in top {
        let value = J::from_json(value);
        match key.to_ascii_lowercase().as_str() {
            "version" => doc.version = Some(json_string(value, "Version").map_err(fail)?),
            "id" => doc.id = Some(json_string(value, "Id").map_err(fail)?),
            "statement" => match value {
                J::Null => {}
                J::Unknown(r) => return Ok(Some(Err(r))),
                J::Arr(items) => {
                    for (n, s) in items.into_iter().enumerate() {
                        doc.statements.push(match s {
                            J::Unknown(r) => Stmt::Unknown(r),
                            J::Obj(fields) => Stmt::Known(Box::new(
                                json_statement(fields)
                                    .map_err(|e| fail(format!("statement {n}: {e}")))?,
                            )),
                            _ => return Err(fail(format!("statement {n} is not an object"))),
                        });
                    }
                }
                _ => {
                    return Err(fail(
                        "Statement must be a list of statements (the provider reads no single \
                         statement object there)"
                            .into(),
                    ))
                }
            },
            _ => {}
        }
    }
    Ok(Some(Ok(doc)))
}

fn json_string(v: J, field: &str) -> Result<J, String> {
    match v {
        J::Str(_) | J::Unknown(_) => Ok(v),
        J::Null => Ok(J::Str(String::new())),
        _ => Err(format!("{field} must be a string")),
    }
}

/// A statement of a JSON document, its fields matched without regard to case as Go's JSON
/// decoder matches them.
fn json_statement(fields: Vec<(String, J)>) -> Result<Statement, String> {
    let mut st = Statement::default();
    for (key, value) in fields {
        let keep = |v: J| (v != J::Null).then_some(v);
        match key.to_ascii_lowercase().as_str() {
            "sid" => st.sid = Some(json_string(value, "Sid")?),
            "effect" => st.effect = Some(json_string(value, "Effect")?),
            "action" => st.action = keep(value),
            "notaction" => st.not_action = keep(value),
            "resource" => st.resource = keep(value),
            "notresource" => st.not_resource = keep(value),
            "principal" => st.principal = json_principals(value)?,
            "notprincipal" => st.not_principal = json_principals(value)?,
            "condition" => st.condition = json_conditions(value)?,
            _ => {}
        }
    }
    Ok(st)
}

/// A principal of a JSON document: read as the provider's `UnmarshalJSON` reads it (any
/// string is everyone; lists sorted), written as its `MarshalJSON` writes it.
fn json_principals(v: J) -> Result<Option<J>, String> {
    let blocks: Vec<(J, J)> = match v {
        J::Unknown(r) => return Ok(Some(J::Unknown(r))),
        J::Str(_) => vec![(J::Str("*".into()), J::Arr(vec![J::Str("*".into())]))],
        J::Obj(entries) => {
            let mut out = Vec::new();
            for (ty, value) in entries {
                let ids = match value {
                    J::Str(_) | J::Unknown(_) => value,
                    J::Arr(items) => {
                        if items
                            .iter()
                            .any(|i| !matches!(i, J::Str(_) | J::Unknown(_)))
                        {
                            return Err(format!(
                                "the identifiers of principal type {ty:?} must be strings"
                            ));
                        }
                        J::Arr(items)
                    }
                    _ => return Err(format!("principal type {ty:?} must be a string or a list")),
                };
                out.push((J::Str(ty), ids));
            }
            out
        }
        _ => return Err("Principal must be \"*\" or an object".into()),
    };
    if blocks.is_empty() {
        return Ok(None);
    }
    Ok(Some(marshal_principals(blocks)))
}

/// A condition of a JSON document, read as the provider's `UnmarshalJSON` reads it (strings,
/// booleans as strings, lists of strings; other values are dropped).
fn json_conditions(v: J) -> Result<Option<J>, String> {
    let tests = match v {
        J::Null => return Ok(None),
        J::Unknown(r) => return Ok(Some(J::Unknown(r))),
        J::Obj(tests) => tests,
        _ => return Err("Condition must be an object".into()),
    };
    let mut conds: Vec<Condition> = Vec::new();
    let mut unknown_tests: Vec<(String, J)> = Vec::new();
    for (test, vars) in tests {
        let vars = match vars {
            J::Unknown(r) => {
                unknown_tests.push((test, J::Unknown(r)));
                continue;
            }
            J::Obj(vars) => vars,
            J::Null => continue,
            _ => return Err(format!("condition {test:?} must be an object")),
        };
        for (var, values) in vars {
            let values = match values {
                J::Str(_) | J::Unknown(_) => J::Arr(vec![values]),
                J::Bool(b) => J::Str(b.to_string()),
                J::Arr(items) => {
                    if items
                        .iter()
                        .any(|i| !matches!(i, J::Str(_) | J::Unknown(_)))
                    {
                        return Err(format!(
                            "the values of condition {test:?} {var:?} must be strings"
                        ));
                    }
                    J::Arr(items)
                }
                _ => continue,
            };
            conds.push((J::Str(test.clone()), J::Str(var), values));
        }
    }
    let mut out = match marshal_conditions(conds) {
        Some(J::Obj(entries)) => entries,
        _ => Vec::new(),
    };
    out.extend(unknown_tests);
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok((!out.is_empty()).then_some(J::Obj(out)))
}

/// JSON text as Go's encoder writes it: indented by two spaces per level (`indent` is the
/// current level) or, with `None`, without any space.
fn write(v: &J, indent: Option<usize>) -> String {
    let mut out = String::new();
    write_into(v, indent, &mut out);
    out
}

fn write_into(v: &J, indent: Option<usize>, out: &mut String) {
    let newline = |out: &mut String, level: usize| {
        out.push('\n');
        for _ in 0..level {
            out.push_str("  ");
        }
    };
    match v {
        J::Null => out.push_str("null"),
        J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        J::Num(n) => out.push_str(n),
        J::Str(s) => write_string(s, out),
        J::Unknown(r) => write_into(
            &J::Obj(vec![("$unknown".into(), J::Str(r.clone()))]),
            indent,
            out,
        ),
        J::Arr(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if let Some(level) = indent {
                    newline(out, level + 1);
                }
                write_into(item, indent.map(|l| l + 1), out);
            }
            if let Some(level) = indent {
                newline(out, level);
            }
            out.push(']');
        }
        J::Obj(entries) => {
            if entries.is_empty() {
                out.push_str("{}");
                return;
            }
            out.push('{');
            for (i, (k, item)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if let Some(level) = indent {
                    newline(out, level + 1);
                }
                write_string(k, out);
                out.push(':');
                if indent.is_some() {
                    out.push(' ');
                }
                write_into(item, indent.map(|l| l + 1), out);
            }
            if let Some(level) = indent {
                newline(out, level);
            }
            out.push('}');
        }
    }
}

/// A JSON string as Go's encoder escapes it (HTML characters and the line and paragraph
/// separators as `\u` escapes).
fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// CRC-32 (IEEE), which the provider's `StringHashcode` makes the data source's id from.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_is_the_ieee_checksum() {
        // The standard check value of CRC-32/IEEE.
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn strings_are_escaped_as_go_escapes_them() {
        let mut out = String::new();
        write_string("a<b>&c\"\\\n\u{8}\u{1}\u{2028}é", &mut out);
        assert_eq!(out, r#""a\u003cb\u003e\u0026c\"\\\n\b\u0001\u2028é""#);
    }
}
