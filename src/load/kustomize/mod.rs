//! Kustomize, rendered in-process as `kustomize build` (v5) renders it, with no external
//! binary: resources and bases, components, generators, patches and the built-in
//! transformers. Every node of a rendered object keeps where it came from: a value a patch
//! set points at the patch's line, a value kustomize invents (a namespace, a prefix, a label,
//! a hash suffix, an image rewrite) points at the kustomization line that asked for it, and
//! everything else at the base manifest.
//!
//! [`plan`] finds the kustomizations no other kustomization uses (those are rendered) and the
//! files they render (those are not loaded again on their own); [`render`] renders one.
//!
//! The repository is untrusted, so a render is bounded: by the number of objects it may hold
//! ([`MAX_OBJECTS`]), by the work of expanding kustomizations ([`MAX_EXPANSION_WORK`]) and by
//! how deeply kustomizations may nest ([`MAX_NESTING`]). A base that several kustomizations
//! of the render use is rendered once and reused, and an object added twice is refused as
//! kustomize refuses it, so a "diamond" (two overlays of one base, each used by two overlays
//! of the next level…) stays linear instead of doubling at every level. Past a budget the
//! render stops where it is, with an error notification (the scan is incomplete); what was
//! rendered so far is scanned, and other files and kustomizations go on.

mod generate;
mod patch;
mod transform;
pub(crate) use transform::is_cluster_scoped;

use super::tree::{Entry, Node, Value};
use super::{Document, Files, Group, LoadOptions, Loaded, Plan, SourceFile};
use crate::model::{NoteLevel, Notification, Pos};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

/// The names kustomize accepts for a kustomization file, in the order it looks for them.
const KUSTOMIZATION_FILES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// The most objects one render may hold, its bases' objects included. The largest real
/// overlays render a few thousand objects; this leaves room for generated manifests while
/// keeping memory bounded (a small object takes a few kilobytes once loaded).
pub const MAX_OBJECTS: usize = 200_000;

/// The most work one render may spend expanding kustomizations: every expansion of a
/// kustomization or component, and every reuse of a base rendered before, counts one plus
/// the number of objects it holds when it is done. An overlay of depth 3 over 100,000
/// objects spends about 300,000; kustomizations that include each other many times over
/// (components listed twice at every level, say) stop here.
pub const MAX_EXPANSION_WORK: usize = 1_000_000;

/// The deepest chain of kustomizations (an overlay of an overlay of … a base) one render
/// follows. Real trees are a handful deep.
pub const MAX_NESTING: usize = 32;

/// The limits of one render; `Budget::default()` holds the documented defaults
/// ([`MAX_OBJECTS`], [`MAX_EXPANSION_WORK`], [`MAX_NESTING`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub max_objects: usize,
    pub max_expansion_work: usize,
    pub max_nesting: usize,
}

impl Default for Budget {
    fn default() -> Self {
        Self {
            max_objects: MAX_OBJECTS,
            max_expansion_work: MAX_EXPANSION_WORK,
            max_nesting: MAX_NESTING,
        }
    }
}

/// Whether `path` names a kustomization file.
pub fn is_kustomization_file(path: &str) -> bool {
    KUSTOMIZATION_FILES.contains(&file_name(path))
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

/// The kustomization files of `dir`, in the order kustomize looks for them (found by binary
/// search in the sorted listing: a render must not walk every file of the scan, or a scan
/// with many kustomizations would take time quadratic in its size).
fn kustomization_files(files: &dyn Files, dir: &str) -> Vec<String> {
    let paths = files.paths();
    KUSTOMIZATION_FILES
        .iter()
        .map(|name| {
            if dir.is_empty() {
                (*name).to_string()
            } else {
                format!("{dir}/{name}")
            }
        })
        .filter(|p| paths.binary_search(p).is_ok())
        .collect()
}

/// Directories that hold a kustomization file, each with the kustomization files found there.
fn kustomization_dirs(files: &dyn Files) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for path in files.paths() {
        if is_kustomization_file(path) {
            out.entry(dir_of(path).to_string())
                .or_default()
                .push(path.clone());
        }
    }
    for found in out.values_mut() {
        found.sort_by_key(|p| KUSTOMIZATION_FILES.iter().position(|n| *n == file_name(p)));
    }
    out
}

/// `dir/rel`, normalised; `None` when it climbs above the repository root (or is absolute).
fn join(dir: &str, rel: &str) -> Option<String> {
    if rel.starts_with('/') {
        return None;
    }
    crate::source::normalize_join(dir, rel)
}

/// Whether `path` is `dir` or below it.
fn within(dir: &str, path: &str) -> bool {
    dir.is_empty() || path == dir || path.starts_with(&format!("{dir}/"))
}

/// A URL or a Git reference (`github.com/org/repo//dir?ref=v1`): kustomize would fetch it.
fn is_remote(rel: &str) -> bool {
    rel.contains("://")
        || rel.starts_with("git@")
        || rel.contains("?ref=")
        || rel.contains(".git//")
        || ["github.com/", "gitlab.com/", "bitbucket.org/"]
            .iter()
            .any(|h| rel.starts_with(h))
}

