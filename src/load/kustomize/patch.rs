//! Patches: strategic merge (merging lists by their merge keys, honouring `$patch: delete`
//! and `$patch: replace`) and JSON 6902, selected by a patch's own identity or by a `target`.
//! Every node a patch brings keeps the patch's file and line.

use super::{entries_mut, get_mut, join, scalar_string, seq, within, Ctx, Kust, Res};
use crate::load::tree::{Entry, Node, Value};
use crate::model::Pos;
use std::collections::HashMap;

/// The objects of one patch phase, with what keeps patching linear in their number: an index
/// of the objects by kind and name (a patch without `target` looks its object up instead of
/// walking every object), and the objects deleted so far, removed all at once at the end of
/// the phase rather than one by one.
struct Patching {
    /// (kind, name) → indexes, by current and original name; built on first use. It may hold
    /// stale entries (an object renamed by a patch keeps its old one): candidates are checked.
    by_name: Option<HashMap<(String, String), Vec<usize>>>,
    deleted: Vec<bool>,
}

impl Patching {
    fn new(acc: &[Res]) -> Self {
        Self {
            by_name: None,
            deleted: vec![false; acc.len()],
        }
    }

    fn index(&mut self, acc: &[Res]) -> &HashMap<(String, String), Vec<usize>> {
        self.by_name.get_or_insert_with(|| {
            let mut index: HashMap<(String, String), Vec<usize>> = HashMap::new();
            for (i, r) in acc.iter().enumerate() {
                for name in [r.name(), r.orig_name.as_str()] {
                    let list = index
                        .entry((r.kind().to_string(), name.to_string()))
                        .or_default();
                    if list.last() != Some(&i) {
                        list.push(i);
                    }
                }
            }
            index
        })
    }

    /// An object a patch renamed: found under its new name too.
    fn renamed(&mut self, acc: &[Res], i: usize) {
        if let Some(index) = &mut self.by_name {
            let r = &acc[i];
            index
                .entry((r.kind().to_string(), r.name().to_string()))
                .or_default()
                .push(i);
        }
    }

    fn live(&self, i: usize) -> bool {
        !self.deleted.get(i).copied().unwrap_or(false)
    }

    /// Removes the deleted objects, keeping the order of the others.
    fn finish(self, acc: &mut Vec<Res>) {
        if !self.deleted.contains(&true) {
            return;
        }
        let mut i = 0;
        acc.retain(|_| {
            let keep = !self.deleted[i];
            i += 1;
            keep
        });
    }
}

/// The patch documents of one patch, and where to report problems with it.
struct Loaded {
    docs: Vec<Node>,
    site: (u16, Pos),
}

/// `patchesStrategicMerge:` (legacy): paths or inline patches, each matched by its identity.
pub(super) fn strategic_merge_files(cx: &mut Ctx, kust: &Kust, acc: &mut Vec<Res>) {
    let mut state = Patching::new(acc);
    for item in seq(kust.get("patchesStrategicMerge")) {
        let Some(text) = item.as_str() else {
            continue;
        };
        let loaded = if text.contains('\n') {
            inline(cx, item)
        } else {
            from_file(cx, kust, item, text)
        };
        if let Some(p) = loaded {
            apply(cx, p, None, acc, &mut state);
        }
    }
    state.finish(acc);
}

/// `patches:` — `path` or inline `patch`, strategic merge or JSON 6902, with an optional
/// `target`.
pub(super) fn patches(cx: &mut Ctx, kust: &Kust, acc: &mut Vec<Res>) {
    let mut state = Patching::new(acc);
    for item in seq(kust.get("patches")) {
        let loaded = match (item.get("path"), item.get("patch")) {
            (Some(p), _) => from_file(cx, kust, p, p.as_str().unwrap_or_default()),
            (None, Some(p)) => inline(cx, p),
            (None, None) => {
                cx.error(
                    item.src,
                    item.start,
                    "a patch needs `path` or `patch`; add one".to_string(),
                );
                None
            }
        };
        if let Some(p) = loaded {
            apply(cx, p, item.get("target"), acc, &mut state);
        }
    }
    state.finish(acc);
}

