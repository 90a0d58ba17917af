//! Evaluating one document against every package; results become located findings.

use super::{Package, PolicySet};
use crate::load::{Document, SourceFile};
use crate::model::{fingerprint, Finding, NoteLevel, Notification, PathSeg, Pos, Region, Severity};
use regorus::Value;
use std::sync::Arc;

/// What evaluating one document produced.
#[derive(Debug, Default)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub notifications: Vec<Notification>,
    /// Number of (rule, document) evaluations run.
    pub evaluations: usize,
    /// Time spent per package (same order as `PolicySet::packages`).
    pub package_times: Vec<std::time::Duration>,
    /// Packages evaluated one query each (exceptions, or after the batched query failed).
    pub unbatched: usize,
}

/// How rules are queried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// All applicable rules of a document in one query (rules shared through imports are
    /// computed once); falls back to one query per rule on an error.
    Batched,
    /// One query per rule, timing each package (for `--timings`).
    PerRule,
}

/// Evaluates `doc` with `engine` (a worker's clone of `set.engine`).
pub fn evaluate(
    engine: &mut regorus::Engine,
    set: &PolicySet,
    doc: &Document,
    mode: Mode,
) -> Outcome {
    let mut out = Outcome {
        package_times: vec![std::time::Duration::ZERO; set.packages.len()],
        ..Outcome::default()
    };
    // Only build the Rego input when some package applies (most documents of a real
    // repository — CRDs, ConfigMaps — carry no pod spec).
    if !set.packages.iter().any(|p| p.applies_to(doc)) {
        return out;
    }
    engine.set_input(input_of(set, doc));
    let batched = match mode {
        Mode::Batched => evaluate_batch(engine, set, doc, &mut out),
        Mode::PerRule => vec![false; set.packages.len()],
    };
    for (index, package) in set.packages.iter().enumerate() {
        if !package.applies_to(doc) || batched[index] {
            continue;
        }
        out.unbatched += 1;
        let started = std::time::Instant::now();
        let excepted = match &package.exception {
            Some(q) => match eval_rule(engine, set, doc, q) {
                Ok(v) => exception_names(&v),
                Err(e) => {
                    out.notifications
                        .push(policy_failure(doc, &package.name, "exception", &e));
                    Vec::new()
                }
            },
            None => Vec::new(),
        };
        for query in &package.queries {
            if is_excepted(&query.name, &excepted) {
                continue;
            }
            out.evaluations += 1;
            match eval_rule(engine, set, doc, &query.path) {
                Ok(value) => {
                    for item in result_items(&value) {
                        out.findings
                            .push(to_finding(doc, package, query.level, item));
                    }
                }
                Err(e) => {
                    out.notifications
                        .push(policy_failure(doc, &package.name, &query.name, &e))
                }
            }
        }
        out.package_times[index] += started.elapsed();
    }
    // Policies may print(); never let that reach a log (it may echo secret input).
    let _ = engine.take_prints();
    // A Kubernetes object a Terraform resource describes may hold values known only after
    // apply; the Kubernetes library does not know them, so a result about such a value (or a
    // field inside one) says nothing: it is dropped.
    if doc.resource.is_some() && doc.subject.is_some() {
        out.findings
            .retain(|f| !at_unknown(&doc.node, &f.field_path));
    }
    out
}

/// Whether `path` reaches a value `{"$unknown": …}` of the input model, or goes through one.
fn at_unknown(node: &crate::load::tree::Node, path: &[crate::model::PathSeg]) -> bool {
    use crate::load::tree::Value as NV;
    (0..=path.len()).any(|i| {
        let l = node.locate(&path[..i]);
        l.depth == i
            && matches!(&l.node.value, NV::Map(e) if e.len() == 1 && e[0].key == "$unknown")
    })
}

