//! Evaluation of HCL expressions (as `hcl-edit` parses them) the way Terraform would before
//! apply: what depends on resources, data sources or remote modules stays unknown.

use super::budget::{size, Budget, Exceeded, Limit};
use super::funcs::{self, FnErr};
use super::value::{fmt_num, V};
use crate::load::partial_json;
use hcl_edit::expr::{
    BinaryOperator, Expression, ForExpr, FuncCall, ObjectKey, TraversalOperator, UnaryOperator,
};
use hcl_edit::template::{Directive, Element, Strip, Template};
use hcl_edit::Span;
use std::collections::BTreeMap;

/// What a name at the root of a traversal refers to.
pub enum Res {
    /// A known (or partly known) value; `consumed` is 1 when the attribute after the root was
    /// used (`var.x`), 0 when only the root was (`each`).
    Val(V, usize),
    /// Something known only after apply (a resource, a data source): unknown, with the
    /// traversal as the reference.
    Unknown,
    /// A reference to something that is not declared: a notification, and unknown.
    Undeclared(String),
}

/// The names and side channels an expression is evaluated with: one module instance, and the
/// `count`/`each` of the resource being expanded.
pub trait Env {
    /// `root` (a `var`, `local`, `count`, resource type…) and the attribute that follows it.
    fn resolve(&self, root: &str, attr: Option<&str>) -> Res;
    /// `data.TYPE.NAME`: a data source computed in-process (`Res::Val` consumes both
    /// attributes), else unknown.
    fn resolve_data(&self, _ty: &str, _name: &str) -> Res {
        Res::Unknown
    }
    /// Functions that read files of the scan (`file`, `templatefile`…); `None` when `name` is
    /// not one of them. `at` is where the call is.
    fn call_io(
        &self,
        ev: &mut Evaluator,
        name: &str,
        args: &[V],
        at: At,
    ) -> Option<Result<V, String>>;
    /// A function plumbline does not implement was called (reported once per name).
    fn unknown_function(&self, name: &str, at: At);
    /// A reference to an undeclared name (`var.x` without a `variable "x"` block).
    fn undeclared(&self, message: &str, at: At);
    /// What the evaluation may still cost (shared by every evaluator of one root module).
    fn budget(&self) -> &Budget;
}

/// Where an expression is, for notifications: a byte offset in the file being evaluated, or a
/// position (the strings of `.tf.json` are parsed apart from their file).
#[derive(Debug, Clone, Copy)]
pub enum At {
    Byte(usize),
    Pos(crate::model::Pos),
    Unknown,
}

/// Evaluates expressions of one file (for byte positions in notifications), with the names
/// bound by `for` expressions, `dynamic` iterators and `templatefile` variables.
pub struct Evaluator<'e> {
    pub env: &'e dyn Env,
    pub bound: Vec<(String, V)>,
    /// Set for expressions that are not from the file's text (strings of `.tf.json`): every
    /// notification points at this byte instead.
    pub at: Option<crate::model::Pos>,
    /// The first limit of the [`Budget`] this evaluation reached, and where. Once set, every
    /// evaluation fails (not even `try` or `can` goes on), and whoever runs the evaluator
    /// reports it and takes the value as unknown.
    pub exceeded: Option<(Exceeded, At)>,
    budget: &'e Budget,
}

type R = Result<V, String>;

impl<'e> Evaluator<'e> {
    pub fn new(env: &'e dyn Env) -> Self {
        Self {
            env,
            bound: Vec::new(),
            at: None,
            exceeded: None,
            budget: env.budget(),
        }
    }

    /// Records that `limit` was reached at `span` by `what`, and fails the evaluation.
    fn exceed(&mut self, limit: Limit, span: Option<std::ops::Range<usize>>, what: &str) -> R {
        let at = self.pos(span);
        self.exceed_at(limit, at, what)
    }

    fn exceed_at(&mut self, limit: Limit, at: At, what: &str) -> R {
        if self.exceeded.is_none() {
            self.exceeded = Some((
                Exceeded {
                    limit,
                    what: what.to_string(),
                },
                at,
            ));
        }
        Err(format!(
            "{what} reached {}",
            limit.describe(&self.budget.limits)
        ))
    }

