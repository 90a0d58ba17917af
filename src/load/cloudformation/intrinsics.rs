//! CloudFormation intrinsic functions, resolved as far as the template alone decides them.
//!
//! Short-form tags arrive in their long form (`!Ref x` is `{"Ref": x}`, see `tree.rs`); any
//! other tag arrives as `{"!Tag": value}` and is reported. What cannot be known before the
//! stack is deployed becomes `{"$unknown": "<reference>"}`.
//!
//! The template is untrusted: `Mappings`, parameter defaults and `Conditions` may refer to
//! themselves or to each other, directly or through nested functions. Evaluation is bounded
//! by two budgets per template ([`MAX_DEPTH`], [`MAX_INLINED_BYTES`]) and by cycle detection
//! on conditions; what is cut off becomes unknown, with an error notification (the scan is
//! incomplete) naming the file, the line and the limit.

use crate::load::partial_json;
use crate::load::tree::{Entry, Node, Value};
use crate::model::{NoteLevel, Notification, Pos};
use std::collections::{BTreeMap, BTreeSet};

/// How deeply evaluation may nest: values within values, intrinsic functions within
/// functions, and what `Fn::FindInMap`, a parameter default or a `Condition` brings in, all
/// counted together. The parser accepts documents 128 levels deep (`LoadOptions::max_depth`),
/// so a template's own nesting always fits; what goes deeper is a value that keeps bringing
/// itself in (a mapping or a parameter default that refers to itself, a chain of conditions).
pub const MAX_DEPTH: usize = 256;

/// How much one template may bring in from `Mappings` and parameter defaults, in bytes: each
/// value counts [`VALUE_BYTES`] plus the length of its text. A real template brings in a few
/// kilobytes; values that refer to one another twice over (a mapping entry made of two
/// `Fn::FindInMap` calls of the next, and so on) grow exponentially and stop here.
pub const MAX_INLINED_BYTES: usize = 64 << 20;

/// What one value counts against [`MAX_INLINED_BYTES`], besides its text.
const VALUE_BYTES: usize = 16;

/// The unknown value, naming what it depends on.
pub fn unknown(reference: &str, at: Pos) -> Node {
    Node::new(
        Value::Map(vec![Entry {
            key: "$unknown".to_string(),
            key_start: at,
            key_end_byte: None,
            value: Node::new(Value::Str(reference.to_string()), at, None),
        }]),
        at,
        None,
    )
}

fn unknown_ref(node: &Node) -> Option<&str> {
    match &node.value {
        Value::Map(e) if e.len() == 1 && e[0].key == "$unknown" => e[0].value.as_str(),
        _ => None,
    }
}

/// What a template declares that intrinsic functions read.
pub struct Context<'t> {
    path: String,
    parameters: BTreeMap<String, Option<&'t Node>>,
    list_parameters: BTreeSet<String>,
    /// Each condition's expression and where its name is declared.
    conditions: BTreeMap<String, (&'t Node, Pos)>,
    condition_values: BTreeMap<String, Option<bool>>,
    /// The conditions being evaluated, outermost first: meeting one of them again is a cycle.
    evaluating: Vec<String>,
    /// Conditions found on a cycle: unknown, whatever the rest of their expression says.
    cyclic: BTreeSet<String>,
    mappings: Option<&'t Node>,
    reported: BTreeSet<(u32, u32)>,
    /// Current nesting of evaluation (see [`MAX_DEPTH`]).
    depth: usize,
    /// Where the outermost intrinsic function being evaluated is called (what a budget
    /// notification points at: the line in `Resources` that started it).
    outer_call: Option<Pos>,
    /// Above zero while evaluating a value brought in from `Mappings` or a parameter default.
    inlining: usize,
    /// What has been brought in so far (see [`MAX_INLINED_BYTES`]).
    inlined_bytes: usize,
    depth_reported: bool,
    inlined_reported: bool,
    pub notifications: Vec<Notification>,
}