/// What a path in a kustomization refers to.
#[derive(Debug, PartialEq)]
enum Ref {
    /// A file of the scan.
    File(String),
    /// A directory with its own kustomization.
    Dir(String),
    Remote,
    /// Above the repository root.
    Escapes,
    /// A directory without a kustomization file.
    NotKustomization(String),
    Missing(String),
}

fn resolve(files: &dyn Files, dir: &str, rel: &str) -> Ref {
    if is_remote(rel) {
        return Ref::Remote;
    }
    let Some(path) = join(dir, rel) else {
        return Ref::Escapes;
    };
    if !kustomization_files(files, &path).is_empty() {
        return Ref::Dir(path);
    }
    let paths = files.paths();
    if paths.binary_search(&path).is_ok() {
        return Ref::File(path);
    }
    let prefix = format!("{path}/");
    let i = paths.partition_point(|p| p.as_str() < prefix.as_str());
    if path.is_empty() || paths.get(i).is_some_and(|p| p.starts_with(&prefix)) {
        return Ref::NotKustomization(path);
    }
    Ref::Missing(path)
}

/// How a kustomization uses a path.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Use {
    /// `resources` or `bases`: a manifest file or a kustomization directory.
    Resource,
    Component,
    /// A patch, a generator source or a configuration file.
    File,
}

/// Every path a kustomization names, with how it uses it.
fn references(root: &Node) -> Vec<(Use, &Node)> {
    let mut out = Vec::new();
    fn strings(n: Option<&Node>) -> Vec<&Node> {
        match n.map(|n| &n.value) {
            Some(Value::Seq(items)) => items.iter().filter(|i| i.as_str().is_some()).collect(),
            Some(Value::Str(_)) => n.into_iter().collect(),
            _ => Vec::new(),
        }
    }
    for field in ["resources", "bases"] {
        out.extend(
            strings(root.get(field))
                .into_iter()
                .map(|n| (Use::Resource, n)),
        );
    }
    out.extend(
        strings(root.get("components"))
            .into_iter()
            .map(|n| (Use::Component, n)),
    );
    for n in strings(root.get("patchesStrategicMerge")) {
        if !n.as_str().unwrap_or_default().contains('\n') {
            out.push((Use::File, n));
        }
    }
    for field in [
        "crds",
        "configurations",
        "transformers",
        "generators",
        "validators",
    ] {
        out.extend(strings(root.get(field)).into_iter().map(|n| (Use::File, n)));
    }
    for field in ["patches", "patchesJson6902", "replacements"] {
        for item in seq(root.get(field)) {
            if let Some(p) = item.get("path").filter(|p| p.as_str().is_some()) {
                out.push((Use::File, p));
            }
        }
    }
    for field in ["configMapGenerator", "secretGenerator"] {
        for g in seq(root.get(field)) {
            for n in strings(g.get("files")) {
                out.push((Use::File, n));
            }
            for n in strings(g.get("envs"))
                .into_iter()
                .chain(strings(g.get("env")))
            {
                out.push((Use::File, n));
            }
        }
    }
    out
}

/// The items of a sequence node (nothing for anything else).
fn seq(node: Option<&Node>) -> &[Node] {
    match node.map(|n| &n.value) {
        Some(Value::Seq(items)) => items,
        _ => &[],
    }
}

/// The path a generator `files:` entry reads (`key=path` or `path`).
fn generator_file_path(entry: &str) -> &str {
    entry.split_once('=').map_or(entry, |(_, p)| p)
}

/// Adds the top-level kustomizations of the scan to `plan`, and marks the files they render
/// as consumed: a base used only through an overlay is rendered with the overlay, not again
/// on its own. Problems are reported by [`render`], which sees them in context.
pub fn plan(files: &dyn Files, plan: &mut Plan) {
    let kdirs = kustomization_dirs(files);
    if kdirs.is_empty() {
        return;
    }
    let mut uses: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    // The files each kustomization reads itself (its own file, resources, patches, sources).
    let mut direct: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (dir, found) in &kdirs {
        plan.consumed.extend(found.iter().cloned());
        direct.entry(dir).or_default().extend(found.iter().cloned());
        let Some(Ok(file)) = files.read(&found[0]) else {
            continue;
        };
        let Ok(docs) = super::parse_documents(&file.text, &LoadOptions::default()) else {
            continue;
        };
        let Some(root) = docs.first() else {
            continue;
        };
        for (how, node) in references(root) {
            let rel = node.as_str().unwrap_or_default();
            let rel = if how == Use::File {
                generator_file_path(rel)
            } else {
                rel
            };
            match resolve(files, dir, rel) {
                Ref::Dir(d) if how != Use::File => uses.entry(dir).or_default().push(d),
                Ref::File(f) => {
                    direct.entry(dir).or_default().push(f.clone());
                    plan.consumed.insert(f);
                }
                _ => {}
            }
        }
    }
    let used: BTreeSet<&str> = uses.values().flatten().map(String::as_str).collect();
    let mut reached: BTreeSet<String> = BTreeSet::new();
    let visit = |start: &str, reached: &mut BTreeSet<String>| {
        let mut todo = vec![start.to_string()];
        while let Some(d) = todo.pop() {
            if kdirs.contains_key(&d) && reached.insert(d.clone()) {
                todo.extend(uses.get(d.as_str()).into_iter().flatten().cloned());
            }
        }
    };
    for dir in kdirs.keys() {
        if !used.contains(dir.as_str()) {
            plan.groups.push(Group::Kustomization(dir.clone()));
            visit(dir, &mut reached);
        }
    }
    // Kustomizations used only by each other (a cycle) are rendered too, to report it.
    for dir in kdirs.keys() {
        if !reached.contains(dir) {
            plan.groups.push(Group::Kustomization(dir.clone()));
            visit(dir, &mut reached);
        }
    }
    // Each group reads the files of every kustomization it reaches.
    let groups: Vec<Group> = plan
        .groups
        .iter()
        .filter(|g| matches!(g, Group::Kustomization(_)))
        .cloned()
        .collect();
    for group in groups {
        let mut mine = BTreeSet::new();
        visit(group.path(), &mut mine);
        for d in &mine {
            for f in direct.get(d.as_str()).into_iter().flatten() {
                plan.add_member(&group, f);
            }
        }
    }
}