    /// A value a function, a `for`, a template or a reference produced or copied: within the
    /// limits of one value, and charged to the step budget.
    fn produced(&mut self, v: V, span: Option<std::ops::Range<usize>>, what: &str) -> R {
        let l = self.budget.limits;
        let (elements, bytes) = size(&v, l.max_value_elements, l.max_value_bytes);
        if elements > l.max_value_elements {
            return self.exceed(Limit::ValueElements, span, what);
        }
        if bytes > l.max_value_bytes {
            return self.exceed(Limit::ValueBytes, span, what);
        }
        if !self.budget.charge(elements as u64 + bytes as u64 / 64) {
            return self.exceed(Limit::Steps, span, what);
        }
        Ok(v)
    }

    /// Charges `steps` for work done outside expressions (reading a file `at`).
    pub fn charge(&mut self, steps: u64, at: At, what: &str) -> Result<(), String> {
        if self.budget.charge(steps) {
            Ok(())
        } else {
            self.exceed_at(Limit::Steps, at, what).map(|_| ())
        }
    }

    /// Carries a limit an inner evaluator (a template file's) reached over to this one.
    pub fn adopt_exceeded(&mut self, inner: Option<(Exceeded, At)>) {
        if self.exceeded.is_none() {
            self.exceeded = inner;
        }
    }

    fn pos(&self, span: Option<std::ops::Range<usize>>) -> At {
        match (self.at, span) {
            (Some(p), _) => At::Pos(p),
            (None, Some(s)) => At::Byte(s.start),
            (None, None) => At::Unknown,
        }
    }

    fn lookup_bound(&self, name: &str) -> Option<&V> {
        self.bound
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }

    pub fn eval(&mut self, e: &Expression) -> R {
        if let Some((ex, _)) = &self.exceeded {
            return Err(format!(
                "{} reached {}",
                ex.what,
                ex.limit.describe(&self.budget.limits)
            ));
        }
        if !self.budget.enter() {
            return self.exceed(Limit::Depth, e.span(), "this expression");
        }
        let out = if self.budget.charge(1) {
            self.eval_inner(e)
        } else {
            self.exceed(Limit::Steps, e.span(), "this expression")
        };
        self.budget.leave();
        out
    }

    fn eval_inner(&mut self, e: &Expression) -> R {
        match e {
            Expression::Null(_) => Ok(V::Null),
            Expression::Bool(b) => Ok(V::Bool(*b.value())),
            Expression::Number(n) => Ok(V::Num(n.value().as_f64().unwrap_or(0.0))),
            Expression::String(s) => Ok(V::Str(s.value().clone())),
            Expression::Array(a) => {
                let mut out = Vec::with_capacity(a.len());
                for item in a.iter() {
                    out.push(self.eval(item)?);
                }
                Ok(V::List(out))
            }
            Expression::Object(o) => {
                let mut out = BTreeMap::new();
                for (k, v) in o.iter() {
                    let key = match k {
                        ObjectKey::Ident(i) => V::Str(i.value().as_str().to_string()),
                        ObjectKey::Expression(Expression::Variable(i)) => {
                            V::Str(i.value().as_str().to_string())
                        }
                        ObjectKey::Expression(e) => self.eval(e)?,
                    };
                    let value = self.eval(v.expr())?;
                    match key {
                        V::Unknown(r) => return Ok(V::Unknown(r)),
                        k => {
                            let k = k.to_str().ok_or_else(|| {
                                format!("an object key must be a string, not {}", k.type_name())
                            })?;
                            out.insert(k, value);
                        }
                    }
                }
                Ok(V::Map(out))
            }
            Expression::StringTemplate(t) => self.template(t, true),
            Expression::HeredocTemplate(h) => {
                if h.indent().is_some() {
                    let mut h = (**h).clone();
                    h.dedent();
                    self.template(&h.template, false)
                } else {
                    self.template(&h.template, false)
                }
            }
            Expression::Parenthesis(p) => self.eval(p.inner()),
            Expression::Variable(name) => self.traversal(e, name.value().as_str(), &[]),
            Expression::Conditional(c) => match self.eval(&c.cond_expr)? {
                V::Unknown(r) => Ok(V::Unknown(r)),
                cond => match cond.to_bool() {
                    Some(true) => self.eval(&c.true_expr),
                    Some(false) => self.eval(&c.false_expr),
                    None => Err(format!(
                        "a condition must be a bool, not {}",
                        cond.type_name()
                    )),
                },
            },
            Expression::FuncCall(f) => self.call(f),
            Expression::Traversal(t) => match &t.expr {
                Expression::Variable(name) => {
                    let ops: Vec<&TraversalOperator> =
                        t.operators.iter().map(|o| o.value()).collect();
                    self.traversal(e, name.value().as_str(), &ops)
                }
                other => {
                    let base = self.eval(other)?;
                    let ops: Vec<&TraversalOperator> =
                        t.operators.iter().map(|o| o.value()).collect();
                    self.apply_ops(base, &ops)
                }
            },
            Expression::UnaryOp(u) => {
                let v = self.eval(&u.expr)?;
                if let V::Unknown(r) = v {
                    return Ok(V::Unknown(r));
                }
                match u.operator.value() {
                    UnaryOperator::Neg => v
                        .to_num()
                        .map(|n| V::Num(-n))
                        .ok_or_else(|| format!("cannot negate a {}", v.type_name())),
                    UnaryOperator::Not => v
                        .to_bool()
                        .map(|b| V::Bool(!b))
                        .ok_or_else(|| format!("cannot apply ! to a {}", v.type_name())),
                }
            }
            Expression::BinaryOp(b) => {
                let l = self.eval(&b.lhs_expr)?;
                let r = self.eval(&b.rhs_expr)?;
                binary(*b.operator.value(), l, r)
            }
            Expression::ForExpr(f) => self.for_expr(f),
        }
    }