/// `patchesJson6902:` (legacy): a `target` and a `path` or inline `patch`.
pub(super) fn json6902_legacy(cx: &mut Ctx, kust: &Kust, acc: &mut Vec<Res>) {
    let mut state = Patching::new(acc);
    for item in seq(kust.get("patchesJson6902")) {
        let loaded = match (item.get("path"), item.get("patch")) {
            (Some(p), _) => from_file(cx, kust, p, p.as_str().unwrap_or_default()),
            (None, Some(p)) => inline(cx, p),
            (None, None) => None,
        };
        let Some(target) = item.get("target") else {
            cx.error(
                item.src,
                item.start,
                "a patchesJson6902 entry needs a `target`; add one".to_string(),
            );
            continue;
        };
        if let Some(p) = loaded {
            apply(cx, p, Some(target), acc, &mut state);
        }
    }
    state.finish(acc);
}

fn from_file(cx: &mut Ctx, kust: &Kust, item: &Node, rel: &str) -> Option<Loaded> {
    let path = join(&kust.dir, rel).filter(|p| within(&kust.dir, p));
    let Some(path) = path else {
        cx.error(
            item.src,
            item.start,
            format!(
                "patch {rel} is outside this kustomization's directory; kustomize's load \
                 restrictor refuses it — move the patch next to the kustomization"
            ),
        );
        return None;
    };
    let fid = cx.read_any(&path, (item.src, item.start))?;
    let docs = cx.parse(fid)?;
    Some(Loaded {
        docs: docs
            .into_iter()
            .filter(|d| !matches!(d.value, Value::Null))
            .collect(),
        site: (fid, Pos::new(1, 1)),
    })
}

/// An inline patch: parsed on its own, then placed at its lines in the kustomization (for a
/// `|` block; anything else points at the `patch:` value).
fn inline(cx: &mut Ctx, node: &Node) -> Option<Loaded> {
    let text = node.as_str().unwrap_or_default();
    let docs = match crate::load::parse_documents(text, &crate::load::LoadOptions::default()) {
        Ok(d) => d,
        Err(e) => {
            let line = e.pos.map_or(0, |p| p.line.saturating_sub(1));
            cx.error(
                node.src,
                Pos::new(node.start.line + line + 1, 1),
                format!("inline patch: {} — fix the syntax", e.message),
            );
            return None;
        }
    };
    let file_text = cx.text(node.src).to_string();
    let lines: Vec<&str> = file_text.lines().collect();
    let first = text.lines().next().unwrap_or_default();
    let block = [node.start.line + 1, node.start.line]
        .into_iter()
        .find_map(|l| {
            let line = lines.get(usize::try_from(l).ok()?.checked_sub(1)?)?;
            let indent = line.len() - line.trim_start().len();
            (line.get(indent..) == Some(first) && !first.is_empty()).then_some((l, indent))
        });
    let start = node.start;
    let place = move |p: Pos| match block {
        Some((l, indent)) => Pos::new(
            l + p.line - 1,
            p.column + u32::try_from(indent).unwrap_or(0),
        ),
        None => start,
    };
    let docs = docs
        .into_iter()
        .filter(|d| !matches!(d.value, Value::Null))
        .map(|mut d| {
            super::remap_positions(&mut d, &place);
            d.set_src(node.src);
            d
        })
        .collect();
    Some(Loaded {
        docs,
        site: (node.src, node.start),
    })
}