/// Where a rendered value comes from: a position in one of the render's files.
#[derive(Debug, Clone, Copy)]
pub(super) struct At {
    pub start: Pos,
    pub end_byte: Option<u32>,
    pub src: u16,
}

impl At {
    pub fn of(node: &Node) -> Self {
        Self {
            start: node.start,
            end_byte: node.end_byte,
            src: node.src,
        }
    }

    pub fn node(&self, value: Value) -> Node {
        Node {
            value,
            start: self.start,
            end_byte: self.end_byte,
            src: self.src,
        }
    }

    pub fn entry(&self, key: &str, value: Value) -> Entry {
        Entry {
            key: key.to_string(),
            key_start: self.start,
            key_end_byte: None,
            value: self.node(value),
        }
    }
}

/// One object being rendered.
#[derive(Debug, Clone)]
pub(super) struct Res {
    pub node: Node,
    /// Render-wide id of the file the object was declared in (its base manifest, or the
    /// kustomization of a generator).
    pub file: u16,
    /// The YAML document's index in that file.
    pub index: usize,
    /// Name and namespace as declared, before any transformer (patches and name references
    /// find objects by either).
    pub orig_name: String,
    pub orig_ns: Option<String>,
    /// A generated ConfigMap or Secret whose name gets kustomize's content hash.
    pub hash: bool,
}

/// An object's current identity as kustomize compares them when it adds an object: group,
/// version, kind, name and effective namespace (empty is `default`; none for cluster-scoped
/// kinds).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct ResKey {
    api_version: String,
    kind: String,
    namespace: String,
    name: String,
}

impl std::fmt::Display for ResKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ns = if self.namespace.is_empty() {
            String::new()
        } else {
            format!("{}/", self.namespace)
        };
        write!(f, "{} {} {ns}{}", self.api_version, self.kind, self.name)
    }
}

impl Res {
    fn new(node: Node, file: u16, index: usize) -> Self {
        let mut r = Self {
            node,
            file,
            index,
            orig_name: String::new(),
            orig_ns: None,
            hash: false,
        };
        r.orig_name = r.name().to_string();
        r.orig_ns = r.namespace().map(str::to_string);
        r
    }

    pub fn key(&self) -> ResKey {
        let kind = self.kind();
        let namespace = if transform::is_cluster_scoped(kind) {
            ""
        } else {
            self.namespace().unwrap_or("default")
        };
        ResKey {
            api_version: self.api_version().to_string(),
            kind: kind.to_string(),
            namespace: namespace.to_string(),
            name: self.name().to_string(),
        }
    }

    pub fn kind(&self) -> &str {
        self.node
            .get("kind")
            .and_then(Node::as_str)
            .unwrap_or_default()
    }

    pub fn api_version(&self) -> &str {
        self.node
            .get("apiVersion")
            .and_then(Node::as_str)
            .unwrap_or_default()
    }

    /// API group (`apps`; empty for the core group).
    pub fn group(&self) -> &str {
        self.api_version().rsplit_once('/').map_or("", |(g, _)| g)
    }

    pub fn version(&self) -> &str {
        let v = self.api_version();
        v.rsplit_once('/').map_or(v, |(_, v)| v)
    }

    fn meta(&self, key: &str) -> Option<&Node> {
        self.node.get("metadata").and_then(|m| m.get(key))
    }

    pub fn name(&self) -> &str {
        self.meta("name").and_then(Node::as_str).unwrap_or_default()
    }

    pub fn namespace(&self) -> Option<&str> {
        self.meta("namespace")
            .and_then(Node::as_str)
            .filter(|s| !s.is_empty())
    }

    /// Labels or annotations as strings.
    pub fn string_map(&self, key: &str) -> BTreeMap<String, String> {
        match self.meta(key).map(|m| &m.value) {
            Some(Value::Map(entries)) => entries
                .iter()
                .map(|e| (e.key.clone(), scalar_string(&e.value).unwrap_or_default()))
                .collect(),
            _ => BTreeMap::new(),
        }
    }
}

