//! Bytes → documents with positions. One module per format; YAML and JSON share the YAML
//! parser (JSON is YAML), so every value keeps its line and column in both.

pub mod cloudformation;
pub mod dockerfile;
pub mod kubernetes;
pub mod kustomize;
pub mod terraform;
pub mod tree;

use crate::model::{NoteLevel, Notification, Pos, ResourceId, Subject};
use std::sync::Arc;
use tree::{LineIndex, Node};

/// A file that was read, kept for positions and source lines in reports.
#[derive(Debug)]
pub struct SourceFile {
    /// Repository-relative path with `/` separators (what reports show).
    pub path: String,
    pub text: String,
    pub lines: LineIndex,
}

impl SourceFile {
    pub fn new(path: String, text: String) -> Self {
        let lines = LineIndex::new(&text);
        Self { path, text, lines }
    }

    pub fn pos(&self, byte: u32) -> Pos {
        self.lines.pos(&self.text, byte)
    }
}

/// One document of a file: a Kubernetes object (a `kind: List` gives one per item) or any
/// other YAML/JSON value.
#[derive(Debug)]
pub struct Document {
    pub file: Arc<SourceFile>,
    /// Index of the YAML document within the file (0-based).
    pub index: usize,
    pub node: Node,
    /// Set for Kubernetes objects (`apiVersion` and `kind` present).
    pub resource: Option<ResourceId>,
    /// Set for the resources of the other formats (Terraform, CloudFormation, Dockerfile).
    pub subject: Option<Subject>,
    /// Other files some nodes come from (`Node::src` indexes them from 1): the bases and
    /// patches of a rendered Kustomize object.
    pub extra_files: Vec<Arc<SourceFile>>,
    /// The resources checked together with this one (`input.related`): the others of its
    /// Terraform module, CloudFormation stack or plan module.
    pub related: Option<Related>,
}

/// The resources of one module or stack, as `input.related` lists them, built once and shared
/// by the documents of all of them (each sees the others): copying them into every document
/// would grow with the square of the module's size.
#[derive(Debug)]
pub struct RelatedSet {
    items: Vec<Node>,
    rego: std::sync::OnceLock<Vec<regorus::Value>>,
    /// The items' indexes by `type`, with the array of their Rego values.
    by_type: std::sync::OnceLock<std::collections::BTreeMap<String, (Vec<usize>, regorus::Value)>>,
}

impl RelatedSet {
    pub fn new(items: Vec<Node>) -> Arc<Self> {
        Arc::new(Self {
            items,
            rego: std::sync::OnceLock::new(),
            by_type: std::sync::OnceLock::new(),
        })
    }

    pub fn items(&self) -> &[Node] {
        &self.items
    }

    /// The items as Rego values, converted on first use (by whichever worker needs them).
    fn rego(&self) -> &[regorus::Value] {
        self.rego
            .get_or_init(|| self.items.iter().map(Node::to_rego).collect())
    }

    fn by_type(&self) -> &std::collections::BTreeMap<String, (Vec<usize>, regorus::Value)> {
        self.by_type.get_or_init(|| {
            let rego = self.rego();
            let mut index: std::collections::BTreeMap<String, Vec<usize>> = Default::default();
            for (i, item) in self.items.iter().enumerate() {
                if let Some(ty) = item.get("type").and_then(Node::as_str) {
                    index.entry(ty.to_string()).or_default().push(i);
                }
            }
            index
                .into_iter()
                .map(|(ty, members)| {
                    let values = members.iter().map(|&i| rego[i].clone()).collect::<Vec<_>>();
                    (ty, (members, regorus::Value::from(values)))
                })
                .collect()
        })
    }
}

/// A document's view of a [`RelatedSet`]: every item but its own.
#[derive(Debug, Clone)]
pub struct Related {
    pub set: Arc<RelatedSet>,
    /// The document's own item in the set, left out of what it sees.
    pub me: Option<usize>,
    /// Set for the namespace pass: the Kubernetes namespace the set is of.
    pub namespace: Option<String>,
    /// The items the document sees, ascending, when a relation narrows the set to fewer than
    /// all (`custom.related_by`); `None`: every item but its own.
    pub only: Option<Arc<[usize]>>,
}

