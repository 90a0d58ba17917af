//! Bytes → documents with positions. One module per format; YAML and JSON share the YAML
//! parser (JSON is YAML), so every value keeps its line and column in both.

pub mod cloudformation;
pub mod dockerfile;
pub mod helm;
pub mod kubernetes;
pub mod kustomize;
pub mod partial_json;
pub mod references;
pub mod terraform;
pub mod tree;
#[cfg(test)]
mod yaml_tests;

pub use crate::model::SourceFile;
use crate::model::{NoteLevel, Notification, Pos, ResourceId, Subject};
use crate::source::Format;
use std::sync::Arc;
use tree::Node;

/// The line and a one-line message of a serde-saphyr error, without its copy of the position
/// (the caller prints `file:line:`) and without any source text.
pub fn yaml_error(e: &serde_saphyr::Error) -> (Option<u32>, String) {
    let line = e
        .location()
        .and_then(|l| (l.line() > 0).then(|| u32::try_from(l.line()).unwrap_or(u32::MAX)));
    let text = e.to_string();
    let mut msg = text.lines().next().unwrap_or_default().trim();
    msg = msg.strip_prefix("error: ").unwrap_or(msg);
    if let Some(rest) = msg.strip_prefix("line ") {
        if let Some((_, tail)) = rest.split_once(": ") {
            msg = tail;
        }
    }
    let msg = match msg.find(" at line ") {
        Some(i) => msg[..i].trim_end_matches(','),
        None => msg,
    };
    (line, msg.to_string())
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
    /// For nodes placed on a line of another file than the one that printed them (a
    /// rendered Helm field set by a values file): their `Node::src` and the line of the
    /// document's own file that emitted them (a related location of their findings).
    pub emitted: Vec<(u16, u32)>,
    /// The resources checked together with this one (`input.related`): the others of its
    /// Terraform module, CloudFormation stack or plan module.
    pub related: Option<Related>,
    /// Set for a resource of a Terraform module from outside the scanned tree (installed in
    /// `.terraform/modules`, or downloaded): findings point at the `module` block that calls
    /// it, with the resource's own place as a related location.
    pub module_origin: Option<Arc<ModuleOrigin>>,
}

/// Where a module from outside the scanned tree is called: the `module` block of the
/// outermost call in the tree, and the module's source as reports name it.
#[derive(Debug)]
pub struct ModuleOrigin {
    pub file: Arc<SourceFile>,
    pub pos: Pos,
    /// `module.vpc` (with `[key]` for an instance).
    pub call: String,
    /// `terraform-aws-modules/vpc/aws@5.1.0`, a Git URL, a `.terraform/modules` record.
    pub label: String,
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
    /// Which items refer to which ([`references::References`]), with the values every
    /// document shares: `{type: [items]}` and `{type: {field: [items]}}` of the unknown
    /// references.
    references: std::sync::OnceLock<(references::References, regorus::Value, regorus::Value)>,
}