/// A scalar as kustomize would write it in a string field.
pub(super) fn scalar_string(node: &Node) -> Option<String> {
    match &node.value {
        Value::Str(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Int(i) => Some(i.to_string()),
        Value::UInt(u) => Some(u.to_string()),
        Value::Float(f) => Some(f.to_string()),
        Value::Null => Some(String::new()),
        Value::Seq(_) | Value::Map(_) => None,
    }
}

/// The entries of a mapping node, made one if it is not.
pub(super) fn entries_mut(node: &mut Node) -> &mut Vec<Entry> {
    if !matches!(node.value, Value::Map(_)) {
        node.value = Value::Map(Vec::new());
    }
    match &mut node.value {
        Value::Map(entries) => entries,
        _ => unreachable!("made a mapping above"),
    }
}

pub(super) fn get_mut<'a>(node: &'a mut Node, key: &str) -> Option<&'a mut Node> {
    match &mut node.value {
        Value::Map(entries) => entries
            .iter_mut()
            .find(|e| e.key == key)
            .map(|e| &mut e.value),
        _ => None,
    }
}

/// Sets `key` to the whole `entry` (key position included), replacing any entry there.
pub(super) fn set_entry(node: &mut Node, entry: Entry) {
    let entries = entries_mut(node);
    match entries.iter_mut().find(|e| e.key == entry.key) {
        Some(e) => *e = entry,
        None => entries.push(entry),
    }
}

/// The mapping at `key`, created (positioned at `at`) when absent or not a mapping.
pub(super) fn map_at<'a>(node: &'a mut Node, key: &str, at: At) -> &'a mut Node {
    let entries = entries_mut(node);
    let i = match entries.iter().position(|e| e.key == key) {
        Some(i) => {
            if !matches!(entries[i].value.value, Value::Map(_)) {
                entries[i] = at.entry(key, Value::Map(Vec::new()));
            }
            i
        }
        None => {
            entries.push(at.entry(key, Value::Map(Vec::new())));
            entries.len() - 1
        }
    };
    &mut entries[i].value
}

/// Moves every position of a tree (inline patches are parsed on their own, then placed in
/// the kustomization that holds them).
fn remap_positions(node: &mut Node, f: &dyn Fn(Pos) -> Pos) {
    node.start = f(node.start);
    node.end_byte = None;
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(|n| remap_positions(n, f)),
        Value::Map(entries) => {
            for e in entries {
                e.key_start = f(e.key_start);
                e.key_end_byte = None;
                remap_positions(&mut e.value, f);
            }
        }
        _ => {}
    }
}

fn collect_srcs(node: &Node, out: &mut BTreeSet<u16>) {
    out.insert(node.src);
    match &node.value {
        Value::Seq(items) => items.iter().for_each(|n| collect_srcs(n, out)),
        Value::Map(entries) => entries.iter().for_each(|e| collect_srcs(&e.value, out)),
        _ => {}
    }
}

fn renumber_srcs(node: &mut Node, map: &HashMap<u16, u16>) {
    node.src = map.get(&node.src).copied().unwrap_or(0);
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(|n| renumber_srcs(n, map)),
        Value::Map(entries) => entries
            .iter_mut()
            .for_each(|e| renumber_srcs(&mut e.value, map)),
        _ => {}
    }
}

/// A parsed kustomization (or component) file.
pub(super) struct Kust {
    pub dir: String,
    pub fid: u16,
    pub root: Node,
    pub component: bool,
}

impl Kust {
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.root.get(key)
    }
}

/// The state of one render: the files it read (nodes name them by index), parsed files, and
/// what it has to report.
pub(super) struct Ctx<'a> {
    files: &'a dyn Files,
    opts: LoadOptions,
    table: Vec<Arc<SourceFile>>,
    ids: HashMap<String, u16>,
    parsed: HashMap<u16, Option<Vec<Node>>>,
    notes: Vec<Notification>,
    parse_error: Option<(String, Pos, String)>,
    /// The rendered kustomization is a Component no kustomization uses: its patches have
    /// nothing to apply to, which is expected rather than an error.
    standalone_component: bool,
    /// Directories used as a base more than once in this render (or from a component, which
    /// is expanded at every use): rendered once, then reused from `rendered`.
    shared: HashSet<String>,
    rendered: HashMap<String, Vec<Res>>,
    /// Cycles reported so far: a base rendered while a cycle was cut short is not reused
    /// (elsewhere it may render whole).
    cycles: usize,
    budget: Budget,
    /// Spent of `budget.max_expansion_work`.
    work: usize,
    /// A budget ran out: the render stops adding objects (reported once).
    exhausted: bool,
}

impl<'a> Ctx<'a> {
    pub fn path(&self, fid: u16) -> &str {
        &self.table[usize::from(fid)].path
    }

    /// Records a notification about a position in one of the render's files.
    pub fn note(&mut self, level: NoteLevel, code: &str, src: u16, pos: Pos, msg: String) {
        let path = self.path(src).to_string();
        self.notes.push(
            Notification::new(level, code, format!("{path}:{}: {msg}", pos.line))
                .at(path, Some(pos)),
        );
    }

    /// Records a notification about a file that may not have been read.
    pub fn note_path(
        &mut self,
        level: NoteLevel,
        code: &str,
        path: &str,
        pos: Option<Pos>,
        msg: String,
    ) {
        self.notes
            .push(Notification::new(level, code, msg).at(path.to_string(), pos));
    }

    pub fn error(&mut self, src: u16, pos: Pos, msg: String) {
        self.note(NoteLevel::Error, "kustomize-error", src, pos, msg);
    }

