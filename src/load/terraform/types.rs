//! Type constraints of `variable` blocks (`type = list(object({ … }))`) and the conversion
//! Terraform applies to a variable's value: elements and attributes converted to their
//! declared types, `optional` attribute defaults filled in, undeclared attributes dropped,
//! sets sorted and deduplicated.

use super::config::Ex;
use super::eval::{Env, Evaluator};
use super::funcs::Member;
use super::value::{fmt_num, V};
use hcl_edit::expr::{Expression, ObjectKey};
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashSet};

/// A Terraform type constraint.
#[derive(Debug, Clone, PartialEq)]
pub enum TypeConstraint {
    Any,
    String,
    Number,
    Bool,
    List(Box<TypeConstraint>),
    Set(Box<TypeConstraint>),
    Map(Box<TypeConstraint>),
    Tuple(Vec<TypeConstraint>),
    Object(BTreeMap<String, ObjectAttr>),
}

/// One attribute of an `object({ … })` type.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectAttr {
    pub ty: TypeConstraint,
    /// Declared `optional(T)` or `optional(T, default)`.
    pub optional: bool,
    /// The `optional` default, as written (converted to `ty` when applied).
    pub default: Option<V>,
}

impl ObjectAttr {
    fn required(ty: TypeConstraint) -> Self {
        ObjectAttr {
            ty,
            optional: false,
            default: None,
        }
    }
}

impl TypeConstraint {
    /// Whether the type is `string`, `number` or `bool`.
    pub fn is_primitive(&self) -> bool {
        matches!(
            self,
            TypeConstraint::String | TypeConstraint::Number | TypeConstraint::Bool
        )
    }

    /// The constraint of a `type` argument, in either syntax (a `.tf.json` file writes it as
    /// a string: `"list(string)"`). `None` when it is not a valid type expression.
    pub fn from_ex(ex: &Ex, env: &dyn Env) -> Option<Self> {
        match ex {
            Ex::Hcl(e) => Self::parse(e, env),
            Ex::Json(n) => {
                let text = n.as_str()?;
                let e = hcl_edit::parser::parse_expr(text).ok()?;
                Self::parse(&e, env)
            }
        }
    }

    /// Parses a type expression; `env` evaluates `optional` defaults (constants).
    pub fn parse(e: &Expression, env: &dyn Env) -> Option<Self> {
        Self::parse_in(e, env, false).map(|a| a.ty)
    }

    /// The type, with `optional(…)` (allowed only as an object attribute: `attr`) and its
    /// default.
    fn parse_in(e: &Expression, env: &dyn Env, attr: bool) -> Option<ObjectAttr> {
        use TypeConstraint as T;
        match e {
            Expression::Parenthesis(p) => Self::parse_in(p.inner(), env, attr),
            Expression::Variable(i) => {
                Some(ObjectAttr::required(Self::keyword(i.value().as_str())?))
            }
            // Legacy quoted types (`type = "string"`, `"list"`, `"map"`).
            Expression::String(s) => Some(ObjectAttr::required(Self::keyword(s.value())?)),
            Expression::FuncCall(f) => {
                if !f.name.namespace.is_empty() {
                    return None;
                }
                let args: Vec<&Expression> = f.args.iter().collect();
                let one = |args: &[&Expression]| -> Option<Self> {
                    match args {
                        [a] => Self::parse(a, env),
                        _ => None,
                    }
                };
                let t = match f.name.name.value().as_str() {
                    "list" => T::List(Box::new(one(&args)?)),
                    "set" => T::Set(Box::new(one(&args)?)),
                    "map" => T::Map(Box::new(one(&args)?)),
                    "tuple" => match args.as_slice() {
                        [Expression::Array(a)] => T::Tuple(
                            a.iter()
                                .map(|e| Self::parse(e, env))
                                .collect::<Option<_>>()?,
                        ),
                        _ => return None,
                    },
                    "object" => match args.as_slice() {
                        [Expression::Object(o)] => {
                            let mut attrs = BTreeMap::new();
                            for (k, v) in o.iter() {
                                let name = match k {
                                    ObjectKey::Ident(i) => i.value().as_str().to_string(),
                                    ObjectKey::Expression(Expression::String(s)) => {
                                        s.value().clone()
                                    }
                                    ObjectKey::Expression(Expression::Variable(i)) => {
                                        i.value().as_str().to_string()
                                    }
                                    _ => return None,
                                };
                                attrs.insert(name, Self::parse_in(v.expr(), env, true)?);
                            }
                            T::Object(attrs)
                        }
                        _ => return None,
                    },
                    "optional" if attr => {
                        return match args.as_slice() {
                            [t] => Some(ObjectAttr {
                                ty: Self::parse(t, env)?,
                                optional: true,
                                default: None,
                            }),
                            [t, d] => {
                                let ty = Self::parse(t, env)?;
                                // A constant; one that cannot be evaluated is unknown.
                                let default = Evaluator::new(env).eval(d).unwrap_or(V::unknown(""));
                                Some(ObjectAttr {
                                    ty,
                                    optional: true,
                                    default: Some(default),
                                })
                            }
                            _ => None,
                        };
                    }
                    _ => return None,
                };
                Some(ObjectAttr::required(t))
            }
            _ => None,
        }
    }