impl RelatedSet {
    pub fn new(items: Vec<Node>) -> Arc<Self> {
        Arc::new(Self {
            items,
            rego: std::sync::OnceLock::new(),
            by_type: std::sync::OnceLock::new(),
            references: std::sync::OnceLock::new(),
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

    fn references(&self) -> &(references::References, regorus::Value, regorus::Value) {
        self.references.get_or_init(|| {
            let refs = references::References::new(&self.items);
            let rego = self.rego();
            let by_type = self
                .by_type()
                .iter()
                .map(|(ty, (_, values))| (regorus::Value::from(ty.as_str()), values.clone()))
                .collect::<std::collections::BTreeMap<_, _>>();
            let unknown = by_type_and_field(&refs.unknown, rego);
            (refs, regorus::Value::from(by_type), unknown)
        })
    }
}

/// `{type: {field: [items]}}` as a Rego value.
fn by_type_and_field(
    index: &std::collections::BTreeMap<String, std::collections::BTreeMap<String, Vec<usize>>>,
    rego: &[regorus::Value],
) -> regorus::Value {
    let map = index
        .iter()
        .map(|(ty, fields)| (regorus::Value::from(ty.as_str()), by_field(fields, rego)))
        .collect::<std::collections::BTreeMap<_, _>>();
    regorus::Value::from(map)
}

/// `{field: [items]}` as a Rego value.
fn by_field(
    fields: &std::collections::BTreeMap<String, Vec<usize>>,
    rego: &[regorus::Value],
) -> regorus::Value {
    let map = fields
        .iter()
        .map(|(f, items)| {
            let values = items.iter().map(|&i| rego[i].clone()).collect::<Vec<_>>();
            (
                regorus::Value::from(f.as_str()),
                regorus::Value::from(values),
            )
        })
        .collect::<std::collections::BTreeMap<_, _>>();
    regorus::Value::from(map)
}

/// Whether policy inputs carry `input.module`. `PLUMBLINE_NO_MODULE_INDEX=1` leaves it out
/// (and gives every document the full lists instead), so that the library's helpers answer
/// from the lists: a policy author, or a test, can compare the two answers.
fn module_index_enabled() -> bool {
    static ENABLED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ENABLED.get_or_init(|| {
        std::env::var_os("PLUMBLINE_NO_MODULE_INDEX").is_none_or(|v| v.is_empty() || v == "0")
    })
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

    /// `input.module`: the module's resources by type (the document's own included) and the
    /// references among them (see [`references`]), so that "which resources point at this
    /// one" costs what the answer holds, not the module's size. `None` in the namespace pass
    /// (Kubernetes objects have no references) and for a document outside its set.
    pub fn module_to_rego(&self) -> Option<regorus::Value> {
        let me = self.me?;
        if self.only.is_some() || self.namespace.is_some() {
            return None;
        }
        let (refs, by_type, unknown) = self.set.references();
        let rego = self.set.rego();
        let mut map = std::collections::BTreeMap::new();
        map.insert(regorus::Value::from("by_type"), by_type.clone());
        map.insert(
            regorus::Value::from("referrers"),
            by_type_and_field(&refs.referrers[me], rego),
        );
        map.insert(
            regorus::Value::from("refers"),
            by_field(&refs.refers[me], rego),
        );
        map.insert(regorus::Value::from("unknown_referrers"), unknown.clone());
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
            emitted: Vec::new(),
            related: None,
            module_origin: None,
        }
    }

    /// The policy input: the document's tree, with `related`, `related_by_type` and
    /// `module` when it has related resources.
    pub fn to_rego(&self) -> regorus::Value {
        self.to_rego_for(true)
    }

    /// The policy input; `lists`: with `related` and `related_by_type`, the lists of the
    /// module's other resources, which are a new array for each document (so a module's
    /// worth for each of its resources). Only policies that read them need them: the built-in
    /// library reads `module`, whose parts are shared or hold only the document's references.
    pub fn to_rego_for(&self, lists: bool) -> regorus::Value {
        let mut input = self.node.to_rego();
        if let Some(related) = &self.related {
            let module = related.module_to_rego().filter(|_| module_index_enabled());
            if let Ok(map) = input.as_object_mut() {
                if lists || module.is_none() {
                    map.insert(regorus::Value::from("related"), related.to_rego());
                    if let Some(by_type) = related.by_type_to_rego() {
                        map.insert(regorus::Value::from("related_by_type"), by_type);
                    }
                }
                if let Some(module) = module {
                    map.insert(regorus::Value::from("module"), module);
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

    /// The line of the document's own file that emitted the node at `path`, when the node is
    /// placed elsewhere (a Helm value is placed on the values line that set it).
    pub fn emitted_line(&self, path: &[crate::model::PathSeg]) -> Option<u32> {
        let src = self.node.locate(path).node.src;
        if src == 0 {
            return None;
        }
        self.emitted
            .iter()
            .find(|(s, _)| *s == src)
            .map(|(_, line)| *line)
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

/// Options of the infrastructure-as-code loaders.
#[derive(Debug, Clone, Default)]
pub struct IacOptions {
    /// `--var-file FILE` (repeatable): Terraform variable files applied to every root module,
    /// after `terraform.tfvars` and `*.auto.tfvars`, in order.
    pub var_files: Vec<String>,
    /// `--var NAME=VALUE` (repeatable), applied last, as Terraform does.
    pub vars: Vec<(String, String)>,
    /// `--helm-values FILE` (repeatable): values files every chart of the scan renders with,
    /// in order, as `helm template -f` takes them (a path in the scanned tree, else on disk).
    pub helm_values: Vec<String>,
    /// `--helm-set KEY=VALUE` (repeatable), Helm's `--set` syntax, applied after the files.
    pub helm_set: Vec<String>,
    /// Values for one chart (`helm_charts` in `.plumbline.yaml`), by chart directory: applied
    /// after `helm_values` and `helm_set`.
    pub helm_charts: std::collections::BTreeMap<String, ChartValues>,
    /// Terraform: leave `related` out of resource documents. Building it costs time and
    /// memory quadratic in a module's size; callers that only need where resources are
    /// declared (the AWS drift check) set this.
    pub skip_related: bool,
    /// `--download-modules`: Terraform modules from registries and HTTPS archives are
    /// downloaded (into its cache) when `.terraform/modules` does not hold them. `None`: no
    /// network access; such calls are reported.
    pub modules: Option<Arc<crate::source::modules::Fetcher>>,
}

/// The values one chart renders with (`helm_charts` in `.plumbline.yaml`): values files, as
/// `helm template -f`, then `--set` expressions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChartValues {
    pub values: Vec<String>,
    pub set: Vec<String>,
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
    /// Reads a file of the scan like [`Files::read`], without keeping it: for looking through
    /// many files once (the releases of the scan's charts) without holding them all.
    fn peek(&self, path: &str) -> Option<Result<Arc<SourceFile>, String>> {
        self.read(path)
    }
    /// Reads a file of the same tree that the listing left out because it is in no format
    /// the scan loads (a Kustomize generator's `.env` or `.properties` source): `None` when
    /// there is no such file.
    fn read_unlisted(&self, _path: &str) -> Option<Result<Arc<SourceFile>, String>> {
        None
    }
    /// The files under directory `dir` of the same tree that the listing left out (a Helm
    /// chart's `.tpl` helpers and data files), sorted; bounded in number.
    fn unlisted_under(&self, _dir: &str) -> Vec<String> {
        Vec::new()
    }
    /// The bytes of a file of the same tree, as they are (a Helm chart's `charts/*.tgz`, which
    /// is not text): `None` when there is no such file or this tree only gives text.
    fn read_bytes(&self, _path: &str) -> Option<Result<Vec<u8>, String>> {
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

/// A unit of loading made of several files.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Group {
    /// A Terraform root module: its directory (`""` for the top of the tree). The local modules
    /// it calls are loaded with it.
    TerraformRoot(String),
    /// A directory with a `kustomization.yaml` (or `.yml`, or `Kustomization`) that no other
    /// kustomization of the scan uses: rendered with its bases, components and patches.
    Kustomization(String),
    /// A directory with a `Chart.yaml` (not inside another chart): rendered as `helm
    /// template` renders it, with its subcharts, once per release the repository declares
    /// for it (Flux `HelmRelease`, Argo CD `Application`), else once with its defaults.
    HelmChart(String, Vec<helm::release::ReleaseRef>),
}

impl Group {
    /// The path reports use for the group's own problems.
    pub fn path(&self) -> &str {
        match self {
            Group::TerraformRoot(dir) | Group::Kustomization(dir) | Group::HelmChart(dir, _) => dir,
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

    /// Records that `group` reads `path`, which is still loaded on its own (the manifest
    /// declaring a release of a chart is also checked as what it is).
    pub fn add_reader(&mut self, group: &Group, path: &str) {
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
    helm::group::plan(files, &mut plan);
    kustomize::plan(files, &mut plan);
    // A kustomization inside a chart (charts ship `crds/kustomization.yaml`) is the chart's
    // file, not a second way to load what the chart renders.
    let charts: Vec<String> = plan
        .groups
        .iter()
        .filter_map(|g| match g {
            Group::HelmChart(d, _) => Some(d.clone()),
            _ => None,
        })
        .collect();
    let in_chart = |d: &str| {
        charts
            .iter()
            .any(|c| c.is_empty() || d == c || d.starts_with(&format!("{c}/")))
    };
    plan.groups
        .retain(|g| !matches!(g, Group::Kustomization(d) if in_chart(d)));
    plan.members
        .retain(|g, _| !matches!(g, Group::Kustomization(d) if in_chart(d)));
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
        Group::HelmChart(dir, releases) => helm::group::load(files, dir, releases, opts, iac),
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
    let decoded = match decode(bytes) {
        Ok(decoded) => decoded,
        Err(problem) => {
            // Content that cannot be read as text is content not checked: an error.
            let code = match problem {
                DecodeProblem::Binary { .. } => "binary-file",
                DecodeProblem::Invalid { .. } => "encoding-error",
            };
            let (msg, pos) = decode_message(path, &problem);
            out.notifications
                .push(Notification::new(NoteLevel::Error, code, msg).at(path, Some(pos)));
            return out;
        }
    };
    out.notifications.extend(encoding_warning(path, &decoded));
    let text = decoded.text;
    let file = Arc::new(SourceFile::new(path.to_string(), text));
    match parse_documents(&file.text, opts) {
        Ok(nodes) => {
            for (index, node) in nodes.into_iter().enumerate() {
                let notes = kubernetes::push_documents(&file, index, node, &mut out.documents);
                out.notifications.extend(notes);
            }
        }
        Err(err) if err.over_budget => {
            let pos = err.pos;
            let where_ = pos.map_or_else(String::new, |p| format!(":{}:{}", p.line, p.column));
            out.notifications.push(
                Notification::new(
                    NoteLevel::Error,
                    "budget-exceeded",
                    format!(
                        "{path}{where_}: {}; the file was not scanned — split it, or exclude it \
                         with --exclude",
                        err.message
                    ),
                )
                .at(path, pos),
            );
            out.parse_error = Some((path.to_string(), pos.unwrap_or(Pos::new(1, 1)), err.message));
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

/// A text encoding YAML allows (YAML 1.2, §5.2): UTF-8, UTF-16 or UTF-32, either byte order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16Le,
    Utf16Be,
    Utf32Le,
    Utf32Be,
}

impl Encoding {
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Utf16Le => "UTF-16LE",
            Encoding::Utf16Be => "UTF-16BE",
            Encoding::Utf32Le => "UTF-32LE",
            Encoding::Utf32Be => "UTF-32BE",
        }
    }

    /// The encoding of `bytes` and the length of its byte-order mark, as YAML 1.2 (§5.2)
    /// detects it: from the byte-order mark, else from where the NUL bytes of the first
    /// character are (an ASCII first character is `x 00` in UTF-16LE, `00 x` in UTF-16BE,
    /// `x 00 00 00` and `00 00 00 x` in UTF-32), else UTF-8.
    pub fn detect(bytes: &[u8]) -> (Encoding, usize) {
        let b = |i: usize| bytes.get(i).copied();
        match (b(0), b(1), b(2), b(3)) {
            (Some(0), Some(0), Some(0xFE), Some(0xFF)) => (Encoding::Utf32Be, 4),
            (Some(0), Some(0), Some(0), Some(x)) if x != 0 => (Encoding::Utf32Be, 0),
            (Some(0xFF), Some(0xFE), Some(0), Some(0)) => (Encoding::Utf32Le, 4),
            (Some(x), Some(0), Some(0), Some(0)) if x != 0 => (Encoding::Utf32Le, 0),
            (Some(0xFE), Some(0xFF), ..) => (Encoding::Utf16Be, 2),
            (Some(0), Some(x), ..) if x != 0 => (Encoding::Utf16Be, 0),
            (Some(0xFF), Some(0xFE), ..) => (Encoding::Utf16Le, 2),
            (Some(x), Some(0), ..) if x != 0 => (Encoding::Utf16Le, 0),
            (Some(0xEF), Some(0xBB), Some(0xBF), _) => (Encoding::Utf8, 3),
            _ => (Encoding::Utf8, 0),
        }
    }
}

/// Text decoded from a file's bytes.
struct Decoded {
    text: String,
    encoding: Encoding,
    /// Whether the file starts with a byte-order mark.
    bom: bool,
}

/// A warning for text in an encoding kubectl does not read (it reads UTF-8, and UTF-16 with a
/// byte-order mark): the file is checked, but applying it would fail.
fn encoding_warning(path: &str, decoded: &Decoded) -> Option<Notification> {
    let how = match (decoded.encoding, decoded.bom) {
        (Encoding::Utf8, _) | (Encoding::Utf16Le | Encoding::Utf16Be, true) => return None,
        (_, false) => "detected from its first bytes (it has no byte-order mark)",
        (_, true) => "from its byte-order mark",
    };
    Some(
        Notification::new(
            NoteLevel::Warning,
            "encoding-not-kubectl",
            format!(
                "{path}: read as {} text, {how}; kubectl reads only UTF-8, and UTF-16 with a \
                 byte-order mark, so it would refuse this file — re-encode it as UTF-8",
                decoded.encoding.name()
            ),
        )
        .at(path, None),
    )
}

enum DecodeProblem {
    /// A NUL character (first on `line`): binary content, which YAML and JSON never contain.
    Binary { line: u32 },
    /// Not valid in the encoding the file's first bytes announce, from `line` on.
    Invalid { encoding: Encoding, line: u32 },
}

/// Decodes a file's bytes as text (UTF-8, UTF-16 or UTF-32, detected as YAML does), with a
/// message for the user when that is not possible.
pub fn decode_text(path: &str, bytes: &[u8]) -> Result<String, String> {
    decode(bytes)
        .map(|d| d.text)
        .map_err(|problem| decode_message(path, &problem).0)
}

/// The message and position of a decoding problem.
fn decode_message(path: &str, problem: &DecodeProblem) -> (String, Pos) {
    match *problem {
        DecodeProblem::Binary { line } => (
            format!(
                "{path}:{line}: a NUL character: binary content in a file named like YAML/JSON, \
                 so it was not scanned; exclude it with --exclude if this is expected"
            ),
            Pos::new(line, 1),
        ),
        DecodeProblem::Invalid {
            encoding: Encoding::Utf8,
            line,
        } => (
            format!(
                "{path}:{line}: not valid UTF-8 (files must be UTF-8, or UTF-16 with a \
                 byte-order mark), so it was not scanned; re-encode the file as UTF-8"
            ),
            Pos::new(line, 1),
        ),
        DecodeProblem::Invalid { encoding, line } => (
            format!(
                "{path}:{line}: its first bytes make it {} text, but it is not valid {}, so it \
                 was not scanned; re-encode the file as UTF-8",
                encoding.name(),
                encoding.name()
            ),
            Pos::new(line, 1),
        ),
    }
}

/// Decodes bytes in the encoding [`Encoding::detect`] finds, without the byte-order mark. NUL
/// characters are refused: YAML and JSON never contain one, so the file is not text (and
/// neither is one whose first bytes only look like UTF-16 or UTF-32, see below).
fn decode(bytes: &[u8]) -> Result<Decoded, DecodeProblem> {
    let (encoding, bom) = Encoding::detect(bytes);
    let rest = &bytes[bom..];
    let text = match encoding {
        Encoding::Utf8 => decode_utf8(rest)?,
        Encoding::Utf16Le | Encoding::Utf16Be => decode_utf16(rest, encoding)?,
        Encoding::Utf32Le | Encoding::Utf32Be => decode_utf32(rest, encoding)?,
    };
    // Without a byte-order mark, UTF-16 and UTF-32 are a guess from where the NUL bytes of the
    // first character are. Binary data can fit the guess; it then decodes to control
    // characters, which YAML and JSON text never contains.
    let guessed = bom == 0 && encoding != Encoding::Utf8;
    let binary_at = if guessed {
        text.char_indices()
            .find(|&(_, c)| c < ' ' && !matches!(c, '\t' | '\n' | '\r'))
            .map(|(at, _)| at)
    } else {
        first_nul(text.as_bytes())
    };
    if let Some(at) = binary_at {
        return Err(DecodeProblem::Binary {
            line: line_at(text.as_bytes(), at),
        });
    }
    Ok(Decoded {
        text,
        encoding,
        bom: bom > 0,
    })
}

fn first_nul(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == 0)
}

/// The 1-based line of a byte offset of UTF-8 text.
fn line_at(bytes: &[u8], offset: usize) -> u32 {
    let newlines = bytes[..offset].iter().filter(|&&b| b == b'\n').count();
    u32::try_from(newlines + 1).unwrap_or(u32::MAX)
}

fn decode_utf8(bytes: &[u8]) -> Result<String, DecodeProblem> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s.to_string()),
        Err(e) => Err(DecodeProblem::Invalid {
            encoding: Encoding::Utf8,
            line: line_at(bytes, e.valid_up_to()),
        }),
    }
}

fn decode_utf16(bytes: &[u8], encoding: Encoding) -> Result<String, DecodeProblem> {
    let le = encoding == Encoding::Utf16Le;
    let units = bytes.chunks_exact(2).map(|c| {
        if le {
            u16::from_le_bytes([c[0], c[1]])
        } else {
            u16::from_be_bytes([c[0], c[1]])
        }
    });
    let mut text = String::with_capacity(bytes.len() / 2);
    for c in char::decode_utf16(units) {
        match c {
            Ok(c) => text.push(c),
            Err(_) => return Err(invalid_after(&text, encoding)),
        }
    }
    if !bytes.len().is_multiple_of(2) {
        return Err(invalid_after(&text, encoding));
    }
    Ok(text)
}

fn decode_utf32(bytes: &[u8], encoding: Encoding) -> Result<String, DecodeProblem> {
    let le = encoding == Encoding::Utf32Le;
    let mut text = String::with_capacity(bytes.len() / 4);
    for c in bytes.chunks(4) {
        let unit = match <[u8; 4]>::try_from(c) {
            Ok(c) if le => u32::from_le_bytes(c),
            Ok(c) => u32::from_be_bytes(c),
            Err(_) => return Err(invalid_after(&text, encoding)),
        };
        match char::from_u32(unit) {
            Some(c) => text.push(c),
            None => return Err(invalid_after(&text, encoding)),
        }
    }
    Ok(text)
}

/// The problem of text that stops being valid after `decoded`.
fn invalid_after(decoded: &str, encoding: Encoding) -> DecodeProblem {
    DecodeProblem::Invalid {
        encoding,
        line: line_at(decoded.as_bytes(), decoded.len()),
    }
}

/// What parsing one YAML or JSON text may build, scaled by the text's size. Every count
/// includes what aliases and merge keys (`<<`) expand to, so a few bytes cannot stand for
/// gigabytes of tree (an alias bomb); the absolute caps bound the memory any one file can take.
/// A file over a budget is not scanned and gets an error notification (`budget-exceeded`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseBudget {
    /// Nodes: scalars, mappings and sequences.
    pub nodes: usize,
    /// Bytes of scalar text (and of tag spellings).
    pub scalar_bytes: usize,
    /// Parser events: a node's start and end, an alias, a document's start and end.
    pub events: usize,
    /// YAML documents (`---`) in the file.
    pub documents: usize,
    /// Event copies kept for anchors, charged once per open anchor they are inside.
    pub anchor_events: usize,
    /// Bytes of owned scalar text copied for anchors.
    pub anchor_bytes: usize,
}

impl ParseBudget {
    /// Nodes a file may have per byte of its text. A text without aliases has at most one node
    /// per two bytes (`[1,1,…]`), and typical manifests one per 10–30 bytes: this leaves room
    /// for ordinary anchors while an alias bomb stops after a few times the file's own size.
    pub const NODES_PER_BYTE: usize = 1;
    /// No file's node budget is lower than this (small files with a few anchors).
    pub const MIN_NODES: usize = 100_000;
    /// No file's node budget is higher than this, whatever its size: a 50 MB file (the
    /// default `--max-file-size`) of 10 bytes per node, denser than any real manifest or plan
    /// (14–50). The tree of that many nodes takes about 350 MB.
    pub const MAX_NODES: usize = 5_000_000;
    /// Scalar bytes per byte of text: decoded text is at most 1.5 times its source (`\L` is
    /// two bytes for three), the rest is room for anchors.
    pub const SCALAR_BYTES_PER_BYTE: usize = 4;
    pub const MIN_SCALAR_BYTES: usize = 4 << 20;
    pub const MAX_SCALAR_BYTES: usize = 256 << 20;
    pub const MAX_DOCUMENTS: usize = 100_000;
    /// Anchor recording: the parser library's own default caps, lowered to the node and
    /// scalar budgets for small files.
    pub const MAX_ANCHOR_EVENTS: usize = 1_000_000;
    pub const MAX_ANCHOR_BYTES: usize = 64 << 20;

    /// The budget of a text of `len` bytes.
    pub fn for_len(len: usize) -> Self {
        let nodes = len
            .saturating_mul(Self::NODES_PER_BYTE)
            .clamp(Self::MIN_NODES, Self::MAX_NODES);
        let scalar_bytes = len
            .saturating_mul(Self::SCALAR_BYTES_PER_BYTE)
            .clamp(Self::MIN_SCALAR_BYTES, Self::MAX_SCALAR_BYTES);
        Self {
            nodes,
            scalar_bytes,
            // Each node is at most a start and an end event, each alias one more, and each
            // document two: nodes run out first.
            events: nodes
                .saturating_mul(3)
                .saturating_add(2 * Self::MAX_DOCUMENTS),
            documents: Self::MAX_DOCUMENTS,
            anchor_events: nodes.min(Self::MAX_ANCHOR_EVENTS),
            anchor_bytes: scalar_bytes.min(Self::MAX_ANCHOR_BYTES),
        }
    }

    fn options(&self, max_depth: usize) -> serde_saphyr::Options {
        let mut options = serde_saphyr::Options::default();
        let mut budget = serde_saphyr::Budget::default();
        budget.max_depth = max_depth;
        budget.max_nodes = self.nodes;
        budget.max_total_scalar_bytes = self.scalar_bytes;
        budget.max_events = self.events;
        budget.max_documents = self.documents;
        budget.max_recorded_anchor_events = self.anchor_events;
        budget.max_recorded_anchor_bytes = self.anchor_bytes;
        // Aliases and anchors are bounded by what they expand to (above), not by their count.
        budget.max_aliases = self.nodes;
        budget.max_anchors = self.nodes;
        // The ratio heuristic runs only after the whole text is parsed (the tree is built by
        // then) and refuses ordinary files that use one anchor many times.
        budget.enforce_alias_anchor_ratio = false;
        // The input is a string already in memory, limited by `LoadOptions::max_file_bytes`.
        budget.max_reader_input_bytes = None;
        options.budget = Some(budget);
        // Replayed events are counted by the budget above; this cap only keeps the library's
        // own counter from firing first with a less helpful message.
        options.alias_limits.max_total_replayed_events = self.events;
        options
    }

    /// What a budget breach means for the user: the limit, and how it follows from the size.
    fn explain(&self, breach: &serde_saphyr::budget::BudgetBreach, len: usize) -> Option<String> {
        use serde_saphyr::budget::BudgetBreach as B;
        let size = format!("a file of {len} bytes");
        Some(match breach {
            B::Nodes { .. } | B::Aliases { .. } | B::Anchors { .. } => format!(
                "the YAML expands to more than {} nodes (aliases expanded), the limit for {size} \
                 ({} per byte, at least {}, at most {}) — an alias bomb, or a file too big to \
                 check",
                self.nodes,
                Self::NODES_PER_BYTE,
                Self::MIN_NODES,
                Self::MAX_NODES
            ),
            B::ScalarBytes { .. } => format!(
                "the YAML expands to more than {} bytes of text (aliases expanded), the limit \
                 for {size} ({} per byte, at least {}, at most {}) — an alias bomb, or a file \
                 too big to check",
                self.scalar_bytes,
                Self::SCALAR_BYTES_PER_BYTE,
                Self::MIN_SCALAR_BYTES,
                Self::MAX_SCALAR_BYTES
            ),
            B::Events { .. } => format!(
                "the YAML expands to more than {} parser events (aliases expanded), the limit \
                 for {size} — an alias bomb, or a file too big to check",
                self.events
            ),
            B::Documents { .. } => format!(
                "more than {} YAML documents in one file — split the file",
                self.documents
            ),
            B::RecordedAnchorEvents { .. } => format!(
                "anchors (aliases expanded) hold more than {} parser events, the limit for {size} \
                 (the node budget, at most {}) — an alias bomb",
                self.anchor_events,
                Self::MAX_ANCHOR_EVENTS
            ),
            B::RecordedAnchorBytes { .. } => format!(
                "anchors (aliases expanded) hold more than {} bytes of copied text, the limit \
                 for {size} (the scalar budget, at most {}) — an alias bomb",
                self.anchor_bytes,
                Self::MAX_ANCHOR_BYTES
            ),
            _ => return None,
        })
    }
}

/// A parse failure with its position, message free of source text (no secret leaks).
#[derive(Debug)]
pub struct ParseError {
    pub pos: Option<Pos>,
    pub message: String,
    /// Set when the text is well-formed as far as it was read but exceeds a [`ParseBudget`]
    /// (or the nesting limit): the message names the limit.
    pub over_budget: bool,
}

/// Parses every document of a YAML (or JSON) stream into position-keeping trees, within the
/// [`ParseBudget`] of the text's size and `opts.max_depth`.
pub fn parse_documents(text: &str, opts: &LoadOptions) -> Result<Vec<Node>, ParseError> {
    use serde_saphyr::{DuplicateKeyPolicy, Spanned};
    let budget = ParseBudget::for_len(text.len());
    let mut options = budget.options(opts.max_depth);
    options.legacy_octal_numbers = true;
    options.with_snippet = false;
    options.duplicate_keys = DuplicateKeyPolicy::Error;
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
        let over = over_budget(&e, &budget, text.len(), opts.max_depth);
        ParseError {
            pos,
            over_budget: over.is_some(),
            message: over.unwrap_or_else(|| first_line(&e.to_string())),
        }
    })
}

/// The message of an error that is a breached limit, naming the limit; `None` for any other
/// error.
fn over_budget(
    err: &serde_saphyr::Error,
    budget: &ParseBudget,
    len: usize,
    max_depth: usize,
) -> Option<String> {
    use serde_saphyr::budget::BudgetBreach;
    use serde_saphyr::Error as E;
    let mut err = err;
    while let E::WithSnippet { error, .. } | E::AliasError { error, .. } = err {
        err = error;
    }
    let too_deep = || {
        format!("nesting is too deep: at most {max_depth} levels of mappings and sequences are accepted")
    };
    match err {
        E::Budget {
            breach: BudgetBreach::Depth { .. },
            ..
        } => Some(too_deep()),
        E::Budget { breach, .. } => budget.explain(breach, len),
        E::AliasReplayLimitExceeded { .. } => budget.explain(
            &BudgetBreach::Events {
                events: budget.events,
            },
            len,
        ),
        E::AliasReplayStackDepthExceeded { max_depth, .. } => Some(format!(
            "aliases nested more than {max_depth} deep (an alias inside the anchor of an alias…) \
             — an alias bomb"
        )),
        _ if err.to_string().contains("recursion limit") => Some(too_deep()),
        _ => None,
    }
}

/// Error messages can carry a rendered snippet; keep only the first line (no file content).
fn first_line(msg: &str) -> String {
    let line = msg.lines().next().unwrap_or(msg).trim();
    // The position is reported separately; drop serde-saphyr's trailing copy of it.
    let line = match line.find(" at line ") {
        Some(i) => line[..i].trim_end_matches(','),
        None => line,
    };
    line.replace(", set DuplicateKeyPolicy in Options if acceptable", "")
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