    /// A quoted template (a string of a `.tf.json` file).
    pub fn eval_template(&mut self, t: &Template) -> R {
        self.template(t, true)
    }

    /// A template: a single interpolation keeps its value's type (`"${var.tags}"`).
    fn template(&mut self, t: &Template, quoted: bool) -> R {
        if quoted {
            if let Some(Element::Interpolation(i)) = t.as_single_element() {
                return self.eval(&i.expr);
            }
        }
        let mut out = String::new();
        let mut holes = Vec::new();
        if let Some(r) = self.template_into(t, &mut out, &mut holes)? {
            return Ok(V::Unknown(r));
        }
        if holes.is_empty() {
            return self.produced(V::Str(out), t.span(), "this template");
        }
        // Interpolations known only after apply: a JSON document keeps its known parts (see
        // `load::partial_json`); any other text is unknown as a whole.
        match partial_json::fill(&out, &holes) {
            Some(json) => self.produced(V::Str(json), t.span(), "this template"),
            None => Ok(V::Unknown(holes.swap_remove(0))),
        }
    }

    /// Fails once a template's text is over the limit of one value (checked as it grows, so
    /// that a template repeating a long string in a loop stops early).
    fn template_grew(&mut self, out: &str, span: Option<std::ops::Range<usize>>) -> R {
        if out.len() > self.budget.limits.max_value_bytes {
            return self.exceed(Limit::ValueBytes, span, "this template");
        }
        Ok(V::Null)
    }