fn apply(
    cx: &mut Ctx,
    patch: Loaded,
    target: Option<&Node>,
    acc: &mut [Res],
    state: &mut Patching,
) {
    for doc in patch.docs {
        let site = if patch.site.0 == doc.src && patch.site.1 == Pos::new(1, 1) {
            (doc.src, doc.start)
        } else {
            patch.site
        };
        let chosen = match target {
            Some(t) => match select(acc, t) {
                Ok(found) => found.into_iter().filter(|&i| state.live(i)).collect(),
                Err(msg) => {
                    cx.error(t.src, t.start, msg);
                    continue;
                }
            },
            None if matches!(doc.value, Value::Map(_)) => by_identity(acc, &doc, state),
            None => {
                cx.error(
                    site.0,
                    site.1,
                    "a JSON 6902 patch needs a `target` in the kustomization; add one".to_string(),
                );
                continue;
            }
        };
        if chosen.is_empty() {
            let what = match target {
                Some(t) => describe_target(t),
                None => describe_identity(&doc),
            };
            // A Component rendered on its own says so once (see `render`): its patches are
            // meant for the objects of the kustomization that would list it.
            if !cx.standalone_component {
                cx.error(
                    site.0,
                    site.1,
                    format!(
                        "the patch's target ({what}) is not among the objects of the \
                         kustomization; the patch was not applied — fix the target or the patch"
                    ),
                );
            }
            continue;
        }
        for &i in &chosen {
            let before = acc[i].name().to_string();
            match &doc.value {
                Value::Seq(ops) => {
                    if let Err((at, msg)) = json6902(&mut acc[i].node, ops) {
                        cx.error(
                            at.0,
                            at.1,
                            format!("JSON 6902 patch on {}: {msg}", acc[i].name()),
                        );
                    }
                }
                _ => {
                    let kind = acc[i].kind().to_string();
                    if strategic_merge(&mut acc[i].node, &doc, &kind) == Outcome::Delete {
                        state.deleted[i] = true;
                    }
                }
            }
            if acc[i].name() != before {
                state.renamed(acc, i);
            }
        }
    }
}