impl<'t> Context<'t> {
    pub fn new(template: &'t Node, path: &str) -> Self {
        let mut parameters = BTreeMap::new();
        let mut list_parameters = BTreeSet::new();
        if let Some(Value::Map(ps)) = template.get("Parameters").map(|n| &n.value) {
            for p in ps {
                parameters.insert(p.key.clone(), p.value.get("Default"));
                let ty = p
                    .value
                    .get("Type")
                    .and_then(Node::as_str)
                    .unwrap_or_default();
                if ty == "CommaDelimitedList" || ty.starts_with("List<") {
                    list_parameters.insert(p.key.clone());
                }
            }
        }
        let mut conditions = BTreeMap::new();
        if let Some(Value::Map(cs)) = template.get("Conditions").map(|n| &n.value) {
            for c in cs {
                conditions.insert(c.key.clone(), (&c.value, c.key_start));
            }
        }
        Self {
            path: path.to_string(),
            parameters,
            list_parameters,
            conditions,
            condition_values: BTreeMap::new(),
            evaluating: Vec::new(),
            cyclic: BTreeSet::new(),
            mappings: template.get("Mappings"),
            reported: BTreeSet::new(),
            depth: 0,
            outer_call: None,
            inlining: 0,
            inlined_bytes: 0,
            depth_reported: false,
            inlined_reported: false,
            notifications: Vec::new(),
        }
    }

    /// The value of a named condition with the parameters' defaults; `None` when unknown.
    pub fn condition(&mut self, name: &str) -> Option<bool> {
        if let Some(v) = self.condition_values.get(name) {
            return *v;
        }
        if let Some(i) = self.evaluating.iter().position(|n| n == name) {
            self.report_cycle(i, name);
            return None;
        }
        let (expr, declared) = self.conditions.get(name).copied()?;
        if self.depth >= MAX_DEPTH {
            self.report_depth(declared);
            return None;
        }
        self.evaluating.push(name.to_string());
        self.depth += 1;
        let value = self.eval_condition(expr);
        self.depth -= 1;
        self.evaluating.pop();
        // A condition on a cycle has no value, even when the rest of its expression would
        // decide one (`Fn::Or [true, !Condition Self]`): CloudFormation rejects the template.
        let value = if self.cyclic.contains(name) {
            None
        } else {
            value
        };
        self.condition_values.insert(name.to_string(), value);
        value
    }

    /// Evaluates every declared condition, so that a cycle among conditions no resource uses
    /// is reported too (CloudFormation rejects it all the same).
    pub fn check_conditions(&mut self) {
        let names: Vec<String> = self.conditions.keys().cloned().collect();
        for name in names {
            self.condition(&name);
        }
    }

    /// `name` is being evaluated already, at `self.evaluating[from]`: the conditions from
    /// there on form a cycle. Reported once, at the declaration of `name`.
    fn report_cycle(&mut self, from: usize, name: &str) {
        let members = &self.evaluating[from..];
        self.cyclic.extend(members.iter().cloned());
        let chain: Vec<&str> = members.iter().map(String::as_str).chain([name]).collect();
        let chain = chain.join(" -> ");
        let at = self.conditions.get(name).map_or(Pos::new(1, 1), |c| c.1);
        self.notifications.push(
            Notification::new(
                NoteLevel::Error,
                "cloudformation-condition-cycle",
                format!(
                    "{}:{}:{}: condition {name} depends on itself ({chain}); CloudFormation \
                     rejects such a template — break the cycle. These conditions are treated as \
                     unknown, so the resources and values that depend on them may not be \
                     checked, and the scan is incomplete",
                    self.path, at.line, at.column
                ),
            )
            .at(self.path.clone(), Some(at)),
        );
    }