impl Related {
    pub fn new(set: &Arc<RelatedSet>, me: Option<usize>) -> Self {
        Self {
            set: Arc::clone(set),
            me,
            namespace: None,
            only: None,
        }
    }

    /// The indexes of the items the document sees, in order.
    fn seen(&self) -> Box<dyn Iterator<Item = usize> + '_> {
        match &self.only {
            Some(only) => Box::new(only.iter().copied().filter(|&i| Some(i) != self.me)),
            None => Box::new((0..self.set.items.len()).filter(|&i| Some(i) != self.me)),
        }
    }

    /// The other items, in order.
    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.seen().map(|i| &self.set.items[i])
    }

    /// `input.related`: the other items as a Rego array (their converted values are shared,
    /// only the array is new).
    pub fn to_rego(&self) -> regorus::Value {
        let all = self.set.rego();
        regorus::Value::from(self.seen().map(|i| all[i].clone()).collect::<Vec<_>>())
    }

    /// `input.related_by_type`: the other items grouped by their `type` (an object of arrays),
    /// so that a policy looking for one type does not walk the whole module. `None` when no
    /// item has a type (Kubernetes objects). Only the document's own type's array is new.
    pub fn by_type_to_rego(&self) -> Option<regorus::Value> {
        let index = self.set.by_type();
        if index.is_empty() {
            return None;
        }
        let own = self
            .me
            .and_then(|m| self.set.items[m].get("type"))
            .and_then(Node::as_str);
        let rego = self.set.rego();
        let mut map = std::collections::BTreeMap::new();
        for (ty, (members, values)) in index {
            let values = if Some(ty.as_str()) == own || self.only.is_some() {
                let only = self.only.as_deref();
                let others: Vec<regorus::Value> = members
                    .iter()
                    .filter(|&&i| Some(i) != self.me)
                    .filter(|&&i| only.is_none_or(|o| o.binary_search(&i).is_ok()))
                    .map(|&i| rego[i].clone())
                    .collect();
                regorus::Value::from(others)
            } else {
                values.clone()
            };
            map.insert(regorus::Value::from(ty.as_str()), values);
        }
        Some(regorus::Value::from(map))
    }

    /// `input.related` as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Array(self.nodes().map(Node::to_json).collect())
    }
}

impl Document {
    /// A document whose nodes all come from `file`.
    pub fn new(file: Arc<SourceFile>, index: usize, node: Node) -> Self {
        Self {
            file,
            index,
            node,
            resource: None,
            subject: None,
            extra_files: Vec::new(),
            related: None,
        }
    }

    /// The policy input: the document's tree, with `related` when it has one.
    pub fn to_rego(&self) -> regorus::Value {
        let mut input = self.node.to_rego();
        if let Some(related) = &self.related {
            if let Ok(map) = input.as_object_mut() {
                map.insert(regorus::Value::from("related"), related.to_rego());
                if let Some(by_type) = related.by_type_to_rego() {
                    map.insert(regorus::Value::from("related_by_type"), by_type);
                }
            }
        }
        input
    }

    pub fn is_kubernetes(&self) -> bool {
        self.resource.is_some()
    }

    /// The kind policies select on (`custom.kinds`): the Kubernetes kind, or the resource
    /// type of a Terraform, CloudFormation or Dockerfile subject.
    pub fn kind(&self) -> Option<&str> {
        match (&self.resource, &self.subject) {
            (Some(r), _) => Some(r.kind.as_str()),
            (None, Some(s)) => Some(s.kind.as_str()),
            (None, None) => None,
        }
    }

    /// The file a node of this document comes from.
    pub fn file_of(&self, node: &Node) -> &Arc<SourceFile> {
        match node.src {
            0 => &self.file,
            n => self
                .extra_files
                .get(usize::from(n) - 1)
                .unwrap_or(&self.file),
        }
    }
}