fn describe_target(t: &Node) -> String {
    let Value::Map(entries) = &t.value else {
        return "?".into();
    };
    entries
        .iter()
        .map(|e| format!("{}={}", e.key, scalar_string(&e.value).unwrap_or_default()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn describe_identity(doc: &Node) -> String {
    let s = |n: Option<&Node>| n.and_then(Node::as_str).unwrap_or_default().to_string();
    let meta = doc.get("metadata");
    format!(
        "{} {}{}",
        s(doc.get("kind")),
        meta.and_then(|m| m.get("namespace"))
            .and_then(Node::as_str)
            .map_or(String::new(), |n| format!("{n}/")),
        s(meta.and_then(|m| m.get("name")))
    )
}

/// The objects a strategic-merge patch without `target` applies to: same kind, group, name
/// and namespace, by current or original identity.
fn by_identity(acc: &[Res], doc: &Node, state: &mut Patching) -> Vec<usize> {
    let kind = doc.get("kind").and_then(Node::as_str).unwrap_or_default();
    let api = doc.get("apiVersion").and_then(Node::as_str);
    let group = api.map(|a| a.rsplit_once('/').map_or("", |(g, _)| g));
    let meta = doc.get("metadata");
    let name = meta
        .and_then(|m| m.get("name"))
        .and_then(Node::as_str)
        .unwrap_or_default();
    let ns = meta
        .and_then(|m| m.get("namespace"))
        .and_then(Node::as_str)
        .filter(|s| !s.is_empty());
    let same_ns =
        |a: Option<&str>, b: Option<&str>| a.unwrap_or("default") == b.unwrap_or("default");
    let mut found: Vec<usize> = state
        .index(acc)
        .get(&(kind.to_string(), name.to_string()))
        .into_iter()
        .flatten()
        .copied()
        .filter(|&i| {
            let r = &acc[i];
            r.kind() == kind
                && group.is_none_or(|g| g == r.group())
                && (r.name() == name || r.orig_name == name)
                && (same_ns(ns, r.namespace()) || same_ns(ns, r.orig_ns.as_deref()))
        })
        .collect();
    found.sort_unstable();
    found.dedup();
    found.retain(|&i| state.live(i));
    found
}

/// A `target:` selector: group, version, kind (exact), name and namespace (anchored regular
/// expressions), labelSelector and annotationSelector.
fn select(acc: &[Res], t: &Node) -> Result<Vec<usize>, String> {
    let field = |k: &str| t.get(k).and_then(scalar_string).filter(|s| !s.is_empty());
    let regex = |k: &str| -> Result<Option<regex::Regex>, String> {
        field(k)
            .map(|p| {
                regex::Regex::new(&format!("^(?:{p})$"))
                    .map_err(|e| format!("target {k} is not a valid regular expression: {e}"))
            })
            .transpose()
    };
    let name = regex("name")?;
    let namespace = regex("namespace")?;
    let labels = field("labelSelector")
        .map(|s| parse_selector(&s))
        .transpose()?;
    let annotations = field("annotationSelector")
        .map(|s| parse_selector(&s))
        .transpose()?;
    let (group, version, kind) = (field("group"), field("version"), field("kind"));
    Ok((0..acc.len())
        .filter(|&i| {
            let r = &acc[i];
            group.as_deref().is_none_or(|g| g == r.group())
                && version.as_deref().is_none_or(|v| v == r.version())
                && kind.as_deref().is_none_or(|k| k == r.kind())
                && name
                    .as_ref()
                    .is_none_or(|re| re.is_match(r.name()) || re.is_match(&r.orig_name))
                && namespace.as_ref().is_none_or(|re| {
                    let cur = r.namespace().unwrap_or_default();
                    let orig = r.orig_ns.as_deref().unwrap_or_default();
                    re.is_match(cur) || re.is_match(orig)
                })
                && labels
                    .as_ref()
                    .is_none_or(|s| matches_selector(s, &r.string_map("labels")))
                && annotations
                    .as_ref()
                    .is_none_or(|s| matches_selector(s, &r.string_map("annotations")))
        })
        .collect())
}

/// One requirement of a label selector.
#[derive(Debug, PartialEq)]
enum Req {
    Eq(String, String),
    Ne(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

fn parse_selector(s: &str) -> Result<Vec<Req>, String> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    let list = |v: &str| -> Vec<String> {
        v.trim()
            .trim_start_matches('(')
            .trim_end_matches(')')
            .split(',')
            .map(|x| x.trim().to_string())
            .collect()
    };
    parts
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            if let Some((k, v)) = p.split_once("!=") {
                Ok(Req::Ne(k.trim().into(), v.trim().into()))
            } else if let Some((k, v)) = p.split_once("==").or_else(|| p.split_once('=')) {
                Ok(Req::Eq(k.trim().into(), v.trim().into()))
            } else if let Some((k, v)) = p.split_once(" notin ") {
                Ok(Req::NotIn(k.trim().into(), list(v)))
            } else if let Some((k, v)) = p.split_once(" in ") {
                Ok(Req::In(k.trim().into(), list(v)))
            } else if let Some(k) = p.strip_prefix('!') {
                Ok(Req::NotExists(k.trim().into()))
            } else if !p.contains(char::is_whitespace) {
                Ok(Req::Exists(p.into()))
            } else {
                Err(format!("cannot read the selector requirement `{p}`"))
            }
        })
        .collect()
}

fn matches_selector(reqs: &[Req], labels: &std::collections::BTreeMap<String, String>) -> bool {
    reqs.iter().all(|r| match r {
        Req::Eq(k, v) => labels.get(k) == Some(v),
        Req::Ne(k, v) => labels.get(k) != Some(v),
        Req::In(k, vs) => labels.get(k).is_some_and(|l| vs.contains(l)),
        Req::NotIn(k, vs) => labels.get(k).is_none_or(|l| !vs.contains(l)),
        Req::Exists(k) => labels.contains_key(k),
        Req::NotExists(k) => !labels.contains_key(k),
    })
}

#[derive(Debug, PartialEq)]
pub(super) enum Outcome {
    Keep,
    Delete,
}

fn directive(node: &Node) -> Option<&str> {
    node.get("$patch").and_then(Node::as_str)
}

/// Applies a strategic-merge patch to an object.
pub(super) fn strategic_merge(target: &mut Node, patch: &Node, kind: &str) -> Outcome {
    match directive(patch) {
        Some("delete") => return Outcome::Delete,
        Some("replace") => {
            // Everything but the identity comes from the patch.
            let keep: Vec<Entry> = match &target.value {
                Value::Map(entries) => entries
                    .iter()
                    .filter(|e| matches!(e.key.as_str(), "apiVersion" | "kind" | "metadata"))
                    .cloned()
                    .collect(),
                _ => Vec::new(),
            };
            let mut body = keep;
            if let Value::Map(entries) = &strip(patch).value {
                body.extend(
                    entries
                        .iter()
                        .filter(|e| !matches!(e.key.as_str(), "apiVersion" | "kind" | "metadata"))
                        .cloned(),
                );
            }
            target.value = Value::Map(body);
            return Outcome::Keep;
        }
        _ => {}
    }
    merge_map(target, patch, &mut Vec::new(), kind);
    Outcome::Keep
}

/// Kept when merging into an object: its identity (a targeted patch's own name is ignored).
fn identity_field(path: &[String], key: &str) -> bool {
    (path.is_empty() && matches!(key, "apiVersion" | "kind"))
        || (path.len() == 1 && path[0] == "metadata" && matches!(key, "name" | "namespace"))
}

fn merge_map(target: &mut Node, patch: &Node, path: &mut Vec<String>, kind: &str) {
    let Value::Map(patch_entries) = &patch.value else {
        *target = strip(patch);
        return;
    };
    if let Some(Value::Seq(keys)) = patch.get("$retainKeys").map(|n| &n.value) {
        let keep: Vec<String> = keys.iter().filter_map(scalar_string).collect();
        entries_mut(target).retain(|e| keep.contains(&e.key));
    }
    for pe in patch_entries {
        let key = pe.key.as_str();
        if key == "$patch" || key == "$retainKeys" || key.starts_with("$setElementOrder/") {
            continue;
        }
        if let Some(field) = key.strip_prefix("$deleteFromPrimitiveList/") {
            let gone: Vec<Value> = match &pe.value.value {
                Value::Seq(items) => items.iter().map(|n| n.value.clone()).collect(),
                _ => Vec::new(),
            };
            if let Some(Value::Seq(items)) = get_mut(target, field).map(|n| &mut n.value) {
                items.retain(|n| !gone.contains(&n.value));
            }
            continue;
        }
        if identity_field(path, key) {
            continue;
        }
        let entries = entries_mut(target);
        let existing = entries.iter().position(|e| e.key == key);
        if matches!(pe.value.value, Value::Null) {
            if let Some(i) = existing {
                entries.remove(i);
            }
            continue;
        }
        let Some(i) = existing else {
            if directive(&pe.value) != Some("delete") {
                entries.push(strip_entry(pe));
            }
            continue;
        };
        let te = &mut entries[i];
        match (&mut te.value.value, &pe.value.value) {
            (Value::Map(_), Value::Map(_)) => match directive(&pe.value) {
                Some("delete") => {
                    entries.remove(i);
                }
                Some("replace") => *te = strip_entry(pe),
                _ => {
                    path.push(key.to_string());
                    merge_map(&mut te.value, &pe.value, path, kind);
                    path.pop();
                }
            },
            (Value::Seq(_), Value::Seq(_)) => {
                if merge_list(&mut te.value, &pe.value, key, path, kind) {
                    // The patch's list replaced the object's: it points at the patch.
                    te.key_start = pe.key_start;
                    te.key_end_byte = pe.key_end_byte;
                    te.value.start = pe.value.start;
                    te.value.src = pe.value.src;
                }
            }
            _ => *te = strip_entry(pe),
        }
    }
}

/// The merge key of a list, from the Kubernetes API's `patchMergeKey`s; `None` means the
/// patch's list replaces the object's.
fn merge_key(field: &str, path: &[String], kind: &str, items: &[&Node]) -> Option<&'static str> {
    let known = match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "volumes"
        | "env"
        | "imagePullSecrets"
        | "resourceClaims"
        | "secrets" => Some("name"),
        "ports" if kind == "Service" && path.len() == 1 => Some("port"),
        "ports" => Some("containerPort"),
        "volumeMounts" => Some("mountPath"),
        "volumeDevices" => Some("devicePath"),
        "hostAliases" => Some("ip"),
        "topologySpreadConstraints" => Some("topologyKey"),
        "readinessGates" => Some("conditionType"),
        "conditions" => Some("type"),
        "ownerReferences" => Some("uid"),
        "args" | "command" | "tolerations" | "envFrom" | "subjects" | "rules" => return None,
        _ => None,
    };
    if known.is_some() {
        return known;
    }
    // Without a schema (custom resources), kustomize treats a list as keyed when every item
    // has one of these keys.
    const ASSOCIATIVE: [&str; 7] = [
        "mountPath",
        "devicePath",
        "ip",
        "type",
        "topologyKey",
        "name",
        "containerPort",
    ];
    if items.is_empty() {
        return None;
    }
    ASSOCIATIVE.into_iter().find(|k| {
        items
            .iter()
            .all(|n| n.get(k).is_some() || directive(n).is_some())
    })
}