    fn keyword(k: &str) -> Option<Self> {
        Some(match k {
            "any" => TypeConstraint::Any,
            "string" => TypeConstraint::String,
            "number" => TypeConstraint::Number,
            "bool" => TypeConstraint::Bool,
            // Terraform 0.11 spellings, still accepted: a collection of `any`.
            "list" => TypeConstraint::List(Box::new(TypeConstraint::Any)),
            "map" => TypeConstraint::Map(Box::new(TypeConstraint::Any)),
            _ => return None,
        })
    }

    /// Converts `v` to this type as Terraform does for a variable's value. A value that
    /// cannot be converted (Terraform would reject it) is returned as it is.
    pub fn convert(&self, v: V) -> V {
        self.try_convert(&v).unwrap_or(v)
    }

    /// The converted value, or `None` when `v` does not conform.
    fn try_convert(&self, v: &V) -> Option<V> {
        use TypeConstraint as T;
        // Null conforms to every type; an unknown value stays unknown.
        if matches!(v, V::Null | V::Unknown(_)) {
            return Some(v.clone());
        }
        match (self, v) {
            (T::Any, _) => Some(v.clone()),
            (T::String, V::Str(_)) => Some(v.clone()),
            (T::String, V::Num(n)) => Some(V::Str(fmt_num(*n))),
            (T::String, V::Bool(b)) => Some(V::Str(b.to_string())),
            (T::Number, V::Num(_)) => Some(v.clone()),
            (T::Number, V::Str(s)) => s
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .map(V::Num),
            (T::Bool, V::Bool(_)) => Some(v.clone()),
            (T::Bool, V::Str(s)) => match s.as_str() {
                "true" | "1" => Some(V::Bool(true)),
                "false" | "0" => Some(V::Bool(false)),
                _ => None,
            },
            (T::List(el), V::List(items)) => items
                .iter()
                .map(|i| el.try_convert(i))
                .collect::<Option<_>>()
                .map(V::List),
            (T::Set(el), V::List(items)) => {
                let items: Vec<V> = items
                    .iter()
                    .map(|i| el.try_convert(i))
                    .collect::<Option<_>>()?;
                Some(V::List(set_order(items)))
            }
            (T::Map(el), V::Map(m)) => m
                .iter()
                .map(|(k, i)| Some((k.clone(), el.try_convert(i)?)))
                .collect::<Option<_>>()
                .map(V::Map),
            (T::Tuple(types), V::List(items)) if types.len() == items.len() => types
                .iter()
                .zip(items)
                .map(|(t, i)| t.try_convert(i))
                .collect::<Option<_>>()
                .map(V::List),
            (T::Object(attrs), V::Map(m)) => {
                let mut out = BTreeMap::new();
                for (name, a) in attrs {
                    let given = m.get(name).filter(|v| !matches!(v, V::Null));
                    let value = match (given, &a.default) {
                        (Some(v), _) => a.ty.try_convert(v)?,
                        (None, Some(d)) if a.optional => a.ty.try_convert(d)?,
                        (None, _) if a.optional || m.contains_key(name) => V::Null,
                        // A required attribute missing: Terraform rejects the value.
                        (None, _) => return None,
                    };
                    out.insert(name.clone(), value);
                }
                Some(V::Map(out))
            }
            _ => None,
        }
    }
}

/// The elements of a set in Terraform's order: deduplicated, and sorted when they are all
/// known strings, numbers or bools (other elements keep their order, unknown ones last).
fn set_order(items: Vec<V>) -> Vec<V> {
    let keep: Vec<bool> = {
        let mut seen: HashSet<Member> = HashSet::with_capacity(items.len());
        items
            .iter()
            .map(|i| i.is_unknown() || seen.insert(Member(i)))
            .collect()
    };
    let mut out: Vec<V> = items
        .into_iter()
        .zip(keep)
        .filter_map(|(i, k)| k.then_some(i))
        .collect();
    let rank = |v: &V| match v {
        V::Unknown(_) => 1,
        _ => 0,
    };
    let primitive = out
        .iter()
        .all(|v| matches!(v, V::Str(_) | V::Num(_) | V::Bool(_) | V::Unknown(_)));
    if primitive {
        out.sort_by(|a, b| {
            rank(a).cmp(&rank(b)).then_with(|| match (a, b) {
                (V::Str(x), V::Str(y)) => x.cmp(y),
                (V::Num(x), V::Num(y)) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
                (V::Bool(x), V::Bool(y)) => x.cmp(y),
                _ => Ordering::Equal,
            })
        });
    } else {
        out.sort_by_key(rank);
    }
    out
}