    /// Appends the template's text to `out`. An interpolation known only after apply leaves a
    /// marker in the text ([`partial_json::hole`]) and its reference in `holes`; a directive
    /// that depends on one makes the whole text unknown (its reference is returned).
    fn template_into(
        &mut self,
        t: &Template,
        out: &mut String,
        holes: &mut Vec<String>,
    ) -> Result<Option<String>, String> {
        let mut strip_next = false;
        for el in t.iter() {
            match el {
                Element::Literal(s) => {
                    if strip_next {
                        out.push_str(s.value().trim_start());
                    } else {
                        out.push_str(s.value());
                    }
                    strip_next = false;
                    self.template_grew(out, el.span())?;
                }
                Element::Interpolation(i) => {
                    if matches!(i.strip, Strip::Start | Strip::Both) {
                        out.truncate(out.trim_end().len());
                    }
                    strip_next = matches!(i.strip, Strip::End | Strip::Both);
                    match self.eval(&i.expr)? {
                        V::Unknown(r) => {
                            out.push_str(&partial_json::hole(holes.len()));
                            holes.push(r);
                        }
                        V::Null => return Err("a template cannot interpolate null".into()),
                        v => out.push_str(&v.to_str().ok_or_else(|| {
                            format!("a template cannot interpolate a {}", v.type_name())
                        })?),
                    }
                    self.template_grew(out, i.expr.span())?;
                }
                Element::Directive(d) => {
                    strip_next = false;
                    match &**d {
                        Directive::If(d) => match self.eval(&d.if_expr.cond_expr)? {
                            V::Unknown(r) => return Ok(Some(r)),
                            c => {
                                let branch = match c.to_bool() {
                                    Some(true) => Some(&d.if_expr.template),
                                    Some(false) => d.else_expr.as_ref().map(|e| &e.template),
                                    None => return Err("an if directive needs a bool".into()),
                                };
                                if let Some(t) = branch {
                                    if let Some(r) = self.template_into(t, out, holes)? {
                                        return Ok(Some(r));
                                    }
                                }
                            }
                        },
                        Directive::For(d) => {
                            let f = &d.for_expr;
                            let coll = self.eval(&f.collection_expr)?;
                            let pairs = match iter_pairs(coll)? {
                                Ok(p) => p,
                                Err(r) => return Ok(Some(r)),
                            };
                            for (k, v) in pairs {
                                let n = self.bound.len();
                                if let Some(kv) = &f.key_var {
                                    self.bound.push((kv.value().as_str().to_string(), k));
                                }
                                self.bound
                                    .push((f.value_var.value().as_str().to_string(), v));
                                let r = self.template_into(&f.template, out, holes);
                                self.bound.truncate(n);
                                if let Some(r) = r? {
                                    return Ok(Some(r));
                                }
                            }
                        }
                    }
                }
            }
        }
        Ok(None)
    }

    /// `root` followed by `ops`: a bound name, or what the environment says `root` is.
    fn traversal(&mut self, whole: &Expression, root: &str, ops: &[&TraversalOperator]) -> R {
        if let Some(v) = self.lookup_bound(root) {
            let v = v.clone();
            let v = self.copied(v, whole)?;
            return self.apply_ops(v, ops);
        }
        let attr = match ops.first() {
            Some(TraversalOperator::GetAttr(a)) => Some(a.value().as_str()),
            _ => None,
        };
        let resolved = match (root, ops.first(), ops.get(1)) {
            (
                "data",
                Some(TraversalOperator::GetAttr(ty)),
                Some(TraversalOperator::GetAttr(name)),
            ) => self
                .env
                .resolve_data(ty.value().as_str(), name.value().as_str()),
            _ => self.env.resolve(root, attr),
        };
        if self.exceeded.is_none() && self.budget.spent() {
            // The budget ran out while evaluating what the name refers to (a local, a
            // module's outputs): this expression stops too.
            return self.exceed(Limit::Steps, whole.span(), "this reference");
        }
        match resolved {
            Res::Val(v, consumed) => {
                let v = self.copied(v, whole)?;
                self.apply_ops(v, &ops[consumed.min(ops.len())..])
            }
            Res::Unknown => Ok(V::Unknown(self.reference(root, ops))),
            Res::Undeclared(msg) => {
                self.env.undeclared(&msg, self.pos(whole.span()));
                Ok(V::Unknown(self.reference(root, ops)))
            }
        }
    }

    /// A value copied from a name (a variable, a local, a `for` variable): the copy is charged
    /// to the step budget, so that a large value used many times costs what it weighs.
    fn copied(&mut self, v: V, whole: &Expression) -> R {
        let large = matches!(v, V::List(_) | V::Map(_)) || matches!(&v, V::Str(s) if s.len() > 64);
        if large && !self.budget.charge(Budget::cost(&v)) {
            return self.exceed(Limit::Steps, whole.span(), "this reference");
        }
        Ok(v)
    }