    fn file_id(&mut self, file: Arc<SourceFile>) -> u16 {
        if let Some(id) = self.ids.get(&file.path) {
            return *id;
        }
        let id = u16::try_from(self.table.len()).unwrap_or(u16::MAX);
        self.ids.insert(file.path.clone(), id);
        self.table.push(file);
        id
    }

    /// Reads a file of the scan; a problem is reported at `site` (the reference).
    pub fn read(&mut self, path: &str, site: (u16, Pos)) -> Option<u16> {
        if let Some(id) = self.ids.get(path) {
            return Some(*id);
        }
        match self.files.read(path) {
            Some(Ok(file)) => Some(self.file_id(file)),
            Some(Err(msg)) => {
                self.error(site.0, site.1, msg);
                None
            }
            None => {
                self.error(
                    site.0,
                    site.1,
                    format!(
                        "{path} is not part of the scan (excluded, or not a file); include it \
                         so the kustomization can be rendered"
                    ),
                );
                None
            }
        }
    }

    /// Reads a file that may be outside the scan's listing (a generator source).
    pub fn read_any(&mut self, path: &str, site: (u16, Pos)) -> Option<u16> {
        if self.ids.contains_key(path)
            || self.files.paths().binary_search(&path.to_string()).is_ok()
        {
            return self.read(path, site);
        }
        match self.files.read_unlisted(path) {
            Some(Ok(file)) => Some(self.file_id(file)),
            Some(Err(msg)) => {
                self.error(site.0, site.1, msg);
                None
            }
            None => {
                self.error(
                    site.0,
                    site.1,
                    format!("{path} does not exist; fix the path or add the file"),
                );
                None
            }
        }
    }

    /// The text of a file read with [`Ctx::read`].
    pub fn text(&self, fid: u16) -> &str {
        &self.table[usize::from(fid)].text
    }

    /// Parses a file read with [`Ctx::read`] (once per render); a syntax error is reported in
    /// that file.
    pub fn parse(&mut self, fid: u16) -> Option<Vec<Node>> {
        if let Some(done) = self.parsed.get(&fid) {
            return done.clone();
        }
        let file = Arc::clone(&self.table[usize::from(fid)]);
        let result = match super::parse_documents(&file.text, &self.opts) {
            Ok(mut nodes) => {
                nodes.iter_mut().for_each(|n| n.set_src(fid));
                Some(nodes)
            }
            Err(err) => {
                let pos = err.pos.unwrap_or(Pos::new(1, 1));
                self.note(
                    NoteLevel::Error,
                    "parse-error",
                    fid,
                    pos,
                    format!(
                        "{} — fix the syntax; the kustomization that uses this file is rendered \
                         without it",
                        err.message
                    ),
                );
                if self.parse_error.is_none() {
                    self.parse_error = Some((file.path.clone(), pos, err.message));
                }
                None
            }
        };
        self.parsed.insert(fid, result.clone());
        result
    }

    /// Reads and parses the kustomization of `dir`.
    fn load_kust(&mut self, dir: &str) -> Option<Kust> {
        let found = kustomization_files(self.files, dir);
        if found.is_empty() {
            return None;
        }
        let fid = match self.files.read(&found[0]) {
            Some(Ok(file)) => self.file_id(file),
            Some(Err(msg)) => {
                self.note_path(NoteLevel::Error, "read-error", &found[0], None, msg);
                return None;
            }
            None => return None,
        };
        if found.len() > 1 {
            self.error(
                fid,
                Pos::new(1, 1),
                format!(
                    "{} holds more than one kustomization file ({}); kustomize refuses this — \
                     keep one",
                    if dir.is_empty() { "." } else { dir },
                    found.join(", ")
                ),
            );
        }
        let mut docs = self.parse(fid)?;
        let root = if docs.is_empty() {
            Node::new(Value::Map(Vec::new()), Pos::new(1, 1), None)
        } else {
            docs.swap_remove(0)
        };
        if !matches!(root.value, Value::Map(_)) {
            self.error(
                fid,
                root.start,
                "a kustomization must be a mapping of fields; fix the file".to_string(),
            );
            return None;
        }
        let component = root.get("kind").and_then(Node::as_str) == Some("Component");
        Some(Kust {
            dir: dir.to_string(),
            fid,
            root,
            component,
        })
    }
}

/// Renders the kustomization in `dir` with everything it uses. Never fails: problems become
/// notifications (with the file and line of the reference), and the rest renders.
pub fn render(files: &dyn Files, dir: &str, opts: &LoadOptions) -> Loaded {
    render_with(files, dir, opts, Budget::default())
}