    /// The depth budget ran out while evaluating: reported once per template, at the call
    /// that started the evaluation.
    fn report_depth(&mut self, at: Pos) {
        if std::mem::replace(&mut self.depth_reported, true) {
            return;
        }
        let start = self.outer_call.unwrap_or(at);
        self.notifications.push(
            Notification::new(
                NoteLevel::Error,
                "cloudformation-intrinsic-depth",
                format!(
                    "{}:{}:{}: evaluating the intrinsic functions here nests deeper than {} \
                     levels (reached at line {}): a mapping, parameter default or condition \
                     probably refers to itself, directly or through others. The value is \
                     treated as unknown and the scan is incomplete — remove the \
                     self-reference",
                    self.path, start.line, start.column, MAX_DEPTH, at.line
                ),
            )
            .at(self.path.clone(), Some(start)),
        );
    }

    /// Counts a value brought in from `Mappings` or a parameter default against
    /// [`MAX_INLINED_BYTES`]; `false` once the budget is spent (reported once per template).
    fn charge_inlined(&mut self, node: &Node) -> bool {
        let text = match &node.value {
            Value::Str(s) => s.len(),
            _ => 0,
        };
        self.inlined_bytes = self.inlined_bytes.saturating_add(VALUE_BYTES + text);
        if self.inlined_bytes <= MAX_INLINED_BYTES {
            return true;
        }
        if !std::mem::replace(&mut self.inlined_reported, true) {
            let start = self.outer_call.unwrap_or(node.start);
            self.notifications.push(
                Notification::new(
                    NoteLevel::Error,
                    "cloudformation-intrinsic-budget",
                    format!(
                        "{}:{}:{}: the values brought in by Fn::FindInMap and parameter \
                         references exceed {} MiB for this template (mappings or parameter \
                         defaults that refer to one another multiply): this value and every \
                         later one brought in from Mappings or Parameters are treated as \
                         unknown, and the scan is incomplete",
                        self.path,
                        start.line,
                        start.column,
                        MAX_INLINED_BYTES >> 20
                    ),
                )
                .at(self.path.clone(), Some(start)),
            );
        }
        false
    }

    /// Resolves a value brought in from elsewhere in the template (a mapping entry, a
    /// parameter default), counted against [`MAX_INLINED_BYTES`].
    fn resolve_inlined(&mut self, node: &Node) -> Option<Node> {
        self.inlining += 1;
        let out = self.resolve(node);
        self.inlining -= 1;
        out
    }

    fn eval_condition(&mut self, expr: &Node) -> Option<bool> {
        if self.depth >= MAX_DEPTH {
            self.report_depth(expr.start);
            return None;
        }
        self.depth += 1;
        let out = self.eval_condition_within_budget(expr);
        self.depth -= 1;
        out
    }

    fn eval_condition_within_budget(&mut self, expr: &Node) -> Option<bool> {
        let Value::Map(e) = &expr.value else {
            return match &expr.value {
                Value::Bool(b) => Some(*b),
                _ => None,
            };
        };
        if e.len() != 1 {
            return None;
        }
        let args = match &e[0].value.value {
            Value::Seq(items) => items.as_slice(),
            _ => std::slice::from_ref(&e[0].value),
        };
        match e[0].key.as_str() {
            "Condition" => {
                let name = e[0].value.as_str()?.to_string();
                self.condition(&name)
            }
            "Fn::Equals" if args.len() == 2 => {
                let a = self.resolve(&args[0])?;
                let b = self.resolve(&args[1])?;
                Some(scalar_text(&a)? == scalar_text(&b)?)
            }
            "Fn::Not" if args.len() == 1 => self.eval_condition(&args[0]).map(|b| !b),
            "Fn::And" => {
                let mut all = Some(true);
                for a in args {
                    match self.eval_condition(a) {
                        Some(false) => return Some(false),
                        Some(true) => {}
                        None => all = None,
                    }
                }
                all
            }
            "Fn::Or" => {
                let mut any = Some(false);
                for a in args {
                    match self.eval_condition(a) {
                        Some(true) => return Some(true),
                        Some(false) => {}
                        None => any = None,
                    }
                }
                any
            }
            _ => None,
        }
    }