/// Evaluates every applicable package without `exception` rules in one query, so rules
/// shared through imports are computed once per document. Returns which packages were done;
/// on an error or an undefined result the caller evaluates rule by rule, which isolates the
/// failing rule.
fn evaluate_batch(
    engine: &mut regorus::Engine,
    set: &PolicySet,
    doc: &Document,
    out: &mut Outcome,
) -> Vec<bool> {
    let mut done = vec![false; set.packages.len()];
    let mut refs = Vec::new();
    let mut owners = Vec::new();
    for (index, package) in set.packages.iter().enumerate() {
        if !package.applies_to(doc) || package.exception.is_some() {
            continue;
        }
        for query in &package.queries {
            refs.push(query.path.as_str());
            owners.push((index, query));
        }
    }
    if refs.is_empty() {
        return done;
    }
    let mut members: Vec<usize> = owners.iter().map(|(index, _)| *index).collect();
    members.dedup();
    let value = match set.batches.get(&members) {
        // The precompiled batch rule of this set of packages.
        Some(rule) => eval_rule(engine, set, doc, rule).ok(),
        None => {
            // One reference per line: regorus rejects a query line longer than 1,024 columns,
            // and the references of a few dozen packages on one line would exceed it.
            let query = format!("[\n{}\n]", refs.join(",\n"));
            guarded(engine, set, doc, |e| e.eval_query(query, false))
                .ok()
                .and_then(|results| {
                    let first = results.result.into_iter().next()?;
                    first.expressions.into_iter().next().map(|e| e.value)
                })
        }
    };
    let Some(Value::Array(values)) = value.as_ref() else {
        return done;
    };
    if values.len() != owners.len() {
        return done;
    }
    for ((index, query), value) in owners.into_iter().zip(values.iter()) {
        let package = &set.packages[index];
        out.evaluations += 1;
        for item in result_items(value) {
            out.findings
                .push(to_finding(doc, package, query.level, item));
        }
        done[index] = true;
    }
    done
}

/// Evaluates one rule with a fresh resource budget (see [`super::limits`]).
fn eval_rule(
    engine: &mut regorus::Engine,
    set: &PolicySet,
    doc: &Document,
    rule: &str,
) -> anyhow::Result<Value> {
    guarded(engine, set, doc, |e| e.eval_rule(rule.to_string()))
}

/// The policy input of `doc`, with the lists of related resources only when a package that
/// applies to it reads them.
fn input_of(set: &PolicySet, doc: &Document) -> Value {
    let lists = set
        .packages
        .iter()
        .any(|p| p.reads_related && p.applies_to(doc));
    doc.to_rego_for(lists)
}

/// Runs one evaluation with a fresh resource budget. A panic in the engine (a bug of
/// regorus's, reachable from a hostile policy) becomes this evaluation's error instead of
/// ending the scan; the engine, whose state it may have broken, is replaced by a fresh clone.
pub(crate) fn guarded<T>(
    engine: &mut regorus::Engine,
    set: &PolicySet,
    doc: &Document,
    run: impl FnOnce(&mut regorus::Engine) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    super::limits::start_evaluation();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(engine)));
    outcome.unwrap_or_else(|panic| {
        *engine = set.engine.clone();
        engine.set_input(input_of(set, doc));
        Err(anyhow::anyhow!(
            "the Rego engine failed ({}); this is a bug in the engine, triggered by this policy",
            super::test::panic_text(&*panic)
        ))
    })
}

fn policy_failure(doc: &Document, package: &str, rule: &str, err: &anyhow::Error) -> Notification {
    let parts = super::split_rego_error(err);
    let message = super::limits::excerpt(&parts.message, super::MAX_MESSAGE_CHARS);
    let first = match (&parts.file, parts.line) {
        (Some(f), Some(l)) => format!("{f}:{l}: {message}"),
        _ => message,
    };
    let (code, what) = if first.contains("exceeded time limit") {
        (
            "policy-timeout",
            "exceeded its time limit (raise --policy-timeout if the policy is legitimately slow)",
        )
    } else if super::limits::is_limit(&first) {
        ("policy-error", "was stopped at a resource limit")
    } else {
        ("policy-error", "failed")
    };
    Notification::new(
        NoteLevel::Error,
        code,
        format!(
            "policy data.{package}.{rule} {what} on {} (document {}): {first}; the other \
             policies and files were still checked",
            doc.file.path,
            doc.index + 1
        ),
    )
    .at(doc.file.path.clone(), Some(doc.node.start))
}