/// [`render`] within other limits than the defaults (tests use small ones).
pub fn render_with(files: &dyn Files, dir: &str, opts: &LoadOptions, budget: Budget) -> Loaded {
    let mut cx = Ctx {
        files,
        // Patches need whole bodies: no kind is skipped while parsing.
        opts: LoadOptions {
            keep_kinds: None,
            ..opts.clone()
        },
        table: Vec::new(),
        ids: HashMap::new(),
        parsed: HashMap::new(),
        notes: Vec::new(),
        parse_error: None,
        standalone_component: false,
        shared: HashSet::new(),
        rendered: HashMap::new(),
        cycles: 0,
        budget,
        work: 0,
        exhausted: false,
    };
    cx.shared = shared_bases(files, dir);
    let mut stack = Vec::new();
    let mut out = Loaded::default();
    if let Some(kust) = cx.load_kust(dir) {
        if kust.component {
            cx.standalone_component = true;
            let patches = ["patches", "patchesStrategicMerge", "patchesJson6902"]
                .iter()
                .map(|f| seq(kust.get(f)).len())
                .sum::<usize>();
            if patches > 0 {
                cx.note(
                    NoteLevel::Note,
                    "kustomize-unused-component",
                    kust.fid,
                    kust.root.start,
                    format!(
                        "this Component is used by no kustomization of the scan: its own \
                         resources are scanned, and its {patches} patch(es) apply only to what \
                         it holds (they are meant for the kustomization that lists it under \
                         `components:`)"
                    ),
                );
            }
        }
        stack.push(kust.dir.clone());
        let mut acc = Vec::new();
        cx.accumulate(&kust, &mut acc, &mut stack);
        transform::finish(&mut cx, &mut acc);
        out.documents = acc.into_iter().map(|r| cx.document(r)).collect();
    }
    out.notifications = std::mem::take(&mut cx.notes);
    out.parse_error = cx.parse_error.take();
    out
}

/// The directories that a render of `root` would expand more than once: used as a base by
/// two or more of the kustomizations it reaches, or by a component (expanded at every use).
/// Rendering them once and reusing the result keeps a diamond of overlays linear; the others
/// are rendered once anyway and are not kept.
fn shared_bases(files: &dyn Files, root: &str) -> HashSet<String> {
    let mut uses: HashMap<String, usize> = HashMap::new();
    let mut shared = HashSet::new();
    let mut seen = HashSet::new();
    let mut todo = vec![root.to_string()];
    while let Some(dir) = todo.pop() {
        if !seen.insert(dir.clone()) {
            continue;
        }
        let Some(found) = kustomization_files(files, &dir).into_iter().next() else {
            continue;
        };
        let Some(Ok(file)) = files.read(&found) else {
            continue;
        };
        let Ok(docs) = super::parse_documents(&file.text, &LoadOptions::default()) else {
            continue;
        };
        let Some(node) = docs.first() else {
            continue;
        };
        let component = node.get("kind").and_then(Node::as_str) == Some("Component");
        for (how, item) in references(node) {
            if how == Use::File {
                continue;
            }
            let Ref::Dir(sub) = resolve(files, &dir, item.as_str().unwrap_or_default()) else {
                continue;
            };
            let n = uses.entry(sub.clone()).or_default();
            *n += 1;
            if *n > 1 || component {
                shared.insert(sub.clone());
            }
            todo.push(sub);
        }
    }
    shared
}