    /// Resolves the intrinsic functions in a value. `None`: the value is `AWS::NoValue` (the
    /// property is absent). Past a budget, the value is unknown.
    pub fn resolve(&mut self, node: &Node) -> Option<Node> {
        if self.depth >= MAX_DEPTH {
            self.report_depth(node.start);
            return Some(unknown("", node.start));
        }
        if self.inlining > 0 && !self.charge_inlined(node) {
            return Some(unknown("", node.start));
        }
        self.depth += 1;
        let out = self.resolve_within_budget(node);
        self.depth -= 1;
        out
    }

    fn resolve_within_budget(&mut self, node: &Node) -> Option<Node> {
        match &node.value {
            Value::Map(entries) if entries.len() == 1 && is_function(&entries[0]) => {
                self.function(node, &entries[0])
            }
            Value::Map(entries) => {
                let mut out = Vec::with_capacity(entries.len());
                for e in entries {
                    if let Some(value) = self.resolve(&e.value) {
                        out.push(Entry {
                            key: e.key.clone(),
                            key_start: e.key_start,
                            key_end_byte: e.key_end_byte,
                            value,
                        });
                    }
                }
                Some(Node {
                    value: Value::Map(out),
                    ..node.clone_shallow()
                })
            }
            Value::Seq(items) => {
                let items = items.iter().filter_map(|i| self.resolve(i)).collect();
                Some(Node {
                    value: Value::Seq(items),
                    ..node.clone_shallow()
                })
            }
            _ => Some(node.clone()),
        }
    }

    fn function(&mut self, node: &Node, f: &Entry) -> Option<Node> {
        let outermost = self.outer_call.is_none();
        if outermost {
            self.outer_call = Some(node.start);
        }
        let out = self.call(node, f);
        if outermost {
            self.outer_call = None;
        }
        out
    }