/// `exception` is a set of arrays of rule names (conftest): `["run_as_root"]` exempts
/// `deny_run_as_root`.
fn exception_names(v: &Value) -> Vec<String> {
    let mut names = Vec::new();
    for item in result_items(v) {
        match item {
            Value::Array(a) => names.extend(
                a.iter()
                    .filter_map(|s| s.as_string().ok().map(|s| s.to_string())),
            ),
            Value::String(s) => names.push(s.to_string()),
            _ => {}
        }
    }
    names
}

fn is_excepted(rule: &str, excepted: &[String]) -> bool {
    excepted
        .iter()
        .any(|e| e == rule || rule.split_once('_').is_some_and(|(_, suffix)| suffix == e))
}

fn result_items(v: &Value) -> Vec<&Value> {
    match v {
        Value::Set(s) => s.iter().collect(),
        Value::Array(a) => a.iter().collect(),
        Value::Undefined | Value::Null => Vec::new(),
        Value::Bool(false) => Vec::new(),
        other => vec![other],
    }
}

/// Builds the finding for one result: `"msg"` or `{msg, path, severity, …}`.
fn to_finding(
    doc: &Document,
    package: &Package,
    level: crate::model::FindingLevel,
    item: &Value,
) -> Finding {
    let (message, path, severity) = match item {
        Value::String(s) => (s.to_string(), Vec::new(), None),
        Value::Object(o) => {
            let get = |k: &str| o.get(&Value::from(k));
            let message = get("msg")
                .or_else(|| get("message"))
                .and_then(|m| m.as_string().ok().map(|s| s.to_string()))
                .unwrap_or_else(|| result_text(item));
            let path = get("path")
                .or_else(|| get("field"))
                .map(parse_path)
                .unwrap_or_default();
            let severity = get("severity")
                .and_then(|s| s.as_string().ok())
                .and_then(|s| Severity::parse(s));
            (message, path, severity)
        }
        other => (result_text(other), Vec::new(), None),
    };
    let severity = severity.unwrap_or(if package.explicit_severity {
        package.meta.severity
    } else if level == crate::model::FindingLevel::Warning {
        Severity::Low
    } else {
        package.meta.severity
    });
    let (file, region) = place_of(doc, &path);
    let (file, region, related) = match &doc.module_origin {
        // A resource of a module from outside the tree: the finding is at the call in the
        // tree (what the reader can change), the resource's own place related to it.
        Some(origin) => (
            &origin.file,
            origin_region(origin),
            vec![origin_related(origin, file, region)],
        ),
        None => (file, region, related_of(doc, &path)),
    };
    Finding {
        fingerprint: fingerprint(
            &package.meta.id,
            doc.module_origin
                .as_ref()
                .map_or(&doc.file.path, |o| &o.file.path),
            doc.resource.as_ref(),
            doc.subject.as_ref(),
            doc.index,
            &path,
            &message,
        ),
        rule_id: package.meta.id.clone(),
        severity,
        level,
        message,
        file: file.path.clone(),
        region,
        resource: doc.resource.clone(),
        subject: doc.subject.clone(),
        document: doc.index,
        field_path: path,
        suppressions: Vec::new(),
        related,
        live: None,
        baseline_state: None,
    }
}

/// The `module` block a module from outside the tree is called by: its first line.
fn origin_region(origin: &crate::load::ModuleOrigin) -> Region {
    let len = origin
        .file
        .lines
        .line_text(&origin.file.text, origin.pos.line)
        .map_or(0, |l| l.trim_end().chars().count() as u32);
    Region {
        start: origin.pos,
        end: Pos::new(origin.pos.line, (len + 1).max(origin.pos.column + 1)),
    }
}