/// Merges a list; `true` when the patch's list replaced the object's.
fn merge_list(
    target: &mut Node,
    patch: &Node,
    field: &str,
    path: &mut Vec<String>,
    kind: &str,
) -> bool {
    let Value::Seq(patch_items) = &patch.value else {
        return false;
    };
    if patch_items.iter().any(|n| {
        directive(n) == Some("replace") && matches!(&n.value, Value::Map(m) if m.len() == 1)
    }) {
        let items = patch_items
            .iter()
            .filter(|n| directive(n).is_none())
            .map(strip)
            .collect();
        target.value = Value::Seq(items);
        return true;
    }
    let all: Vec<&Node> = match &target.value {
        Value::Seq(t) => t.iter().chain(patch_items).collect(),
        _ => patch_items.iter().collect(),
    };
    let Some(key) = merge_key(field, path, kind, &all) else {
        *target = strip(patch);
        return true;
    };
    let Value::Seq(items) = &mut target.value else {
        return false;
    };
    for p in patch_items {
        let Some(kv) = p.get(key).and_then(scalar_string) else {
            if !matches!(p.value, Value::Map(_)) || directive(p).is_none() {
                items.push(strip(p));
            }
            continue;
        };
        let found = items
            .iter()
            .position(|t| t.get(key).and_then(scalar_string).as_deref() == Some(kv.as_str()));
        match (directive(p), found) {
            (Some("delete"), Some(i)) => {
                items.remove(i);
            }
            (Some("delete"), None) => {}
            (Some("replace"), Some(i)) => items[i] = strip(p),
            (_, Some(i)) => {
                path.push(field.to_string());
                merge_map(&mut items[i], p, path, kind);
                path.pop();
            }
            (_, None) => items.push(strip(p)),
        }
    }
    false
}