    fn call(&mut self, node: &Node, f: &Entry) -> Option<Node> {
        let at = node.start;
        let arg = &f.value;
        let args: Vec<&Node> = match &arg.value {
            Value::Seq(items) => items.iter().collect(),
            _ => vec![arg],
        };
        let result = match f.key.as_str() {
            "Ref" => return self.reference(arg.as_str().unwrap_or_default(), at),
            "Condition" => {
                let name = arg.as_str().unwrap_or_default().to_string();
                match self.condition(&name) {
                    Some(b) => Node::new(Value::Bool(b), at, None),
                    None => unknown(&name, at),
                }
            }
            "Fn::GetAtt" => {
                let reference = match &arg.value {
                    Value::Str(s) => s.clone(),
                    Value::Seq(items) => items
                        .iter()
                        .filter_map(scalar_text)
                        .collect::<Vec<_>>()
                        .join("."),
                    _ => String::new(),
                };
                unknown(&reference, at)
            }
            "Fn::If" if args.len() == 3 => {
                let name = args[0].as_str().unwrap_or_default().to_string();
                match self.condition(&name) {
                    Some(true) => return self.resolve(args[1]),
                    Some(false) => return self.resolve(args[2]),
                    None => unknown(&name, at),
                }
            }
            "Fn::Sub" => self.sub(&args, at),
            "Fn::Join" if args.len() == 2 => {
                let delim = self.resolve(args[0]).and_then(|d| scalar_text(&d));
                let list = self.resolve(args[1]);
                match (delim, list) {
                    (Some(d), Some(l)) => join(&d, &l, at),
                    _ => unknown("", at),
                }
            }
            "Fn::Select" if args.len() == 2 => {
                let index = self
                    .resolve(args[0])
                    .and_then(|i| scalar_text(&i))
                    .and_then(|i| i.parse::<usize>().ok());
                let list = self.resolve(args[1]);
                match (index, list.as_ref().map(|l| &l.value)) {
                    (Some(i), Some(Value::Seq(items))) if i < items.len() => {
                        at_call(items[i].clone(), at)
                    }
                    _ => unknown(list.as_ref().and_then(unknown_ref).unwrap_or(""), at),
                }
            }
            "Fn::Split" if args.len() == 2 => {
                let delim = self.resolve(args[0]).and_then(|d| scalar_text(&d));
                let text = self.resolve(args[1]);
                match (delim, text.as_ref().and_then(scalar_text)) {
                    (Some(d), Some(t)) if !d.is_empty() => Node::new(
                        Value::Seq(
                            t.split(d.as_str())
                                .map(|p| Node::new(Value::Str(p.to_string()), at, None))
                                .collect(),
                        ),
                        at,
                        None,
                    ),
                    _ => unknown(text.as_ref().and_then(unknown_ref).unwrap_or(""), at),
                }
            }
            "Fn::FindInMap" if args.len() >= 3 => {
                let keys: Vec<Option<String>> = args[..3]
                    .iter()
                    .map(|a| self.resolve(a).and_then(|k| scalar_text(&k)))
                    .collect();
                let mappings: Option<&'t Node> = self.mappings;
                let found = match (mappings, &keys[..]) {
                    (Some(m), [Some(a), Some(b), Some(c)]) => {
                        m.get(a).and_then(|x| x.get(b)).and_then(|x| x.get(c))
                    }
                    _ => None,
                };
                match found {
                    Some(v) => at_call(self.resolve_inlined(v)?, at),
                    None => unknown("", at),
                }
            }
            // The decoded text is what policies read (Terraform's `user_data`).
            "Fn::Base64" => return self.resolve(arg),
            "Fn::ToJsonString" => match self.resolve(arg) {
                Some(v) => Node::new(
                    Value::Str(serde_json::to_string(&v.to_json()).unwrap_or_default()),
                    at,
                    None,
                ),
                None => unknown("", at),
            },
            "Fn::Length" => match self.resolve(arg).map(|v| v.value) {
                Some(Value::Seq(items)) => Node::new(Value::Int(items.len() as i64), at, None),
                _ => unknown("", at),
            },
            key if key.starts_with('!') => {
                if self.reported.insert((at.line, at.column)) {
                    self.notifications.push(
                        Notification::new(
                            NoteLevel::Warning,
                            "cloudformation-unknown-tag",
                            format!(
                                "{}:{}:{}: unknown tag {key} (not a CloudFormation intrinsic \
                                 function); its value is treated as unknown and the rest of \
                                 the template is scanned",
                                self.path, at.line, at.column
                            ),
                        )
                        .at(self.path.clone(), Some(at)),
                    );
                }
                unknown("", at)
            }
            // Fn::ImportValue, Fn::GetAZs, Fn::Cidr, Fn::Transform and malformed calls: only
            // known after deployment.
            _ => unknown("", at),
        };
        Some(result)
    }

    fn reference(&mut self, name: &str, at: Pos) -> Option<Node> {
        if name == "AWS::NoValue" {
            return None;
        }
        if let Some(default) = self.parameters.get(name).copied() {
            return Some(match default {
                Some(d) => {
                    let value = self.resolve_inlined(d)?;
                    match (&value.value, self.list_parameters.contains(name)) {
                        (Value::Str(s), true) => Node::new(
                            Value::Seq(
                                s.split(',')
                                    .map(|p| Node::new(Value::Str(p.trim().to_string()), at, None))
                                    .collect(),
                            ),
                            at,
                            None,
                        ),
                        _ => at_call(value, at),
                    }
                }
                None => unknown(name, at),
            });
        }
        // A resource, a pseudo parameter (`AWS::Region`) or an undeclared name.
        Some(unknown(name, at))
    }

