//! Load-time bounds on how deep Rego evaluation can nest, so that no policy can overflow the
//! evaluator's stack (which aborts the whole process, with no report).
//!
//! regorus evaluates recursively: every rule or function it enters, and every nested
//! expression, takes stack. It stops a rule that depends on itself when it re-enters it
//! ("recursion detected"), but not a function that calls itself — `f(x) := f(x + 1)` recurses
//! until the stack is gone — and it has no depth limit. Rego forbids recursion (OPA rejects it
//! at compile time), so we do the same: a cycle of function calls is a load error naming the
//! file and the functions. And since a long enough chain of rules, or a long enough
//! expression (`1 + 1 + … + 1` is a tree as deep as it is long), also exhausts the stack, the
//! deepest chain of rules, functions and expressions any evaluation can enter must stay under
//! [`MAX_NESTING`] levels.
//!
//! The check reads regorus's own syntax tree (so it sees calls exactly as regorus resolves
//! them: relative to the package, through imports, or `data.`-qualified), walks it without
//! recursion, and over-approximates where a reference is dynamic.

use super::PolicyError;
use regorus::unstable::{Expr, Literal, Module, NodeRef, Query, Rule, RuleHead};
use std::collections::{BTreeMap, BTreeSet};

/// The deepest nesting an evaluation may reach: one level per expression, query and
/// statement, plus [`RULE_LEVELS`] per rule or function entered. Measured in a debug build
/// (release takes less), a level takes 2 to 5 KiB of stack (a chain of rules about 2.5 KiB,
/// nested comprehensions about 4.5 KiB), so the deepest evaluation takes at most about 5 MiB,
/// well inside the evaluation threads' 16 MiB stacks (see `src/main.rs`).
pub const MAX_NESTING: u64 = 1_000;
/// What entering a rule or a function costs, in expression levels (regorus goes through
/// about a dozen frames to evaluate a rule body).
const RULE_LEVELS: u64 = 6;

/// A rule or function (all the definitions of one path).
struct Node {
    key: String,
    function: bool,
    file: String,
    line: u32,
    /// Its own deepest nesting, rule entry included.
    weight: u64,
    /// Every definition is in the built-in library (see [`Graph::check_recursion`]).
    builtin: bool,
}

/// Checks the loaded modules: no recursive function, and no evaluation deeper than
/// [`MAX_NESTING`].
pub fn check(modules: &[NodeRef<Module>]) -> Result<(), PolicyError> {
    let graph = Graph::build(modules);
    graph.check_recursion()?;
    graph.check_depth()
}

struct Graph {
    nodes: Vec<Node>,
    /// Calls between functions (and `with f as g` substitutions).
    calls: Vec<BTreeSet<usize>>,
    /// Every rule or function a node's evaluation may enter.
    deps: Vec<BTreeSet<usize>>,
}

/// How names are resolved in one module: its package and its imports.
struct Scope {
    package: String,
    imports: BTreeMap<String, String>,
}

impl Scope {
    fn new(module: &Module) -> Self {
        let package = regorus::utils::get_path_string(&module.package.refr, Some("data"))
            .unwrap_or_else(|_| "data".into());
        let mut imports = BTreeMap::new();
        for import in &module.imports {
            let Some(path) = static_path(&import.refr) else {
                continue;
            };
            if !path.starts_with("data.") {
                continue;
            }
            let alias = match &import.r#as {
                Some(span) => span.text().to_string(),
                None => path.rsplit('.').next().unwrap_or_default().to_string(),
            };
            imports.insert(alias, path);
        }
        Scope { package, imports }
    }

    /// The `data.` path a name used in this module stands for, as regorus resolves it.
    fn resolve(&self, path: &str) -> Option<String> {
        let (root, rest) = match path.find('.') {
            Some(i) => (&path[..i], &path[i..]),
            None => (path, ""),
        };
        match root {
            "data" => (!rest.is_empty()).then(|| path.to_string()),
            "input" | "_" => None,
            _ => match self.imports.get(root) {
                Some(target) => Some(format!("{target}{rest}")),
                None => Some(format!("{}.{path}", self.package)),
            },
        }
    }
}