/// A patch node without its `$` directives (what ends up in the object).
fn strip(node: &Node) -> Node {
    let mut out = node.clone();
    strip_in_place(&mut out);
    out
}

fn strip_entry(e: &Entry) -> Entry {
    Entry {
        value: strip(&e.value),
        ..e.clone()
    }
}

fn strip_in_place(node: &mut Node) {
    match &mut node.value {
        Value::Map(entries) => {
            entries.retain(|e| !e.key.starts_with('$'));
            entries
                .iter_mut()
                .for_each(|e| strip_in_place(&mut e.value));
        }
        Value::Seq(items) => {
            items.retain(|n| directive(n) != Some("delete"));
            items.iter_mut().for_each(strip_in_place);
        }
        _ => {}
    }
}

/// A JSON pointer's steps (`~1` is `/`, `~0` is `~`).
fn pointer(p: &str) -> Result<Vec<String>, String> {
    if p.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = p.strip_prefix('/') else {
        return Err(format!("path {p} must start with /"));
    };
    Ok(rest
        .split('/')
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect())
}

fn child_mut<'a>(node: &'a mut Node, step: &str) -> Option<&'a mut Node> {
    match &mut node.value {
        Value::Map(entries) => entries
            .iter_mut()
            .find(|e| e.key == step)
            .map(|e| &mut e.value),
        Value::Seq(items) => step.parse::<usize>().ok().and_then(|i| items.get_mut(i)),
        _ => None,
    }
}