    /// The text of a reference, for unknown values: `aws_s3_bucket.logs[0].id`.
    fn reference(&mut self, root: &str, ops: &[&TraversalOperator]) -> String {
        let mut s = root.to_string();
        for op in ops {
            match op {
                TraversalOperator::GetAttr(a) => {
                    s.push('.');
                    s.push_str(a.value().as_str());
                }
                TraversalOperator::LegacyIndex(i) => s.push_str(&format!("[{}]", i.value())),
                TraversalOperator::Index(e) => match self.eval(e) {
                    Ok(V::Num(n)) => s.push_str(&format!("[{}]", fmt_num(n))),
                    Ok(V::Str(k)) => s.push_str(&format!("[{k:?}]")),
                    _ => s.push_str("[*]"),
                },
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                    s.push_str("[*]")
                }
            }
        }
        s
    }

    fn apply_ops(&mut self, mut v: V, ops: &[&TraversalOperator]) -> R {
        let mut i = 0;
        while i < ops.len() {
            if let V::Unknown(r) = v {
                return Ok(V::Unknown(r));
            }
            match ops[i] {
                TraversalOperator::GetAttr(a) => v = get_attr(v, a.value().as_str())?,
                TraversalOperator::LegacyIndex(n) => v = index(v, V::Num(*n.value() as f64))?,
                TraversalOperator::Index(e) => {
                    let k = self.eval(e)?;
                    v = index(v, k)?;
                }
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                    let full = matches!(ops[i], TraversalOperator::FullSplat(_));
                    // The operators the splat applies to each element.
                    let mut j = i + 1;
                    while j < ops.len()
                        && (full || matches!(ops[j], TraversalOperator::GetAttr(_)))
                        && !matches!(
                            ops[j],
                            TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_)
                        )
                    {
                        j += 1;
                    }
                    let items = match v {
                        V::Null => Vec::new(),
                        V::List(items) => items,
                        other => vec![other],
                    };
                    let mut out = Vec::with_capacity(items.len());
                    for item in items {
                        out.push(self.apply_ops(item, &ops[i + 1..j])?);
                    }
                    v = V::List(out);
                    i = j;
                    continue;
                }
            }
            i += 1;
        }
        Ok(v)
    }

    fn call(&mut self, f: &FuncCall) -> R {
        let name = if f.name.is_namespaced() {
            let mut n: Vec<&str> = f
                .name
                .namespace
                .iter()
                .map(|i| i.value().as_str())
                .collect();
            n.push(f.name.name.value().as_str());
            n.join("::")
        } else {
            f.name.name.value().as_str().to_string()
        };
        let at = self.pos(f.name.name.span());
        match name.as_str() {
            // A limit reached is not an error of the expression: neither `try` nor `can`
            // takes it for one.
            "try" => {
                for arg in f.args.iter() {
                    match self.eval(arg) {
                        Ok(v) => return Ok(v),
                        Err(e) if self.exceeded.is_some() => return Err(e),
                        Err(_) => continue,
                    }
                }
                return Err("no argument of try() could be evaluated".into());
            }
            "can" => {
                let arg = f.args.iter().next().ok_or("can() needs an argument")?;
                return Ok(match self.eval(arg) {
                    Ok(V::Unknown(r)) => V::Unknown(r),
                    Ok(_) => V::Bool(true),
                    Err(e) if self.exceeded.is_some() => return Err(e),
                    Err(_) => V::Bool(false),
                });
            }
            _ => {}
        }
        let mut args = Vec::with_capacity(f.args.len());
        for a in f.args.iter() {
            args.push(self.eval(a)?);
        }
        if f.args.expand_final() {
            match args.pop() {
                Some(V::List(items)) => args.extend(items),
                Some(V::Unknown(r)) => return Ok(V::Unknown(r)),
                _ => return Err(format!("the last argument of {name}(…) must be a list")),
            }
        }
        let what = format!("{name}()");
        if let Some(r) = self.env.call_io(self, &name, &args, at) {
            return match r {
                Ok(v) => self.produced(v, f.span(), &what),
                Err(e) => Err(e),
            };
        }
        if !funcs::is_known(&name) {
            self.env.unknown_function(&name, at);
            return Ok(V::unknown(""));
        }
        if let Some(V::Unknown(r)) = args.iter().find(|a| a.is_unknown()) {
            return Ok(V::Unknown(r.clone()));
        }
        match funcs::call(&name, &args, &self.budget.limits) {
            Ok(v) => self.produced(v, f.span(), &what),
            Err(FnErr::Limit(limit)) => self.exceed(limit, f.span(), &what),
            Err(FnErr::Invalid(e)) => match first_unknown(&args) {
                // An unknown part made the function fail (`join` over a list with an unknown
                // element): the result is unknown, not an error.
                Some(r) => Ok(V::Unknown(r)),
                None => Err(format!("{name}(): {e}")),
            },
        }
    }

    fn for_expr(&mut self, f: &ForExpr) -> R {
        let coll = self.eval(&f.intro.collection_expr)?;
        let pairs = match iter_pairs(coll)? {
            Ok(p) => p,
            Err(r) => return Ok(V::Unknown(r)),
        };
        let mut list = Vec::new();
        let mut map: BTreeMap<String, V> = BTreeMap::new();
        // The result's size as it grows: a `for` over a long collection that makes a large
        // element each time stops at the limit of one value, not after.
        let l = self.budget.limits;
        let mut grown = (0usize, 0usize);
        for (k, v) in pairs {
            let n = self.bound.len();
            if let Some(kv) = &f.intro.key_var {
                self.bound.push((kv.value().as_str().to_string(), k));
            }
            self.bound
                .push((f.intro.value_var.value().as_str().to_string(), v));
            let step = (|| -> Result<Option<V>, String> {
                if let Some(c) = &f.cond {
                    match self.eval(&c.expr)? {
                        V::Unknown(r) => return Ok(Some(V::Unknown(r))),
                        c => {
                            if !c.to_bool().ok_or("a for condition must be a bool")? {
                                return Ok(None);
                            }
                        }
                    }
                }
                match &f.key_expr {
                    Some(ke) => {
                        let key = self.eval(ke)?;
                        let value = self.eval(&f.value_expr)?;
                        match key {
                            V::Unknown(r) => Ok(Some(V::Unknown(r))),
                            key => {
                                let key = key.to_str().ok_or("a for key must be a string")?;
                                let (e, b) = size(&value, l.max_value_elements, l.max_value_bytes);
                                grown = (grown.0 + e, grown.1 + b + key.len());
                                if f.grouping {
                                    match map.entry(key).or_insert_with(|| V::List(Vec::new())) {
                                        V::List(items) => items.push(value),
                                        _ => unreachable!(),
                                    }
                                } else {
                                    if map.contains_key(&key) {
                                        return Err(format!(
                                            "duplicate key {key:?} in a for expression"
                                        ));
                                    }
                                    map.insert(key, value);
                                }
                                Ok(None)
                            }
                        }
                    }
                    None => {
                        let value = self.eval(&f.value_expr)?;
                        let (e, b) = size(&value, l.max_value_elements, l.max_value_bytes);
                        grown = (grown.0 + e, grown.1 + b);
                        list.push(value);
                        Ok(None)
                    }
                }
            })();
            self.bound.truncate(n);
            if let Some(u) = step? {
                return Ok(u);
            }
            if grown.0 > l.max_value_elements {
                return self.exceed(Limit::ValueElements, f.span(), "this for expression");
            }
            if grown.1 > l.max_value_bytes {
                return self.exceed(Limit::ValueBytes, f.span(), "this for expression");
            }
        }
        let out = if f.key_expr.is_some() {
            V::Map(map)
        } else {
            V::List(list)
        };
        // Charged once whole (its elements were charged as they were made; this is the copy
        // into the result).
        if !self.budget.charge(grown.0 as u64 + grown.1 as u64 / 64) {
            return self.exceed(Limit::Steps, f.span(), "this for expression");
        }
        Ok(out)
    }
}