/// The static part of a reference (`data.lib.k8s.containers[_].image` →
/// `data.lib.k8s.containers`), or `None` when it does not start with a name.
fn static_path(expr: &Expr) -> Option<String> {
    let mut parts = Vec::new();
    let mut e = expr;
    loop {
        match e {
            Expr::Var { span, .. } => {
                parts.push(span.text().to_string());
                break;
            }
            Expr::RefDot { refr, field, .. } => {
                parts.push(field.0.text().to_string());
                e = refr;
            }
            Expr::RefBrack { refr, index, .. } => {
                match index.as_ref() {
                    Expr::String { value, .. } | Expr::RawString { value, .. } => {
                        parts.push(value.as_string().ok()?.to_string())
                    }
                    // A dynamic index: the path stops before it.
                    _ => parts.clear(),
                }
                e = refr;
            }
            _ => return None,
        }
    }
    parts.reverse();
    Some(parts.join("."))
}

/// What one rule's syntax tree says: its deepest nesting, and the names it uses.
#[derive(Default)]
struct Uses {
    depth: u64,
    calls: Vec<String>,
    refs: Vec<String>,
    substitutes: Vec<String>,
}

enum Item<'a> {
    Expr(&'a Expr),
    Query(&'a Query),
}

/// Walks a rule without recursion (the tree may be as deep as the file is long).
fn walk_rule(rule: &Rule) -> Uses {
    let mut uses = Uses::default();
    let mut stack: Vec<(Item, u64)> = Vec::new();
    match rule {
        Rule::Spec { head, bodies, .. } => {
            match head {
                RuleHead::Compr { assign, .. } => {
                    if let Some(a) = assign {
                        stack.push((Item::Expr(&a.value), 1));
                    }
                }
                RuleHead::Set { key, .. } => {
                    if let Some(k) = key {
                        stack.push((Item::Expr(k), 1));
                    }
                }
                RuleHead::Func { args, assign, .. } => {
                    stack.extend(args.iter().map(|a| (Item::Expr(a), 1)));
                    if let Some(a) = assign {
                        stack.push((Item::Expr(&a.value), 1));
                    }
                }
            }
            for body in bodies {
                if let Some(a) = &body.assign {
                    stack.push((Item::Expr(&a.value), 1));
                }
                stack.push((Item::Query(&body.query), 1));
            }
        }
        Rule::Default { value, .. } => stack.push((Item::Expr(value), 1)),
    }
    while let Some((item, depth)) = stack.pop() {
        uses.depth = uses.depth.max(depth);
        let d = depth + 1;
        match item {
            Item::Query(q) => {
                for stmt in &q.stmts {
                    for w in &stmt.with_mods {
                        if let Some(p) = static_path(&w.r#as) {
                            uses.substitutes.push(p);
                        }
                        stack.push((Item::Expr(&w.r#as), d + 1));
                    }
                    match &stmt.literal {
                        Literal::SomeVars { .. } => {}
                        Literal::SomeIn {
                            key,
                            value,
                            collection,
                            ..
                        } => {
                            stack.extend(key.iter().map(|k| (Item::Expr(k), d + 1)));
                            stack.push((Item::Expr(value), d + 1));
                            stack.push((Item::Expr(collection), d + 1));
                        }
                        Literal::Expr { expr, .. } | Literal::NotExpr { expr, .. } => {
                            stack.push((Item::Expr(expr), d + 1))
                        }
                        Literal::Every { domain, query, .. } => {
                            stack.push((Item::Expr(domain), d + 1));
                            stack.push((Item::Query(query), d + 1));
                        }
                    }
                }
            }
            Item::Expr(e) => match e {
                Expr::String { .. }
                | Expr::RawString { .. }
                | Expr::Number { .. }
                | Expr::Bool { .. }
                | Expr::Null { .. } => {}
                Expr::Var { span, .. } => uses.refs.push(span.text().to_string()),
                Expr::RefDot { .. } | Expr::RefBrack { .. } => {
                    if let Some(p) = static_path(e) {
                        uses.refs.push(p);
                    }
                    // The chain itself (each link a level), and its dynamic indexes; not its
                    // inner references, whose paths are prefixes of this one.
                    let mut link = e;
                    let mut level = d;
                    loop {
                        match link {
                            Expr::RefDot { refr, .. } => link = refr,
                            Expr::RefBrack { refr, index, .. } => {
                                stack.push((Item::Expr(index), level + 1));
                                link = refr;
                            }
                            other => {
                                if !matches!(other, Expr::Var { .. }) {
                                    stack.push((Item::Expr(other), level));
                                }
                                break;
                            }
                        }
                        level += 1;
                    }
                    uses.depth = uses.depth.max(level);
                }
                Expr::Array { items, .. } | Expr::Set { items, .. } => {
                    stack.extend(items.iter().map(|i| (Item::Expr(i), d)))
                }
                Expr::Object { fields, .. } => {
                    for (_, k, v) in fields {
                        stack.push((Item::Expr(k), d));
                        stack.push((Item::Expr(v), d));
                    }
                }
                Expr::ArrayCompr { term, query, .. } | Expr::SetCompr { term, query, .. } => {
                    stack.push((Item::Expr(term), d + 1));
                    stack.push((Item::Query(query), d));
                }
                Expr::ObjectCompr {
                    key, value, query, ..
                } => {
                    stack.push((Item::Expr(key), d + 1));
                    stack.push((Item::Expr(value), d + 1));
                    stack.push((Item::Query(query), d));
                }
                Expr::Call { fcn, params, .. } => {
                    if let Some(p) = static_path(fcn) {
                        uses.calls.push(p);
                    }
                    stack.extend(params.iter().map(|p| (Item::Expr(p), d)));
                }
                Expr::UnaryExpr { expr, .. } => stack.push((Item::Expr(expr), d)),
                Expr::BinExpr { lhs, rhs, .. }
                | Expr::BoolExpr { lhs, rhs, .. }
                | Expr::ArithExpr { lhs, rhs, .. }
                | Expr::AssignExpr { lhs, rhs, .. } => {
                    stack.push((Item::Expr(lhs), d));
                    stack.push((Item::Expr(rhs), d));
                }
                Expr::Membership {
                    key,
                    value,
                    collection,
                    ..
                } => {
                    stack.extend(key.iter().map(|k| (Item::Expr(k), d)));
                    stack.push((Item::Expr(value), d));
                    stack.push((Item::Expr(collection), d));
                }
            },
        }
    }
    uses
}

impl Graph {
    fn build(modules: &[NodeRef<Module>]) -> Graph {
        let mut nodes: Vec<Node> = Vec::new();
        let mut index: BTreeMap<String, usize> = BTreeMap::new();
        let scopes: Vec<Scope> = modules.iter().map(|m| Scope::new(m)).collect();
        let mut rules = Vec::new();
        for (module, scope) in modules.iter().zip(&scopes) {
            let file = module.package.span.source.file().clone();
            for rule in &module.policy {
                let (refr, function) = match rule.as_ref() {
                    Rule::Spec { head, .. } => match head {
                        RuleHead::Compr { refr, .. } | RuleHead::Set { refr, .. } => (refr, false),
                        RuleHead::Func { refr, .. } => (refr, true),
                    },
                    Rule::Default { refr, args, .. } => (refr, !args.is_empty()),
                };
                let Some(key) = static_path(refr).map(|p| format!("{}.{p}", scope.package)) else {
                    continue;
                };
                let uses = walk_rule(rule);
                let i = *index.entry(key.clone()).or_insert_with(|| {
                    nodes.push(Node {
                        key,
                        function,
                        file: file.clone(),
                        line: rule.span().line,
                        weight: 0,
                        builtin: true,
                    });
                    nodes.len() - 1
                });
                nodes[i].function |= function;
                if !file.starts_with(super::BUILTIN_PREFIX) {
                    nodes[i].builtin = false;
                    nodes[i].file = file.clone();
                    nodes[i].line = rule.span().line;
                }
                // Definitions of one path are evaluated one after the other: the deepest counts.
                nodes[i].weight = nodes[i].weight.max(uses.depth + RULE_LEVELS);
                rules.push((i, uses, scope));
            }
        }
        let mut calls = vec![BTreeSet::new(); nodes.len()];
        let mut deps = vec![BTreeSet::new(); nodes.len()];
        for (i, uses, scope) in &rules {
            let function = |path: &String| {
                let target = scope.resolve(path)?;
                index.get(&target).copied().filter(|&t| nodes[t].function)
            };
            for target in uses
                .calls
                .iter()
                .chain(&uses.substitutes)
                .filter_map(function)
            {
                calls[*i].insert(target);
                deps[*i].insert(target);
            }
            for path in &uses.refs {
                let Some(target) = scope.resolve(path) else {
                    continue;
                };
                deps[*i].extend(referenced(&index, &target));
            }
        }
        Graph { nodes, calls, deps }
    }

    /// A function that calls itself, directly or through other functions, is an error. The
    /// built-in library is trusted with structural recursion over the input (whose depth the
    /// loader bounds), but a user's definition added to one of its functions is not.
    fn check_recursion(&self) -> Result<(), PolicyError> {
        for component in strongly_connected(&self.calls) {
            let first = component[0];
            if component.len() == 1 && !self.calls[first].contains(&first) {
                continue;
            }
            let members: BTreeSet<usize> = component.iter().copied().collect();
            let Some(start) = members
                .iter()
                .copied()
                .filter(|&m| !self.nodes[m].builtin)
                .min_by_key(|&m| (&self.nodes[m].file, self.nodes[m].line))
            else {
                continue;
            };
            let cycle = self.cycle(start, &members);
            let node = &self.nodes[start];
            return Err(PolicyError {
                file: node.file.clone(),
                line: Some(node.line),
                message: format!(
                    "function {} is recursive ({}): Rego does not allow recursion, and a \
                     recursive function would evaluate without end; rewrite it without calling \
                     itself (a comprehension, or a fixed number of helper functions)",
                    display_key(&node.key),
                    cycle
                        .iter()
                        .map(|&n| display_key(&self.nodes[n].key))
                        .collect::<Vec<_>>()
                        .join(" → ")
                ),
            });
        }
        Ok(())
    }

    /// A call path from `start` back to itself within `members`.
    fn cycle(&self, start: usize, members: &BTreeSet<usize>) -> Vec<usize> {
        let mut previous: BTreeMap<usize, usize> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([start]);
        while let Some(n) = queue.pop_front() {
            for &next in &self.calls[n] {
                if next == start {
                    let mut path = vec![start];
                    let mut at = n;
                    while at != start {
                        path.push(at);
                        at = previous[&at];
                    }
                    path.push(start);
                    let end = path.len() - 1;
                    path[1..end].reverse();
                    return path;
                }
                if members.contains(&next) && !previous.contains_key(&next) {
                    previous.insert(next, n);
                    queue.push_back(next);
                }
            }
        }
        vec![start, start]
    }

    /// How deep each strongly connected component of the dependency graph can nest: the
    /// components (sinks first), their depths, and each one's deepest dependency.
    fn depths(&self) -> (Vec<Vec<usize>>, Vec<u64>, Vec<Option<usize>>) {
        let components = strongly_connected(&self.deps);
        let mut component_of = vec![0; self.nodes.len()];
        for (c, members) in components.iter().enumerate() {
            for &m in members {
                component_of[m] = c;
            }
        }
        // Components come sinks first, so what a component depends on is already measured.
        let mut depth = vec![0u64; components.len()];
        let mut next: Vec<Option<usize>> = vec![None; components.len()];
        for (c, members) in components.iter().enumerate() {
            let own: u64 = members.iter().map(|&m| self.nodes[m].weight).sum();
            let mut deepest = 0;
            for &m in members {
                for &d in &self.deps[m] {
                    let dc = component_of[d];
                    if dc != c && depth[dc] > deepest {
                        deepest = depth[dc];
                        next[c] = Some(dc);
                    }
                }
            }
            depth[c] = own.saturating_add(deepest);
        }
        (components, depth, next)
    }

    /// The deepest evaluation (rules and functions entered one inside the other, each with
    /// its own nested expressions) must stay under [`MAX_NESTING`]. Rules that depend on each
    /// other in a cycle (regorus stops those when it re-enters one) count all together.
    fn check_depth(&self) -> Result<(), PolicyError> {
        // One rule whose own expressions are too deep is the clearest thing to point at.
        if let Some(node) = self.nodes.iter().find(|n| n.weight > MAX_NESTING) {
            return Err(too_deep(node, node.weight, "its expressions nest".into()));
        }
        let (components, depth, next) = self.depths();
        let Some(worst) = (0..components.len()).max_by_key(|&c| depth[c]) else {
            return Ok(());
        };
        if depth[worst] <= MAX_NESTING {
            return Ok(());
        }
        let start = &self.nodes[components[worst][0]];
        let mut chain = vec![display_key(&start.key)];
        let mut at = next[worst];
        while let Some(c) = at {
            if chain.len() == 4 {
                chain.push("…".into());
                break;
            }
            chain.push(display_key(&self.nodes[components[c][0]].key));
            at = next[c];
        }
        let what = format!("it and what it uses ({}) nest", chain.join(" → "));
        Err(too_deep(start, depth[worst], what))
    }
}

fn too_deep(node: &Node, depth: u64, what: String) -> PolicyError {
    PolicyError {
        file: node.file.clone(),
        line: Some(node.line),
        message: format!(
            "evaluating {} could nest {depth} levels deep: {what} deeper than plumbline's limit \
             of {MAX_NESTING} levels (each rule or function entered counts {RULE_LEVELS}, each \
             nested expression 1), which keeps evaluation inside its stack; split long \
             expressions and flatten long chains of rules",
            display_key(&node.key),
        ),
    }
}

/// The deepest nesting any evaluation of `modules` can reach.
pub fn deepest(modules: &[NodeRef<Module>]) -> u64 {
    let (_, depth, _) = Graph::build(modules).depths();
    depth.into_iter().max().unwrap_or(0)
}

/// The nodes a reference to `path` may enter: the rule it names (the longest defined prefix:
/// `data.p.r.x` is inside `data.p.r`), or every rule under it (a package, or a path cut at a
/// dynamic index).
fn referenced(index: &BTreeMap<String, usize>, path: &str) -> Vec<usize> {
    let mut prefix = path;
    loop {
        if let Some(&i) = index.get(prefix) {
            return vec![i];
        }
        match prefix.rfind('.') {
            Some(cut) if prefix[..cut].contains('.') => prefix = &prefix[..cut],
            _ => break,
        }
    }
    let under = format!("{path}.");
    index
        .range(under.clone()..)
        .take_while(|(k, _)| k.starts_with(&under))
        .map(|(_, &i)| i)
        .collect()
}

fn display_key(key: &str) -> String {
    super::limits::excerpt(key, 120)
}

/// Tarjan's strongly connected components, without recursion; components come out in
/// reverse topological order (a component after every component it reaches).
fn strongly_connected(edges: &[BTreeSet<usize>]) -> Vec<Vec<usize>> {
    let n = edges.len();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut components = Vec::new();
    let mut counter = 0;
    let succ: Vec<Vec<usize>> = edges.iter().map(|e| e.iter().copied().collect()).collect();
    for root in 0..n {
        if index[root] != usize::MAX {
            continue;
        }
        // (node, next successor to visit)
        let mut work = vec![(root, 0usize)];
        index[root] = counter;
        low[root] = counter;
        counter += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (v, ref mut i)) = work.last_mut() {
            if let Some(&w) = succ[v].get(*i) {
                *i += 1;
                if index[w] == usize::MAX {
                    index[w] = counter;
                    low[w] = counter;
                    counter += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut component = Vec::new();
                loop {
                    let w = stack.pop().expect("v is on the stack");
                    on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                component.sort_unstable();
                components.push(component);
            }
        }
    }
    components
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses and checks on a deep stack, as `compile` does.
    fn check_text(files: &[(&str, &str)]) -> Result<(), PolicyError> {
        let files: Vec<(String, String)> = files
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect();
        std::thread::Builder::new()
            .stack_size(256 << 20)
            .spawn(move || {
                let mut engine = regorus::Engine::new();
                for (path, text) in files {
                    engine.add_policy(path, text).unwrap();
                }
                check(engine.get_modules())
            })
            .unwrap()
            .join()
            .unwrap()
    }

    #[test]
    fn a_self_recursive_function_is_refused() {
        let err = check_text(&[("r.rego", "package r\n\nf(x) := f(x + 1)\n")]).unwrap_err();
        assert_eq!(err.file, "r.rego");
        assert_eq!(err.line, Some(3));
        assert!(err.message.contains("data.r.f is recursive"), "{err}");
    }

    #[test]
    fn mutual_recursion_across_packages_and_imports_is_refused() {
        let err = check_text(&[
            (
                "a.rego",
                "package a\nimport data.b as other\n\nf(x) := y if { y := other.g(x) }\n",
            ),
            ("b.rego", "package b\n\ng(x) := data.a.f(x)\n"),
        ])
        .unwrap_err();
        assert!(
            err.message.contains("data.a.f → data.b.g → data.a.f"),
            "{err}"
        );
    }

    #[test]
    fn recursion_through_with_is_refused() {
        let err = check_text(&[(
            "w.rego",
            "package w\n\ng(x) := x\nf(x) := y if { y := g(x) with g as f }\n",
        )])
        .unwrap_err();
        assert!(err.message.contains("data.w.f is recursive"), "{err}");
    }

    #[test]
    fn a_definition_added_to_a_recursive_library_function_is_refused() {
        let lib =
            "package lib\n\nnested(v) if is_string(v)\nnested(v) if { some x in v; nested(x) }\n";
        let path = format!("{}lib.rego", super::super::BUILTIN_PREFIX);
        check_text(&[(path.as_str(), lib)]).unwrap();
        let err = check_text(&[
            (path.as_str(), lib),
            ("mine.rego", "package lib\n\nnested(v) if nested([v])\n"),
        ])
        .unwrap_err();
        assert_eq!(err.file, "mine.rego");
        assert!(
            err.message.contains("data.lib.nested is recursive"),
            "{err}"
        );
    }

    #[test]
    fn ordinary_helpers_and_builtins_pass() {
        check_text(&[(
            "ok.rego",
            "package ok\nimport rego.v1\n\nhelper(x) := upper(x)\nsame(x) := helper(x)\n\
             deny contains m if { some c in input.containers; m := same(c.name) }\n",
        )])
        .unwrap();
    }

    #[test]
    fn a_long_expression_is_refused() {
        let sum = vec!["1"; 5000].join(" +\n");
        let text = format!("package long\n\nx := ({sum})\n");
        let err = check_text(&[("long.rego", &text)]).unwrap_err();
        assert_eq!(err.line, Some(3));
        assert!(err.message.contains("data.long.x could nest"), "{err}");
        assert!(err.message.contains("limit of 1000 levels"), "{err}");
    }

    #[test]
    fn a_long_chain_of_rules_is_refused() {
        let mut text = String::from("package chain\n\nr0 := 1\n");
        for i in 1..300 {
            text.push_str(&format!("r{i} := r{} + 1\n", i - 1));
        }
        let err = check_text(&[("chain.rego", &text)]).unwrap_err();
        assert!(err.message.contains("data.chain.r299"), "{err}");
        assert!(err.message.contains("data.chain.r298"), "{err}");
    }

    #[test]
    fn the_builtin_library_passes() {
        let mut engine = regorus::Engine::new();
        for f in super::super::builtin_files(true) {
            engine.add_policy(f.path, f.text).unwrap();
        }
        check(engine.get_modules()).unwrap();
        // With room to spare: a library change that nests much deeper should be a choice.
        let deepest = deepest(engine.get_modules());
        assert!(deepest < MAX_NESTING / 4, "{deepest}");
    }
}