/// Limits that keep a hostile or accidental input from exhausting the machine.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Files larger than this are not parsed; a notification says so.
    pub max_file_bytes: u64,
    /// Deepest nesting accepted in one document.
    pub max_depth: usize,
    /// When set, Kubernetes objects of other kinds keep only their identity (their bodies are
    /// skipped while parsing): no policy reads them. `None` keeps every document whole.
    pub keep_kinds: Option<std::sync::Arc<std::collections::BTreeSet<String>>>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            max_file_bytes: 50 * 1024 * 1024,
            max_depth: 128,
            keep_kinds: None,
        }
    }
}

/// What loading one file produced.
#[derive(Debug, Default)]
pub struct Loaded {
    pub documents: Vec<Document>,
    pub notifications: Vec<Notification>,
    /// Set when the file could not be parsed: which file, where and why (for a finding).
    pub parse_error: Option<(String, Pos, String)>,
    /// Time spent reading the bytes and parsing them (for `--timings`).
    pub read_time: std::time::Duration,
    pub parse_time: std::time::Duration,
}

/// Formats the loader understands, decided from the file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// YAML: Kubernetes manifests, Kustomize, CloudFormation.
    Yaml,
    /// JSON: Kubernetes manifests, CloudFormation, Terraform plans.
    Json,
    /// Terraform configuration (`.tf`, `.tf.json`): loaded per module directory.
    Terraform,
    /// Terraform variable values (`.tfvars`, `.tfvars.json`): read with their module.
    TfVars,
    /// `Dockerfile`, `*.dockerfile`, `Containerfile`.
    Dockerfile,
}

impl Format {
    pub fn of_path(path: &str) -> Option<Self> {
        let name = path.rsplit('/').next().unwrap_or(path);
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".tf") || lower.ends_with(".tf.json") {
            Some(Self::Terraform)
        } else if lower.ends_with(".tfvars") || lower.ends_with(".tfvars.json") {
            Some(Self::TfVars)
        } else if lower.ends_with(".yaml") || lower.ends_with(".yml") || name == "Kustomization" {
            Some(Self::Yaml)
        } else if lower.ends_with(".json") {
            Some(Self::Json)
        } else if lower == "dockerfile"
            || lower == "containerfile"
            || lower.ends_with(".dockerfile")
            || lower.starts_with("dockerfile.")
            || lower.starts_with("containerfile.")
        {
            Some(Self::Dockerfile)
        } else {
            None
        }
    }
}

/// Options of the infrastructure-as-code loaders.
#[derive(Debug, Clone, Default)]
pub struct IacOptions {
    /// `--var-file FILE` (repeatable): Terraform variable files applied to every root module,
    /// after `terraform.tfvars` and `*.auto.tfvars`, in order.
    pub var_files: Vec<String>,
    /// `--var NAME=VALUE` (repeatable), applied last, as Terraform does.
    pub vars: Vec<(String, String)>,
    /// Terraform: leave `related` out of resource documents. Building it costs time and
    /// memory quadratic in a module's size; callers that only need where resources are
    /// declared (the AWS drift check) set this.
    pub skip_related: bool,
}

/// Read access to the files of a scan, for formats whose unit is more than one file: a
/// Terraform root module and the local modules it calls, a Kustomize overlay and its bases
/// and patches. Paths are repository-relative with `/` separators, as reports show them.
pub trait Files: Sync {
    /// Every file of the scan, sorted (all formats, after `--include`/`--exclude`).
    fn paths(&self) -> &[String];
    /// Reads and decodes one file of the scan: `None` when the path is not part of the scan,
    /// `Some(Err(message))` when it cannot be read or is not text.
    fn read(&self, path: &str) -> Option<Result<Arc<SourceFile>, String>>;
    /// Reads a file of the same tree that the listing left out because it is in no format
    /// the scan loads (a Kustomize generator's `.env` or `.properties` source): `None` when
    /// there is no such file.
    fn read_unlisted(&self, _path: &str) -> Option<Result<Arc<SourceFile>, String>> {
        None
    }
}

/// Files held in memory (tests, standard input).
#[derive(Debug, Default)]
pub struct MemFiles {
    paths: Vec<String>,
    files: std::collections::BTreeMap<String, String>,
}