fn resolve_mut<'a>(node: &'a mut Node, steps: &[String]) -> Option<&'a mut Node> {
    let mut here = node;
    for s in steps {
        here = child_mut(here, s)?;
    }
    Some(here)
}

fn add(node: &mut Node, steps: &[String], value: Node, replace: bool) -> Result<(), String> {
    let Some((last, parent_steps)) = steps.split_last() else {
        *node = value;
        return Ok(());
    };
    let parent = resolve_mut(node, parent_steps)
        .ok_or_else(|| format!("path /{} does not exist", parent_steps.join("/")))?;
    match &mut parent.value {
        Value::Map(entries) => {
            let entry = Entry {
                key: last.clone(),
                key_start: value.start,
                key_end_byte: None,
                value,
            };
            match entries.iter_mut().find(|e| &e.key == last) {
                Some(e) => *e = entry,
                None if replace => return Err(format!("/{} does not exist", steps.join("/"))),
                None => entries.push(entry),
            }
        }
        Value::Seq(items) => {
            if last == "-" && !replace {
                items.push(value);
            } else {
                let i: usize = last
                    .parse()
                    .map_err(|_| format!("/{} is not a list index", steps.join("/")))?;
                if replace {
                    *items
                        .get_mut(i)
                        .ok_or_else(|| format!("/{} does not exist", steps.join("/")))? = value;
                } else if i <= items.len() {
                    items.insert(i, value);
                } else {
                    return Err(format!("/{} is past the end of the list", steps.join("/")));
                }
            }
        }
        _ => return Err(format!("/{} is inside a scalar", steps.join("/"))),
    }
    Ok(())
}

fn remove(node: &mut Node, steps: &[String]) -> Result<Node, String> {
    let Some((last, parent_steps)) = steps.split_last() else {
        return Err("cannot remove the whole object".into());
    };
    let missing = || format!("/{} does not exist", steps.join("/"));
    let parent = resolve_mut(node, parent_steps).ok_or_else(missing)?;
    match &mut parent.value {
        Value::Map(entries) => {
            let i = entries
                .iter()
                .position(|e| &e.key == last)
                .ok_or_else(missing)?;
            Ok(entries.remove(i).value)
        }
        Value::Seq(items) => {
            let i: usize = last.parse().map_err(|_| missing())?;
            (i < items.len())
                .then(|| items.remove(i))
                .ok_or_else(missing)
        }
        _ => Err(missing()),
    }
}

