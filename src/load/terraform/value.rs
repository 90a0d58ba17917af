//! Values of the Terraform language as the loader evaluates them, with one addition: a value
//! that cannot be known before apply (`Unknown`), which carries what it depends on.

use std::collections::BTreeMap;

/// A Terraform value. Lists, tuples and sets are `List`; maps and objects are `Map`.
#[derive(Debug, Clone, PartialEq)]
pub enum V {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    List(Vec<V>),
    Map(BTreeMap<String, V>),
    /// Known only after apply: the reference it depends on (`aws_s3_bucket.logs.id`), or `""`.
    Unknown(String),
}

impl V {
    pub fn unknown(reference: impl Into<String>) -> Self {
        V::Unknown(reference.into())
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, V::Unknown(_))
    }

    /// Whether the value or anything inside it is unknown.
    pub fn has_unknown(&self) -> bool {
        match self {
            V::Unknown(_) => true,
            V::List(items) => items.iter().any(V::has_unknown),
            V::Map(m) => m.values().any(V::has_unknown),
            _ => false,
        }
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            V::Null => "null",
            V::Bool(_) => "bool",
            V::Num(_) => "number",
            V::Str(_) => "string",
            V::List(_) => "list",
            V::Map(_) => "map",
            V::Unknown(_) => "unknown",
        }
    }

    /// The value as a string, converting numbers and bools as Terraform does.
    pub fn to_str(&self) -> Option<String> {
        match self {
            V::Str(s) => Some(s.clone()),
            V::Num(n) => Some(fmt_num(*n)),
            V::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// The value as a number, converting numeric strings as Terraform does.
    pub fn to_num(&self) -> Option<f64> {
        match self {
            V::Num(n) => Some(*n),
            V::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// The value as a bool, converting `"true"`/`"false"` as Terraform does.
    pub fn to_bool(&self) -> Option<bool> {
        match self {
            V::Bool(b) => Some(*b),
            V::Str(s) if s == "true" => Some(true),
            V::Str(s) if s == "false" => Some(false),
            _ => None,
        }
    }

    /// The value of JSON text; the unknown value of the input model (`{"$unknown": "…"}`,
    /// which `jsonencode` and partly known templates write) is unknown again.
    pub fn from_json(j: &serde_json::Value) -> V {
        use serde_json::Value as J;
        match j {
            J::Object(o) if o.len() == 1 && o.get("$unknown").is_some_and(J::is_string) => {
                V::Unknown(o["$unknown"].as_str().unwrap_or_default().to_string())
            }
            J::Null => V::Null,
            J::Bool(b) => V::Bool(*b),
            J::Number(n) => V::Num(n.as_f64().unwrap_or(0.0)),
            J::String(s) => V::Str(s.clone()),
            J::Array(a) => V::List(a.iter().map(V::from_json).collect()),
            J::Object(o) => V::Map(
                o.iter()
                    .map(|(k, v)| (k.clone(), V::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// JSON as `jsonencode` writes it; an unknown value becomes `{"$unknown": …}`.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            V::Null => J::Null,
            V::Bool(b) => J::Bool(*b),
            V::Num(n) => num_json(*n),
            V::Str(s) => J::String(s.clone()),
            V::List(items) => J::Array(items.iter().map(V::to_json).collect()),
            V::Map(m) => J::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()),
            V::Unknown(r) => {
                let mut o = serde_json::Map::new();
                o.insert("$unknown".into(), J::String(r.clone()));
                J::Object(o)
            }
        }
    }
}

pub fn num_json(n: f64) -> serde_json::Value {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        serde_json::Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n).map_or(serde_json::Value::Null, serde_json::Value::Number)
    }
}

/// A number as Terraform prints it: integers without a fraction.
pub fn fmt_num(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}