impl MemFiles {
    pub fn new<P: Into<String>, T: Into<String>>(files: impl IntoIterator<Item = (P, T)>) -> Self {
        let files: std::collections::BTreeMap<String, String> = files
            .into_iter()
            .map(|(p, t)| (p.into(), t.into()))
            .collect();
        Self {
            paths: files.keys().cloned().collect(),
            files,
        }
    }
}

impl Files for MemFiles {
    fn paths(&self) -> &[String] {
        &self.paths
    }

    fn read(&self, path: &str) -> Option<Result<Arc<SourceFile>, String>> {
        self.files
            .get(path)
            .map(|t| Ok(Arc::new(SourceFile::new(path.to_string(), t.clone()))))
    }
}

/// Decodes a file's bytes as text (UTF-8, or UTF-16 with a byte-order mark), with a message
/// for the user when that is not possible.
pub fn decode_text(path: &str, bytes: &[u8]) -> Result<String, String> {
    decode(bytes).map_err(|problem| match problem {
        DecodeProblem::Binary => format!("{path}: binary content; it was not scanned"),
        DecodeProblem::NotUtf8 { line } => format!(
            "{path}:{line}: not valid UTF-8 (files must be UTF-8 or UTF-16 with a byte-order \
             mark); re-encode the file as UTF-8"
        ),
    })
}

/// A unit of loading made of several files.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Group {
    /// A Terraform root module: its directory (`""` for the top of the tree). The local modules
    /// it calls are loaded with it.
    TerraformRoot(String),
    /// A directory with a `kustomization.yaml` (or `.yml`, or `Kustomization`) that no other
    /// kustomization of the scan uses: rendered with its bases, components and patches.
    Kustomization(String),
}

impl Group {
    /// The path reports use for the group's own problems.
    pub fn path(&self) -> &str {
        match self {
            Group::TerraformRoot(dir) | Group::Kustomization(dir) => dir,
        }
    }
}

/// How the files of a scan are loaded: the groups, and the files that are loaded only as part
/// of a group (so they are not also loaded on their own and reported twice).
#[derive(Debug, Default)]
pub struct Plan {
    pub groups: Vec<Group>,
    pub consumed: std::collections::BTreeSet<String>,
    /// The files each group reads (a file may belong to several groups: a module called by
    /// two roots, a base used by two overlays). The merge-request gate rescans a group when
    /// one of its files changes; a shard keeps a group's files together.
    pub members: std::collections::BTreeMap<Group, std::collections::BTreeSet<String>>,
    pub notifications: Vec<Notification>,
}

impl Plan {
    /// Records that `group` reads `path` (which is then not loaded on its own).
    pub fn add_member(&mut self, group: &Group, path: &str) {
        self.consumed.insert(path.to_string());
        self.members
            .entry(group.clone())
            .or_default()
            .insert(path.to_string());
    }

    /// The groups that read one of `paths`.
    pub fn groups_reading<'a>(
        &'a self,
        paths: &'a std::collections::BTreeSet<String>,
    ) -> impl Iterator<Item = (&'a Group, &'a std::collections::BTreeSet<String>)> + 'a {
        self.members
            .iter()
            .filter(move |(_, files)| files.iter().any(|f| paths.contains(f)))
    }
}

/// Finds the groups among the files of a scan.
pub fn plan(files: &dyn Files) -> Plan {
    let mut plan = Plan::default();
    terraform::plan(files, &mut plan);
    kustomize::plan(files, &mut plan);
    plan.groups.sort();
    plan.groups.dedup();
    plan
}

/// Loads one group. Never fails: problems become notifications.
pub fn load_group(
    files: &dyn Files,
    group: &Group,
    opts: &LoadOptions,
    iac: &IacOptions,
) -> Loaded {
    match group {
        Group::TerraformRoot(dir) => terraform::load_root(files, dir, opts, iac),
        Group::Kustomization(dir) => kustomize::render(files, dir, opts),
    }
}