/// The related location of a finding moved to a module call: where it is in the module.
fn origin_related(
    origin: &crate::load::ModuleOrigin,
    file: &Arc<SourceFile>,
    region: Region,
) -> crate::model::RelatedLocation {
    crate::model::RelatedLocation {
        file: file.path.clone(),
        region,
        message: format!(
            "in {} ({}), which {} calls",
            origin.call, origin.label, origin.file.path
        ),
    }
}

/// The related locations of a finding on `path`: the template line that emitted a value
/// placed on its values line.
pub fn related_of(doc: &Document, path: &[PathSeg]) -> Vec<crate::model::RelatedLocation> {
    match doc.emitted_line(path) {
        Some(line) => vec![emitted_by(doc, line)],
        None => Vec::new(),
    }
}

/// The template line that emitted a value placed on its values line.
fn emitted_by(doc: &Document, line: u32) -> crate::model::RelatedLocation {
    let len = doc
        .file
        .lines
        .line_text(&doc.file.text, line)
        .map_or(0, |l| l.trim_end().chars().count() as u32);
    crate::model::RelatedLocation {
        file: doc.file.path.clone(),
        region: Region {
            start: Pos::new(line, 1),
            end: Pos::new(line, len + 1),
        },
        message: "emitted by this template line".into(),
    }
}

/// The most bytes of JSON a finding's message shows of a result that is not a string.
const MAX_RESULT_TEXT: u64 = 64 << 10;

/// A result that is not a message string, as JSON, unless it is too large to be a message: a
/// policy can build a value that shares itself (`a1 := [a0, a0]`, …) and prints as terabytes.
fn result_text(item: &Value) -> String {
    if super::limits::json_len_within(item, MAX_RESULT_TEXT) > MAX_RESULT_TEXT {
        return format!(
            "(a policy result of more than {MAX_RESULT_TEXT} bytes as JSON, not shown)"
        );
    }
    item.to_json_str().unwrap_or_default()
}

/// A path given as an array (`["spec", "containers", 0]`) or a dotted string
/// (`spec.containers[0].image`).
pub fn parse_path(v: &Value) -> Vec<PathSeg> {
    match v {
        Value::Array(a) => a
            .iter()
            .filter_map(|seg| match seg {
                Value::String(s) => Some(PathSeg::Key(s.to_string())),
                Value::Number(_) => seg.as_u64().ok().map(|n| PathSeg::Index(n as usize)),
                _ => None,
            })
            .collect(),
        Value::String(s) => parse_dotted(s),
        _ => Vec::new(),
    }
}

fn parse_dotted(s: &str) -> Vec<PathSeg> {
    let mut out = Vec::new();
    let mut key = String::new();
    let mut chars = s.chars().peekable();
    let flush = |key: &mut String, out: &mut Vec<PathSeg>| {
        if !key.is_empty() {
            out.push(PathSeg::Key(std::mem::take(key)));
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '.' => flush(&mut key, &mut out),
            '[' => {
                flush(&mut key, &mut out);
                let mut inner = String::new();
                for c in chars.by_ref() {
                    if c == ']' {
                        break;
                    }
                    inner.push(c);
                }
                out.push(match inner.parse::<usize>() {
                    Ok(n) => PathSeg::Index(n),
                    Err(_) => PathSeg::Key(inner.trim_matches(['"', '\'']).to_string()),
                });
            }
            c => key.push(c),
        }
    }
    flush(&mut key, &mut out);
    out
}

/// Maps a field path to a region: the deepest existing node, from its key to the end of
/// its value when that is a scalar on the same line, else to the end of the key's line.
pub fn region_of(doc: &Document, path: &[PathSeg]) -> Region {
    place_of(doc, path).1
}