fn first_unknown(args: &[V]) -> Option<String> {
    fn find(v: &V) -> Option<String> {
        match v {
            V::Unknown(r) => Some(r.clone()),
            V::List(items) => items.iter().find_map(find),
            V::Map(m) => m.values().find_map(find),
            _ => None,
        }
    }
    args.iter().find_map(find)
}

/// The (key, value) pairs a `for` iterates over: index and item of a list, key and value of a
/// map. `Ok(Err(reference))` when the collection is unknown.
pub fn iter_pairs(coll: V) -> Result<Result<Vec<(V, V)>, String>, String> {
    Ok(Ok(match coll {
        V::List(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, v)| (V::Num(i as f64), v))
            .collect(),
        V::Map(m) => m.into_iter().map(|(k, v)| (V::Str(k), v)).collect(),
        V::Unknown(r) => return Ok(Err(r)),
        V::Null => return Err("cannot iterate over null".into()),
        other => return Err(format!("cannot iterate over a {}", other.type_name())),
    }))
}

pub fn get_attr(v: V, name: &str) -> R {
    match v {
        V::Map(mut m) => m
            .remove(name)
            .ok_or_else(|| format!("the object has no attribute {name:?}")),
        V::Unknown(r) => Ok(V::Unknown(r)),
        other => Err(format!(
            "cannot read attribute {name:?} of a {}",
            other.type_name()
        )),
    }
}