/// Loads one file on its own, by format: YAML and JSON (Kubernetes objects, CloudFormation
/// templates, Terraform plans), Dockerfiles. `files` gives access to the rest of the scan (a
/// plan maps its resources back to the `.tf` lines that declare them).
pub fn load_single(path: &str, bytes: &[u8], opts: &LoadOptions, files: &dyn Files) -> Loaded {
    match Format::of_path(path) {
        Some(Format::Dockerfile) => dockerfile::load(path, bytes, opts),
        Some(Format::Terraform | Format::TfVars) => {
            // Loaded with their module directory (a group); reaching here means the planner
            // left the file out, which it must not.
            Loaded {
                notifications: vec![Notification::new(
                    NoteLevel::Error,
                    "internal-error",
                    format!(
                        "{path}: a Terraform file was not assigned to a module; please report this"
                    ),
                )
                .at(path, None)],
                ..Loaded::default()
            }
        }
        _ => {
            let mut loaded = load_file(path, bytes, opts);
            cloudformation::recognise(&mut loaded, opts, files);
            loaded
        }
    }
}

/// Decodes and parses one YAML or JSON file. Never fails: problems become notifications.
pub fn load_file(path: &str, bytes: &[u8], opts: &LoadOptions) -> Loaded {
    if bytes.len() as u64 > opts.max_file_bytes {
        return too_large(path, bytes.len() as u64, opts.max_file_bytes);
    }
    let mut out = Loaded::default();
    let text = match decode(bytes) {
        Ok(text) => text,
        Err(problem) => {
            let (level, code) = match problem {
                DecodeProblem::Binary => (NoteLevel::Warning, "binary-file"),
                DecodeProblem::NotUtf8 { .. } => (NoteLevel::Error, "encoding-error"),
            };
            let (msg, pos) = match problem {
                DecodeProblem::Binary => (
                    format!(
                        "{path}: binary content in a file named like YAML/JSON; it was not \
                         scanned (exclude it with --exclude if this is expected)"
                    ),
                    None,
                ),
                DecodeProblem::NotUtf8 { line } => (
                    format!(
                        "{path}:{line}: not valid UTF-8 (YAML and JSON must be UTF-8 or UTF-16 \
                         with a byte-order mark); re-encode the file as UTF-8"
                    ),
                    Some(Pos::new(line, 1)),
                ),
            };
            out.notifications
                .push(Notification::new(level, code, msg).at(path, pos));
            return out;
        }
    };
    let file = Arc::new(SourceFile::new(path.to_string(), text));
    match parse_documents(&file.text, opts) {
        Ok(nodes) => {
            for (index, node) in nodes.into_iter().enumerate() {
                kubernetes::push_documents(&file, index, node, &mut out.documents);
            }
        }
        Err(err) => {
            let pos = err.pos;
            let hint = if file.text.contains("{{") {
                " — it looks like a Helm or Go template: render it first \
                 (`helm template … | plumbline scan -`) or exclude it with --exclude"
            } else {
                " — fix the syntax, or exclude the file with --exclude"
            };
            let where_ = pos.map_or_else(String::new, |p| format!(":{}:{}", p.line, p.column));
            out.notifications.push(
                Notification::new(
                    NoteLevel::Error,
                    "parse-error",
                    format!("{path}{where_}: {}{hint}", err.message),
                )
                .at(path, pos),
            );
            out.parse_error = Some((path.to_string(), pos.unwrap_or(Pos::new(1, 1)), err.message));
        }
    }
    out
}

enum DecodeProblem {
    Binary,
    NotUtf8 { line: u32 },
}

/// UTF-8 (BOM stripped) or UTF-16 with a BOM; NUL bytes elsewhere mean binary content.
fn decode(bytes: &[u8]) -> Result<String, DecodeProblem> {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return decode_utf8(rest);
    }
    let utf16 = |le: bool, rest: &[u8]| -> Result<String, DecodeProblem> {
        if !rest.len().is_multiple_of(2) {
            return Err(DecodeProblem::NotUtf8 { line: 1 });
        }
        let units = rest.chunks_exact(2).map(|c| {
            if le {
                u16::from_le_bytes([c[0], c[1]])
            } else {
                u16::from_be_bytes([c[0], c[1]])
            }
        });
        char::decode_utf16(units)
            .collect::<Result<String, _>>()
            .map_err(|_| DecodeProblem::NotUtf8 { line: 1 })
    };
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return utf16(true, rest);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return utf16(false, rest);
    }
    if bytes[..bytes.len().min(8192)].contains(&0) {
        return Err(DecodeProblem::Binary);
    }
    decode_utf8(bytes)
}