impl Ctx<'_> {
    /// Everything one kustomization (or component, into its user's objects) contributes, in
    /// kustomize's order: resources, components, generators, then the transformers.
    ///
    /// Once a budget has run out nothing more is expanded or generated, but the transformers
    /// still apply to what is there, so the objects rendered so far are scanned as rendered.
    fn accumulate(&mut self, kust: &Kust, acc: &mut Vec<Res>, stack: &mut Vec<String>) {
        if self.exhausted {
            return;
        }
        // What `acc` holds already (a component adds to its user's objects): an object added
        // again is refused, as kustomize refuses it.
        let mut ids: HashSet<ResKey> = acc.iter().map(Res::key).collect();
        for field in ["resources", "bases"] {
            for item in seq(kust.get(field)) {
                if !self.exhausted {
                    self.resource(kust, item, acc, &mut ids, stack);
                }
            }
        }
        drop(ids);
        for item in seq(kust.get("components")) {
            if !self.exhausted {
                self.component(kust, item, acc, stack);
            }
        }
        if !self.exhausted {
            generate::run(self, kust, acc);
        }
        self.unsupported(kust);
        patch::strategic_merge_files(self, kust, acc);
        patch::patches(self, kust, acc);
        transform::namespace(kust, acc);
        transform::prefix_suffix(kust, acc);
        transform::labels(kust, acc);
        transform::annotations(kust, acc);
        patch::json6902_legacy(self, kust, acc);
        transform::replicas(kust, acc);
        transform::images(kust, acc);
        self.charge(1 + acc.len(), kust.fid, kust.root.start);
    }

    /// Whether one more object may join `held` objects (`budget.max_objects`); the first refusal
    /// stops the render and is reported at `pos`. After a stop, the objects rendered so far
    /// still reach the kustomizations above, within the limit.
    pub fn admit(&mut self, held: usize, src: u16, pos: Pos) -> bool {
        let max = self.budget.max_objects;
        if held < max {
            return true;
        }
        if self.exhausted {
            return false;
        }
        self.exhaust(
            src,
            pos,
            format!("it would hold more than {max} objects (the limit of one render)"),
        );
        false
    }

    /// Spends `cost` of `budget.max_expansion_work`; `false` (reported at `pos`, and the render
    /// stops) when it is spent.
    fn charge(&mut self, cost: usize, src: u16, pos: Pos) -> bool {
        if self.exhausted {
            return false;
        }
        self.work = self.work.saturating_add(cost);
        let max = self.budget.max_expansion_work;
        if self.work <= max {
            return true;
        }
        self.exhaust(
            src,
            pos,
            format!(
                "expanding its kustomizations took more than {max} units of work \
                 (the limit of one render: each kustomization or component expanded, and each \
                 base reused, counts one plus the objects it holds)"
            ),
        );
        false
    }

    /// A budget ran out: the render stops expanding (reported once, naming the rendered
    /// kustomization and the limit).
    fn exhaust(&mut self, src: u16, pos: Pos, why: String) {
        self.exhausted = true;
        let root = self.path(0).to_string();
        self.note(
            NoteLevel::Error,
            "kustomize-budget",
            src,
            pos,
            format!(
                "rendering {root} stops here: {why}. Kustomizations that include the same \
                 bases many times over (a diamond of overlays, a component listed at every \
                 level) multiply the work; the objects rendered so far are scanned, the rest \
                 is not, and the scan is incomplete — include each base once"
            ),
        );
    }
    /// Reports the fields this renderer does not apply (the objects are still scanned).
    fn unsupported(&mut self, kust: &Kust) {
        const FIELDS: [&str; 11] = [
            "replacements",
            "vars",
            "helmCharts",
            "helmChartInflationGenerator",
            "transformers",
            "generators",
            "validators",
            "configurations",
            "crds",
            "openapi",
            "patchesJson6902Inline",
        ];
        let Value::Map(entries) = &kust.root.value else {
            return;
        };
        for e in entries {
            if FIELDS.contains(&e.key.as_str()) {
                self.note(
                    NoteLevel::Warning,
                    "kustomize-unsupported",
                    kust.fid,
                    e.key_start,
                    format!(
                        "`{}` is not applied by Plumbline's Kustomize renderer: the objects are \
                         scanned as rendered without it",
                        e.key
                    ),
                );
            }
        }
    }

    /// Reports a reference that cannot be followed; `true` when it can.
    fn check_ref(&mut self, item: &Node, rel: &str, r: &Ref) -> bool {
        let msg = match r {
            Ref::File(_) | Ref::Dir(_) => return true,
            Ref::Remote => {
                self.note(
                    NoteLevel::Warning,
                    "kustomize-remote",
                    item.src,
                    item.start,
                    format!(
                        "remote resource {rel} is not rendered: Plumbline reads only the \
                         repository, so its objects are not scanned"
                    ),
                );
                return false;
            }
            Ref::Escapes => format!(
                "{rel} leads outside the repository; kustomize's load restrictor refuses it \
                 too — keep what a kustomization uses inside the repository"
            ),
            Ref::NotKustomization(p) => format!(
                "{rel} is a directory ({}) without a kustomization file; add one or list its \
                 files",
                if p.is_empty() { "." } else { p }
            ),
            Ref::Missing(p) => format!(
                "{rel} does not exist ({p} is not in the scan); fix the path, or include the \
                 file in the scan"
            ),
        };
        self.error(item.src, item.start, msg);
        false
    }

    fn cycle(&mut self, item: &Node, rel: &str, dir: &str, stack: &[String]) -> bool {
        if !stack.iter().any(|d| d == dir) {
            return false;
        }
        self.cycles += 1;
        let chain: Vec<&str> = stack
            .iter()
            .map(|d| if d.is_empty() { "." } else { d.as_str() })
            .chain([if dir.is_empty() { "." } else { dir }])
            .collect();
        self.error(
            item.src,
            item.start,
            format!(
                "{rel} includes a kustomization that is already being built ({}): a cycle; \
                 remove the reference",
                chain.join(" -> ")
            ),
        );
        true
    }

    /// Whether a kustomization may nest one level deeper (`budget.max_nesting`); reported at
    /// the entry when not.
    fn may_nest(&mut self, item: &Node, rel: &str, stack: &[String]) -> bool {
        let max = self.budget.max_nesting;
        if stack.len() < max {
            return true;
        }
        self.error(
            item.src,
            item.start,
            format!(
                "{rel} is not rendered: kustomizations nest more than {max} levels deep \
                 here (from {}), the limit of one render — a chain this long is not a real \
                 overlay tree; its objects are not scanned",
                stack
                    .first()
                    .map_or(".", |d| if d.is_empty() { "." } else { d })
            ),
        );
        false
    }

    /// One `resources:` (or `bases:`) entry.
    fn resource(
        &mut self,
        kust: &Kust,
        item: &Node,
        acc: &mut Vec<Res>,
        ids: &mut HashSet<ResKey>,
        stack: &mut Vec<String>,
    ) {
        let Some(rel) = item.as_str() else {
            self.error(
                item.src,
                item.start,
                "a resource must be a path (a string)".to_string(),
            );
            return;
        };
        let r = resolve(self.files, &kust.dir, rel);
        if !self.check_ref(item, rel, &r) {
            return;
        }
        match r {
            Ref::File(path) => {
                if is_kustomization_file(&path) && dir_of(&path) == kust.dir {
                    self.error(
                        item.src,
                        item.start,
                        format!("{rel} is this kustomization itself: it includes itself; remove the entry"),
                    );
                    return;
                }
                if !within(&kust.dir, &path) {
                    self.error(
                        item.src,
                        item.start,
                        format!(
                            "{rel} is a file outside this kustomization's directory; kustomize's \
                             default load restrictor refuses it — make it a resource of a \
                             kustomization in its own directory (a base)"
                        ),
                    );
                    return;
                }
                let objects = self.manifest(&path, item);
                self.add(item, rel, objects, acc, ids);
            }
            Ref::Dir(dir) => {
                if self.cycle(item, rel, &dir, stack) {
                    return;
                }
                if let Some(done) = self.rendered.get(&dir) {
                    if self.charge(1 + done.len(), item.src, item.start) {
                        let objects = self.rendered[&dir].clone();
                        self.add(item, rel, objects, acc, ids);
                    }
                    return;
                }
                if !self.may_nest(item, rel, stack) {
                    return;
                }
                let Some(sub) = self.load_kust(&dir) else {
                    return;
                };
                if sub.component {
                    self.error(
                        item.src,
                        item.start,
                        format!(
                            "{rel} is a Component; list it under `components:`, not `resources:`"
                        ),
                    );
                    return;
                }
                stack.push(dir.clone());
                let cycles = self.cycles;
                let mut own = Vec::new();
                self.accumulate(&sub, &mut own, stack);
                stack.pop();
                if self.shared.contains(&dir) && self.cycles == cycles && !self.exhausted {
                    self.rendered.insert(dir, own.clone());
                }
                self.add(item, rel, own, acc, ids);
            }
            _ => {}
        }
    }

    /// Adds the objects of one `resources:` entry. An object whose identity is there already
    /// is refused, as kustomize refuses it ("may not add resource with an already registered
    /// id"), once per entry; past `budget.max_objects` the render stops.
    fn add(
        &mut self,
        item: &Node,
        rel: &str,
        objects: Vec<Res>,
        acc: &mut Vec<Res>,
        ids: &mut HashSet<ResKey>,
    ) {
        let mut repeated: Option<ResKey> = None;
        let mut repeats = 0usize;
        for res in objects {
            let key = res.key();
            if ids.contains(&key) {
                repeats += 1;
                repeated.get_or_insert(key);
                continue;
            }
            if !self.admit(acc.len(), item.src, item.start) {
                break;
            }
            ids.insert(key);
            acc.push(res);
        }
        if let Some(first) = repeated {
            self.error(
                item.src,
                item.start,
                format!(
                    "{rel} adds {repeats} object(s) this kustomization already has (the first: \
                     {first}); kustomize refuses this (\"may not add resource with an already \
                     registered id\") — include each base and manifest once. The first copy \
                     is scanned"
                ),
            );
        }
    }

    /// The objects of one manifest file.
    fn manifest(&mut self, path: &str, item: &Node) -> Vec<Res> {
        let mut acc = Vec::new();
        let Some(fid) = self.read(path, (item.src, item.start)) else {
            return acc;
        };
        let Some(docs) = self.parse(fid) else {
            return acc;
        };
        for (index, node) in docs.into_iter().enumerate() {
            if matches!(node.value, Value::Null) {
                continue;
            }
            let mut flat = Vec::new();
            super::kubernetes::push_documents(
                &self.table[usize::from(fid)].clone(),
                index,
                node,
                &mut flat,
            );
            for doc in flat {
                if doc.resource.is_none() {
                    self.error(
                        fid,
                        doc.node.start,
                        "not a Kubernetes object (no apiVersion and kind), which kustomize \
                         refuses; fix the document or remove the file from `resources:`"
                            .to_string(),
                    );
                    continue;
                }
                acc.push(Res::new(doc.node, fid, index));
            }
        }
        acc
    }

    /// One `components:` entry: applied to the objects accumulated so far.
    fn component(&mut self, kust: &Kust, item: &Node, acc: &mut Vec<Res>, stack: &mut Vec<String>) {
        let Some(rel) = item.as_str() else {
            return;
        };
        let r = resolve(self.files, &kust.dir, rel);
        if !self.check_ref(item, rel, &r) {
            return;
        }
        let Ref::Dir(dir) = r else {
            self.error(
                item.src,
                item.start,
                format!("{rel} is a file; a component is a directory with a kustomization of kind Component"),
            );
            return;
        };
        if self.cycle(item, rel, &dir, stack) || !self.may_nest(item, rel, stack) {
            return;
        }
        let Some(comp) = self.load_kust(&dir) else {
            return;
        };
        if !comp.component {
            self.error(
                item.src,
                item.start,
                format!("{rel} is not a Component (kind: Component); list it under `resources:`"),
            );
            return;
        }
        stack.push(dir);
        self.accumulate(&comp, acc, stack);
        stack.pop();
    }

    /// The document reports see: the object with its base manifest as its file and every
    /// other file its nodes come from as extra files.
    fn document(&self, res: Res) -> Document {
        let mut used = BTreeSet::new();
        collect_srcs(&res.node, &mut used);
        used.remove(&res.file);
        let mut map = HashMap::from([(res.file, 0u16)]);
        let mut extra = Vec::new();
        for (i, src) in used.into_iter().enumerate() {
            map.insert(src, u16::try_from(i + 1).unwrap_or(u16::MAX));
            extra.push(Arc::clone(&self.table[usize::from(src)]));
        }
        let mut node = res.node;
        renumber_srcs(&mut node, &map);
        let mut doc = Document::new(
            Arc::clone(&self.table[usize::from(res.file)]),
            res.index,
            node,
        );
        doc.resource = super::kubernetes::identity(&doc.node);
        doc.extra_files = extra;
        doc
    }
}