pub fn index(v: V, k: V) -> R {
    match (v, k) {
        (V::Unknown(r), _) | (_, V::Unknown(r)) => Ok(V::Unknown(r)),
        (V::List(mut items), k) => {
            let n = k.to_num().ok_or("a list index must be a number")?;
            if n < 0.0 || n as usize >= items.len() || n.fract() != 0.0 {
                return Err(format!("index {} is out of range", fmt_num(n)));
            }
            Ok(items.swap_remove(n as usize))
        }
        (V::Map(mut m), k) => {
            let k = k.to_str().ok_or("a map key must be a string")?;
            m.remove(&k)
                .ok_or_else(|| format!("the map has no key {k:?}"))
        }
        (other, _) => Err(format!("cannot index a {}", other.type_name())),
    }
}

pub fn binary(op: BinaryOperator, l: V, r: V) -> R {
    use BinaryOperator as B;
    match (op, &l, &r) {
        (B::And, V::Bool(false), _) | (B::And, _, V::Bool(false)) => return Ok(V::Bool(false)),
        (B::Or, V::Bool(true), _) | (B::Or, _, V::Bool(true)) => return Ok(V::Bool(true)),
        _ => {}
    }
    if let V::Unknown(x) = &l {
        return Ok(V::Unknown(x.clone()));
    }
    if let V::Unknown(x) = &r {
        return Ok(V::Unknown(x.clone()));
    }
    let nums = || -> Result<(f64, f64), String> {
        match (l.to_num(), r.to_num()) {
            (Some(a), Some(b)) => Ok((a, b)),
            _ => Err(format!(
                "arithmetic on a {} and a {}",
                l.type_name(),
                r.type_name()
            )),
        }
    };
    let bools = || -> Result<(bool, bool), String> {
        match (l.to_bool(), r.to_bool()) {
            (Some(a), Some(b)) => Ok((a, b)),
            _ => Err("logical operators need bools".to_string()),
        }
    };
    Ok(match op {
        B::Eq => V::Bool(l == r),
        B::NotEq => V::Bool(l != r),
        B::Less => nums().map(|(a, b)| V::Bool(a < b))?,
        B::LessEq => nums().map(|(a, b)| V::Bool(a <= b))?,
        B::Greater => nums().map(|(a, b)| V::Bool(a > b))?,
        B::GreaterEq => nums().map(|(a, b)| V::Bool(a >= b))?,
        B::Plus => nums().map(|(a, b)| V::Num(a + b))?,
        B::Minus => nums().map(|(a, b)| V::Num(a - b))?,
        B::Mul => nums().map(|(a, b)| V::Num(a * b))?,
        B::Div => nums().map(|(a, b)| V::Num(a / b))?,
        B::Mod => nums().map(|(a, b)| V::Num(a % b))?,
        B::And => bools().map(|(a, b)| V::Bool(a && b))?,
        B::Or => bools().map(|(a, b)| V::Bool(a || b))?,
    })
}