fn decode_utf8(bytes: &[u8]) -> Result<String, DecodeProblem> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s.to_string()),
        Err(e) => {
            let valid = &bytes[..e.valid_up_to()];
            let line = valid.iter().filter(|&&b| b == b'\n').count() as u32 + 1;
            Err(DecodeProblem::NotUtf8 { line })
        }
    }
}

/// A parse failure with its position, message free of source text (no secret leaks).
#[derive(Debug)]
pub struct ParseError {
    pub pos: Option<Pos>,
    pub message: String,
}

/// Parses every document of a YAML (or JSON) stream into position-keeping trees.
pub fn parse_documents(text: &str, opts: &LoadOptions) -> Result<Vec<Node>, ParseError> {
    use serde_saphyr::{DuplicateKeyPolicy, Spanned};
    let mut options = serde_saphyr::Options::default();
    options.legacy_octal_numbers = true;
    options.with_snippet = false;
    options.duplicate_keys = DuplicateKeyPolicy::Error;
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = opts.max_depth;
    budget.max_events = usize::MAX / 2;
    budget.max_nodes = usize::MAX / 2;
    budget.max_documents = 100_000;
    budget.max_total_scalar_bytes = usize::MAX / 2;
    budget.max_reader_input_bytes = None;
    options.budget = Some(budget);
    // Local tags (CloudFormation's `!Ref x`) are kept only where a `!` can be one.
    let tags = text.as_bytes().contains(&b'!');
    tree::with_tags(tags, || {
        tree::with_kept_kinds(opts.keep_kinds.clone(), || {
            serde_saphyr::from_str_multiple_with_options::<Spanned<tree::Document>, Vec<_>>(
                text, options,
            )
        })
    })
    .map(|docs| docs.into_iter().map(Node::from).collect())
    .map_err(|e| {
        let pos = e.location().and_then(|l| {
            (l.line() > 0).then(|| {
                Pos::new(
                    u32::try_from(l.line()).unwrap_or(u32::MAX),
                    u32::try_from(l.column()).unwrap_or(1).max(1),
                )
            })
        });
        ParseError {
            pos,
            message: first_line(&e.to_string()),
        }
    })
}

/// Error messages can carry a rendered snippet; keep only the first line (no file content).
fn first_line(msg: &str) -> String {
    let line = msg.lines().next().unwrap_or(msg).trim();
    // The position is reported separately; drop serde-saphyr's trailing copy of it.
    let line = match line.find(" at line ") {
        Some(i) => line[..i].trim_end_matches(','),
        None => line,
    };
    let line = line.replace(", set DuplicateKeyPolicy in Options if acceptable", "");
    // Budget breaches name internal counters; say what they mean for the user.
    if line.contains("budget breached: Depth") || line.contains("recursion limit") {
        format!(
            "nesting is too deep: at most {} levels are accepted ({line})",
            LoadOptions::default().max_depth
        )
    } else if line.contains("budget breached")
        && (line.contains("Alias") || line.contains("Anchor"))
    {
        format!("alias expansion exceeds the safety budget — a possible YAML alias bomb ({line})")
    } else {
        line
    }
}

/// The result for a file above the size limit: not read further, reported.
pub fn too_large(path: &str, size: u64, limit: u64) -> Loaded {
    Loaded {
        notifications: vec![Notification::new(
            NoteLevel::Error,
            "file-too-large",
            format!(
                "{path}: {size} bytes is above the {limit}-byte limit, so it was not scanned; \
                 raise --max-file-size or exclude the file with --exclude"
            ),
        )
        .at(path, None)],
        ..Loaded::default()
    }
}