    /// `Fn::Sub`: a string once every variable is known.
    fn sub(&mut self, args: &[&Node], at: Pos) -> Node {
        let Some(template) = args.first().and_then(|t| t.as_str()) else {
            return unknown("", at);
        };
        let mut vars: BTreeMap<String, Option<Node>> = BTreeMap::new();
        if let Some(Value::Map(vs)) = args.get(1).map(|v| &v.value) {
            for v in vs {
                vars.insert(v.key.clone(), self.resolve(&v.value));
            }
        }
        let mut out = String::new();
        let mut rest = template;
        // The reference of the first unknown variable, and whether it is a pseudo parameter.
        let mut unresolved: Option<(String, bool)> = None;
        // Each unknown variable's reference, its marker in `out` (a JSON document keeps its
        // known parts: `load::partial_json`).
        let mut holes: Vec<String> = Vec::new();
        while let Some(i) = rest.find("${") {
            out.push_str(&rest[..i]);
            let after = &rest[i + 2..];
            let Some(end) = after.find('}') else {
                out.push_str(&rest[i..]);
                rest = "";
                break;
            };
            let name = &after[..end];
            rest = &after[end + 1..];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
                continue;
            }
            let value = match vars.get(name) {
                Some(v) => v.clone(),
                None if name.contains('.') => Some(unknown(name, at)),
                None => self.reference(name, at),
            };
            match value.as_ref().and_then(scalar_text) {
                Some(text) => out.push_str(&text),
                None => {
                    let reference = value
                        .as_ref()
                        .and_then(unknown_ref)
                        .unwrap_or(name)
                        .to_string();
                    // The result depends on the first variable that names something of
                    // the template; pseudo parameters (`${AWS::AccountId}`) name nothing.
                    let pseudo = name.starts_with("AWS::");
                    out.push_str(&partial_json::hole(holes.len()));
                    holes.push(reference.clone());
                    if unresolved.as_ref().is_none_or(|(_, p)| *p && !pseudo) {
                        unresolved = Some((reference, pseudo));
                    }
                }
            }
        }
        out.push_str(rest);
        if let Some((reference, _)) = unresolved {
            return match partial_json::fill(&out, &holes) {
                Some(json) => Node::new(Value::Str(json), at, None),
                None => unknown(&reference, at),
            };
        }
        Node::new(Value::Str(out), at, None)
    }
}

/// `{"Ref": …}`, `{"Fn::…": …}`, `{"Condition": "name"}` or an unknown tag `{"!Tag": …}`.
fn is_function(e: &Entry) -> bool {
    e.key == "Ref"
        || e.key.starts_with("Fn::")
        || e.key.starts_with('!')
        || (e.key == "Condition" && e.value.as_str().is_some())
}

/// A value brought from elsewhere (a parameter default, a mapping) placed at the call.
fn at_call(mut node: Node, at: Pos) -> Node {
    node.start = at;
    node.end_byte = None;
    node
}

/// A known scalar as text (numbers and booleans as CloudFormation stringifies them).
pub fn scalar_text(node: &Node) -> Option<String> {
    match &node.value {
        Value::Str(s) => Some(s.clone()),
        Value::Int(i) => Some(i.to_string()),
        Value::UInt(u) => Some(u.to_string()),
        Value::Float(f) => Some(f.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `Fn::Join`: a string once every part is known; JSON text (a policy written as a string)
/// keeps its known parts, as `Fn::Sub`'s does.
fn join(delim: &str, list: &Node, at: Pos) -> Node {
    let Value::Seq(items) = &list.value else {
        return unknown(unknown_ref(list).unwrap_or(""), at);
    };
    let mut parts = Vec::with_capacity(items.len());
    let mut holes: Vec<String> = Vec::new();
    for i in items {
        match scalar_text(i) {
            Some(t) => parts.push(t),
            None => {
                parts.push(partial_json::hole(holes.len()));
                holes.push(unknown_ref(i).unwrap_or("").to_string());
            }
        }
    }
    let text = parts.join(delim);
    if holes.is_empty() {
        return Node::new(Value::Str(text), at, None);
    }
    match partial_json::fill(&text, &holes) {
        Some(json) => Node::new(Value::Str(json), at, None),
        None => unknown(&holes[0], at),
    }
}

trait CloneShallow {
    fn clone_shallow(&self) -> Node;
}

impl CloneShallow for Node {
    /// The node's position without its children (they are rebuilt).
    fn clone_shallow(&self) -> Node {
        Node {
            value: Value::Null,
            start: self.start,
            end_byte: self.end_byte,
            src: self.src,
        }
    }
}