/// Applies JSON 6902 operations; an error names the operation's file and line.
fn json6902(node: &mut Node, ops: &[Node]) -> Result<(), ((u16, Pos), String)> {
    for op in ops {
        let at = (op.src, op.start);
        let s = |k: &str| op.get(k).and_then(Node::as_str);
        let name = s("op").unwrap_or_default();
        let path = pointer(s("path").unwrap_or_default()).map_err(|e| (at, e))?;
        let value = || {
            op.get("value")
                .cloned()
                .ok_or_else(|| (at, format!("`{name}` needs a `value`")))
        };
        let from = || pointer(s("from").unwrap_or_default()).map_err(|e| (at, e));
        match name {
            "add" => add(node, &path, value()?, false).map_err(|e| (at, e))?,
            "replace" => add(node, &path, value()?, true).map_err(|e| (at, e))?,
            "remove" => {
                remove(node, &path).map_err(|e| (at, e))?;
            }
            "move" => {
                let v = remove(node, &from()?).map_err(|e| (at, e))?;
                add(node, &path, v, false).map_err(|e| (at, e))?;
            }
            "copy" => {
                let src = from()?;
                let v = resolve_mut(node, &src)
                    .map(|n| n.clone())
                    .ok_or_else(|| (at, format!("/{} does not exist", src.join("/"))))?;
                add(node, &path, v, false).map_err(|e| (at, e))?;
            }
            "test" => {
                let want = value()?;
                let have = resolve_mut(node, &path).map(|n| n.to_json());
                if have.as_ref() != Some(&want.to_json()) {
                    return Err((
                        at,
                        format!(
                            "test of /{} failed; the patch was not applied further",
                            path.join("/")
                        ),
                    ));
                }
            }
            other => return Err((at, format!("unknown operation `{other}`"))),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Node {
        crate::load::parse_documents(text, &crate::load::LoadOptions::default())
            .unwrap()
            .remove(0)
    }

    #[test]
    fn merges_containers_by_name_and_env_by_name() {
        let mut t = parse(
            "kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n        image: x\n        env:\n        - name: A\n          value: '1'\n        - name: B\n          value: '2'\n      - name: b\n        image: y\n",
        );
        let p = parse(
            "kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n        env:\n        - name: A\n          value: '9'\n        - name: B\n          $patch: delete\n        - name: C\n          value: '3'\n",
        );
        assert_eq!(strategic_merge(&mut t, &p, "Deployment"), Outcome::Keep);
        let j = t.to_json();
        let c = &j["spec"]["template"]["spec"]["containers"];
        assert_eq!(c.as_array().unwrap().len(), 2);
        assert_eq!(c[0]["image"], "x");
        assert_eq!(
            c[0]["env"],
            serde_json::json!([{"name":"A","value":"9"},{"name":"C","value":"3"}])
        );
    }

    #[test]
    fn patch_delete_and_replace() {
        let mut t =
            parse("kind: Service\nspec:\n  ports:\n  - port: 80\n    name: a\n  - port: 81\n");
        let p = parse("kind: Service\nspec:\n  ports:\n  - port: 81\n    $patch: delete\n");
        strategic_merge(&mut t, &p, "Service");
        assert_eq!(
            t.to_json()["spec"]["ports"],
            serde_json::json!([{"port":80,"name":"a"}])
        );
        let p = parse("kind: Service\nspec:\n  ports:\n  - $patch: replace\n  - port: 90\n");
        strategic_merge(&mut t, &p, "Service");
        assert_eq!(
            t.to_json()["spec"]["ports"],
            serde_json::json!([{"port":90}])
        );
        let p = parse("kind: Service\n$patch: delete\n");
        assert_eq!(strategic_merge(&mut t, &p, "Service"), Outcome::Delete);
    }

    #[test]
    fn json6902_operations() {
        let mut t = parse("a:\n  b: [1, 2]\n  c: x\n");
        let ops = parse(
            "- {op: add, path: /a/b/-, value: 3}\n- {op: replace, path: /a/c, value: w}\n- {op: copy, from: /a/c, path: /a/d}\n- {op: move, from: /a/d, path: /e}\n- {op: remove, path: /a/b/0}\n- {op: test, path: /e, value: w}\n",
        );
        let Value::Seq(ops) = ops.value else { panic!() };
        json6902(&mut t, &ops).unwrap();
        assert_eq!(
            t.to_json(),
            serde_json::json!({"a": {"b": [2, 3], "c": "w"}, "e": "w"})
        );
        let bad = parse("- {op: test, path: /e, value: z}\n");
        let Value::Seq(bad) = bad.value else { panic!() };
        assert!(json6902(&mut t, &bad).is_err());
    }

    #[test]
    fn selectors() {
        let s = parse_selector("app=web, tier in (a,b), !legacy").unwrap();
        let mut labels = std::collections::BTreeMap::new();
        labels.insert("app".to_string(), "web".to_string());
        labels.insert("tier".to_string(), "b".to_string());
        assert!(matches_selector(&s, &labels));
        labels.insert("legacy".to_string(), "x".to_string());
        assert!(!matches_selector(&s, &labels));
    }
}