/// The file and region a field path maps to: the file of the deepest existing node (a
/// rendered Kustomize object's value may come from a patch), and its region there.
pub fn place_of<'d>(doc: &'d Document, path: &[PathSeg]) -> (&'d Arc<SourceFile>, Region) {
    let located = doc.node.locate(path);
    let file = doc.file_of(located.node);
    let line_end = |start: Pos| {
        let len = file
            .lines
            .line_text(&file.text, start.line)
            .map_or(0, |l| l.trim_end().chars().count() as u32);
        Pos::new(start.line, (len + 1).max(start.column + 1))
    };
    let (start, end) = match located.entry {
        Some(entry) => {
            let start = entry.key_start;
            let end = if located.node.is_scalar() {
                located.node.end_byte.map(|b| file.pos(b))
            } else {
                entry.key_end_byte.map(|b| file.pos(b))
            };
            (start, end)
        }
        None if located.depth == 0 => {
            // The whole resource: point at its `kind:` line, where a reader expects it.
            match doc.node.entry("kind") {
                Some(kind) => (kind.key_start, kind.value.end_byte.map(|b| file.pos(b))),
                None => (doc.node.start, None),
            }
        }
        None => (
            located.node.start,
            located.node.end_byte.map(|b| file.pos(b)),
        ),
    };
    let end = match end {
        Some(e) if e > start && e.line == start.line => e,
        _ => line_end(start),
    };
    (file, Region { start, end })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_paths() {
        assert_eq!(
            parse_dotted("spec.containers[1].securityContext"),
            vec![
                PathSeg::Key("spec".into()),
                PathSeg::Key("containers".into()),
                PathSeg::Index(1),
                PathSeg::Key("securityContext".into())
            ]
        );
        assert_eq!(
            parse_dotted("metadata.annotations[\"a.b/c\"]"),
            vec![
                PathSeg::Key("metadata".into()),
                PathSeg::Key("annotations".into()),
                PathSeg::Key("a.b/c".into())
            ]
        );
    }

    /// Every applicable built-in package of a pod spec is evaluated in the one batched query
    /// (the query is longer than the 1,024 columns regorus accepts on one line: a failure of it
    /// would silently fall back to one query per package, many times slower).
    #[test]
    fn built_in_packages_are_evaluated_in_one_batch() {
        let set = super::super::load(&super::super::Settings::default()).unwrap();
        let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  \
                    template:\n    spec:\n      containers:\n        - name: app\n          \
                    image: nginx\n";
        let loaded = crate::load::load_file(
            "deploy.yaml",
            text.as_bytes(),
            &crate::load::LoadOptions::default(),
        );
        let doc = &loaded.documents[0];
        let applicable = set.packages.iter().filter(|p| p.applies_to(doc)).count();
        assert!(applicable > 25, "{applicable}");
        // ...with the precompiled batch rule of its set of packages.
        let members: Vec<usize> = (0..set.packages.len())
            .filter(|&i| set.packages[i].applies_to(doc) && set.packages[i].exception.is_none())
            .collect();
        assert!(
            set.batches.contains_key(&members),
            "no batch rule for {members:?}"
        );
        let mut engine = set.engine.clone();
        let out = evaluate(&mut engine, &set, doc, Mode::Batched);
        assert_eq!(out.unbatched, 0);
        assert_eq!(out.evaluations, applicable);
        assert!(out.findings.len() > 5, "{:?}", out.findings);
        let per_rule = evaluate(&mut engine, &set, doc, Mode::PerRule);
        assert_eq!(per_rule.unbatched, applicable);
        assert_eq!(per_rule.findings.len(), out.findings.len());
    }

    #[test]
    fn exceptions_match_suffixes() {
        assert!(is_excepted("deny_run_as_root", &["run_as_root".into()]));
        assert!(is_excepted("deny", &["deny".into()]));
        assert!(!is_excepted("deny_other", &["run_as_root".into()]));
    }
}
