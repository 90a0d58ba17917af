//! The render of a chart, as `helm template` does it: every template of the chart and of its
//! enabled subcharts parsed into one set (so a `define` of any chart is visible to all, the
//! parent's winning over a subchart's), each non-partial template executed with the values
//! of its own chart's scope, and the output split into manifests, sorted in Helm's install
//! order, hooks last.
//!
//! Go's templates call methods on Go values (`.Files.Get "x"`, `.Capabilities.APIVersions.Has
//! "v1"`); `gotmpl` looks fields up in maps only. The parsed trees are rewritten so that such
//! a call becomes a call of the function `__method` with the method's name, the receiver
//! and the arguments. `required` and `fail` are rewritten to carry the position of their
//! call, so that an error names the template, line and column as Helm's does.
//!
//! Two more rewrites make up for what a `gotmpl` value cannot be: Go's maps are references
//! that `set`/`merge` change in place (the dot of a helper, `.Values`, a dict passed to
//! `include`), `gotmpl`'s are immutable values, so mutating calls become assignments and
//! a called template's changes to its argument are written back to the caller (see
//! "Mutation" below); and every printing action ends in `| __print`, so that a value is
//! printed as Go's `fmt` prints it (floats as `1e+07`, Go structs such as
//! `.Capabilities.KubeVersion` as `{v1.36.0 v1.36.0 1 36}`), not with Rust's formatting.

use super::ChartFile;
use gotmpl::parse::{
    BranchNode, CommandNode, DefineNode, Expr, ListNode, Node, Parser, PipeNode, Pos, SmolStr,
};
use gotmpl::{FuncMap, MissingKey, Template, TemplateError, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock, Weak};

/// A chart as the engine renders it: its templates and files, its `.Chart` object, and its
/// enabled subcharts under the names they have in their parent (an alias, if any).
#[derive(Debug, Clone, Default)]
pub struct RenderChart {
    /// The chart's name in its parent (`Chart.yaml` name, or the dependency's alias).
    pub name: String,
    /// `.Chart` as templates see it (Go field names: `Name`, `Version`, `AppVersion`…).
    pub metadata: serde_json::Value,
    /// A library chart: only its partials (`_*.tpl`) are parsed, nothing is printed.
    pub library: bool,
    /// Files under `templates/`, paths relative to the chart (`templates/deploy.yaml`).
    pub templates: Vec<ChartFile>,
    /// Files under `crds/`, relative to the chart.
    pub crds: Vec<ChartFile>,
    /// The files `.Files` serves, relative to the chart.
    pub files: Vec<ChartFile>,
    pub subcharts: Vec<RenderChart>,
}

/// `.Release`.
#[derive(Debug, Clone)]
pub struct Release {
    pub name: String,
    pub namespace: String,
    pub revision: i64,
    pub is_install: bool,
    pub is_upgrade: bool,
}

impl Default for Release {
    /// What `helm template` uses without flags: `release-name` in `default`, an install.
    fn default() -> Self {
        Self {
            name: "release-name".into(),
            namespace: "default".into(),
            revision: 1,
            is_install: true,
            is_upgrade: false,
        }
    }
}

/// `.Capabilities`: what `helm template` supplies without a cluster.
#[derive(Debug, Clone)]
pub struct Capabilities {
    /// `v1.36.0`.
    pub kube_version: String,
    /// Group/versions (`apps/v1`) and group/version/kinds (`apps/v1/Deployment`) known.
    pub api_versions: Vec<String>,
}

/// The Kubernetes version `helm template` v4.2.3 reports (the client-go it was built with).
pub const DEFAULT_KUBE_VERSION: &str = "v1.36.0";

/// The API versions `helm template` v4.2.3 reports without a cluster (client-go's scheme),
/// in the order it lists them (`toYaml .Capabilities.APIVersions`).
pub const DEFAULT_API_VERSIONS: &[&str] = &[
    "v1",
    "admissionregistration.k8s.io/v1",
    "admissionregistration.k8s.io/v1alpha1",
    "admissionregistration.k8s.io/v1beta1",
    "internal.apiserver.k8s.io/v1alpha1",
    "apps/v1",
    "apps/v1beta1",
    "apps/v1beta2",
    "authentication.k8s.io/v1",
    "authentication.k8s.io/v1alpha1",
    "authentication.k8s.io/v1beta1",
    "authorization.k8s.io/v1",
    "authorization.k8s.io/v1beta1",
    "autoscaling/v1",
    "autoscaling/v2",
    "batch/v1",
    "batch/v1beta1",
    "certificates.k8s.io/v1",
    "certificates.k8s.io/v1beta1",
    "certificates.k8s.io/v1alpha1",
    "coordination.k8s.io/v1alpha2",
    "coordination.k8s.io/v1beta1",
    "coordination.k8s.io/v1",
    "discovery.k8s.io/v1",
    "discovery.k8s.io/v1beta1",
    "events.k8s.io/v1",
    "events.k8s.io/v1beta1",
    "extensions/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1",
    "flowcontrol.apiserver.k8s.io/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1beta2",
    "flowcontrol.apiserver.k8s.io/v1beta3",
    "networking.k8s.io/v1",
    "networking.k8s.io/v1beta1",
    "node.k8s.io/v1",
    "node.k8s.io/v1alpha1",
    "node.k8s.io/v1beta1",
    "policy/v1",
    "policy/v1beta1",
    "rbac.authorization.k8s.io/v1",
    "rbac.authorization.k8s.io/v1beta1",
    "rbac.authorization.k8s.io/v1alpha1",
    "resource.k8s.io/v1",
    "resource.k8s.io/v1beta2",
    "resource.k8s.io/v1beta1",
    "resource.k8s.io/v1alpha3",
    "scheduling.k8s.io/v1alpha2",
    "scheduling.k8s.io/v1beta1",
    "scheduling.k8s.io/v1",
    "storage.k8s.io/v1beta1",
    "storage.k8s.io/v1",
    "storage.k8s.io/v1alpha1",
    "storagemigration.k8s.io/v1beta1",
    "apiextensions.k8s.io/v1beta1",
    "apiextensions.k8s.io/v1",
];

impl Default for Capabilities {
    fn default() -> Self {
        Self {
            kube_version: DEFAULT_KUBE_VERSION.into(),
            api_versions: DEFAULT_API_VERSIONS.iter().map(|s| s.to_string()).collect(),
        }
    }
}

/// How to render.
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    pub release: Release,
    pub capabilities: Capabilities,
    /// Print the files of every `crds/` directory first (`--include-crds`).
    pub include_crds: bool,
}

/// One manifest of the output: a YAML document of a template (or a CRD file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// The `# Source:` of `helm template`: `chart/templates/deploy.yaml`,
    /// `chart/charts/sub/templates/x.yaml`, `chart/crds/crd.yaml`.
    pub source: String,
    /// The document's text as `helm template` prints it.
    pub content: String,
    /// `kind` of the document, `""` when it has none.
    pub kind: String,
    /// A hook (`helm.sh/hook` annotation): printed after the other manifests.
    pub hook: bool,
    /// A file of a `crds/` directory, printed as it is.
    pub crd: bool,
}

/// Why a chart could not be rendered: where (template, line, column, when known) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderError {
    /// `chart/templates/x.yaml` (the `# Source` form), empty when no template is to blame.
    pub template: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub message: String,
}

impl std::fmt::Display for RenderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.template.is_empty(), self.line, self.column) {
            (true, _, _) => write!(f, "{}", self.message),
            // Go's column, counted from 0.
            (false, Some(l), Some(c)) => write!(
                f,
                "error at ({}:{l}:{}): {}",
                self.template,
                c.saturating_sub(1),
                self.message
            ),
            (false, Some(l), None) => {
                write!(f, "error at ({}:{l}): {}", self.template, self.message)
            }
            (false, None, _) => write!(f, "error in ({}): {}", self.template, self.message),
        }
    }
}

/// A template of the set: its name (`chart/templates/x.yaml`), text, the data it is
/// executed with, and its chart's `BasePath`.
struct Renderable {
    name: String,
    text: Arc<str>,
    scope: Arc<Scope>,
    base_path: String,
    library: bool,
}

/// What the templates of one chart see besides `.Template`.
struct Scope {
    values: Value,
    chart: Value,
    files: Value,
    /// `.Subcharts`: each enabled subchart's own scope, by name.
    subcharts: Value,
}

/// Marks a message of `required` or `fail` with the position of the call, so it can be told
/// from gotmpl's own errors and found in the error chain.
const ERR_START: &str = "\u{1}PLUMBLINE_ERR_START";
const ERR_END: &str = "PLUMBLINE_ERR_END\u{1}";

/// How deep `include` may nest one name (Helm's limit).
const MAX_INCLUDE_DEPTH: usize = 1000;

/// How deep `include` and `tpl` may nest in all: a template that includes itself (or a value
/// that `tpl` renders into itself) stops here with an error instead of exhausting the stack.
/// Real charts nest a few levels; Helm's own limit is per name and much higher, but each
/// level here is a fresh execution on the same thread.
const MAX_NESTING: usize = 100;

/// How many `{{ range }}` iterations one execution may make (a chart ranges over a few items;
/// `until 100000000` in an untrusted chart must not spin).
const MAX_RANGE_ITERS: u64 = 1_000_000;

/// Renders `chart` with `values` (the coalesced release values, see `values.rs`): the
/// manifests in `helm template`'s order, or the error that stops `helm template`.
pub fn render(
    chart: &RenderChart,
    values: &serde_json::Value,
    opts: &RenderOptions,
) -> Result<Vec<Manifest>, RenderError> {
    let release = release_value(&opts.release);
    let capabilities = capabilities_value(&opts.capabilities);
    let top = (&release, &capabilities);
    let mut renderables = Vec::new();
    collect(chart, "", values, top, &mut renderables);
    let order = parse_order(&renderables);
    let engine = Engine::build(&renderables, &order)?;
    let mut rendered: BTreeMap<String, String> = BTreeMap::new();
    for &i in &order {
        let r = &renderables[i];
        if is_partial(&r.name) || (r.library && !is_partial(&r.name)) {
            continue;
        }
        let data = data_value(r, &release, &capabilities);
        let text = engine.execute(&r.name, &data)?;
        rendered.insert(r.name.clone(), text.replace("<no value>", ""));
    }
    let mut out = Vec::new();
    if opts.include_crds {
        crds(chart, "", &mut out);
    }
    let (mut generic, mut hooks) = (Vec::new(), Vec::new());
    for (name, text) in &rendered {
        if name.ends_with("NOTES.txt") || text.trim().is_empty() {
            continue;
        }
        for doc in split_manifests(text) {
            let head = head_of(&doc).map_err(|e| RenderError {
                template: String::new(),
                line: None,
                column: None,
                message: format!("YAML parse error on {name}: {e}"),
            })?;
            let manifest = Manifest {
                source: name.clone(),
                content: doc,
                kind: head.kind.clone(),
                hook: false,
                crd: false,
            };
            match head.hook {
                None => generic.push(manifest),
                Some(Hook::Known) => hooks.push(Manifest {
                    hook: true,
                    ..manifest
                }),
                // Helm skips a document whose hook types it does not know.
                Some(Hook::Unknown) => {}
            }
        }
    }
    sort_by_kind(&mut generic);
    sort_by_kind(&mut hooks);
    out.extend(generic);
    out.extend(hooks);
    Ok(out)
}

/// The manifests as `helm template` prints them: the release's manifest (CRDs and the
/// other manifests) with its surrounding whitespace trimmed and one line break, then each
/// hook as it is.
pub fn template_output(manifests: &[Manifest]) -> String {
    let block = |m: &Manifest| format!("---\n# Source: {}\n{}\n", m.source, m.content);
    let release: String = manifests.iter().filter(|m| !m.hook).map(block).collect();
    let mut out = release.trim().to_string();
    out.push('\n');
    for m in manifests.iter().filter(|m| m.hook) {
        out.push_str(&block(m));
    }
    out
}

fn is_partial(name: &str) -> bool {
    name.rsplit('/').next().is_some_and(|b| b.starts_with('_'))
}

/// Every template of `chart` and its subcharts, with the values of its scope: the root's
/// `.Values` are the release values, a subchart's the table under its name in its parent's.
/// Returns the chart's scope as `.Subcharts` of its parent shows it.
fn collect(
    chart: &RenderChart,
    parent: &str,
    values: &serde_json::Value,
    top: (&Value, &Value),
    out: &mut Vec<Renderable>,
) -> Value {
    let full = if parent.is_empty() {
        chart.name.clone()
    } else {
        format!("{parent}/charts/{}", chart.name)
    };
    let mut subcharts: BTreeMap<Arc<str>, Value> = BTreeMap::new();
    for sub in &chart.subcharts {
        let sub_values = match values.get(&sub.name) {
            Some(v @ serde_json::Value::Object(_)) => v.clone(),
            _ => serde_json::Value::Object(Default::default()),
        };
        let scope = collect(sub, &full, &sub_values, top, out);
        subcharts.insert(Arc::from(sub.name.as_str()), scope);
    }
    let scope = Arc::new(Scope {
        values: super::funcs::to_value(values),
        chart: chart_value(&chart.metadata, parent.is_empty()),
        files: files_value(&chart.files),
        subcharts: Value::Map(Arc::new(subcharts)),
    });
    for t in &chart.templates {
        if chart.library && !is_partial(&t.path) {
            continue;
        }
        out.push(Renderable {
            name: format!("{full}/{}", t.path),
            text: Arc::from(t.text().as_ref()),
            scope: Arc::clone(&scope),
            base_path: format!("{full}/templates"),
            library: chart.library,
        });
    }
    scope_value(&scope, top)
}

/// The `crds/` files of `chart` and its subcharts (the chart's first), as printed with
/// `--include-crds`: the file as it is, not templated.
fn crds(chart: &RenderChart, parent: &str, out: &mut Vec<Manifest>) {
    let full = if parent.is_empty() {
        chart.name.clone()
    } else {
        format!("{parent}/charts/{}", chart.name)
    };
    for c in &chart.crds {
        let ext_ok = [".yaml", ".yml", ".json"]
            .iter()
            .any(|e| c.path.ends_with(e));
        if ext_ok {
            out.push(Manifest {
                source: format!("{full}/{}", c.path),
                content: c.text().into_owned(),
                kind: "CustomResourceDefinition".into(),
                hook: false,
                crd: true,
            });
        }
    }
    for sub in &chart.subcharts {
        crds(sub, &full, out);
    }
}

/// Helm's parse order: deeper paths first, so that a parent chart's `define` replaces a
/// subchart's of the same name; at the same depth, reverse alphabetical order.
fn parse_order(rs: &[Renderable]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..rs.len()).collect();
    order.sort_by(|&a, &b| {
        let (na, nb) = (&rs[a].name, &rs[b].name);
        let (da, db) = (na.matches('/').count(), nb.matches('/').count());
        db.cmp(&da).then_with(|| nb.cmp(na))
    });
    order
}

/// The template set of one render, and the functions that need it.
struct Engine {
    template: Arc<Template>,
}

/// What the functions that run templates (`include`, `tpl`) share with the engine.
struct Shared {
    template: OnceLock<Weak<Template>>,
    funcs: OnceLock<FuncMap>,
    depth: Mutex<HashMap<String, usize>>,
    tpl_count: Mutex<usize>,
    /// The final `$` of the template that finished last (see [`with_export`]).
    last: Mutex<Value>,
    /// `include` and `tpl` calls running now, nested.
    nesting: std::sync::atomic::AtomicUsize,
}

/// Counts one level of `include`/`tpl` nesting while alive.
struct Nested<'a>(&'a std::sync::atomic::AtomicUsize);

impl<'a> Nested<'a> {
    fn enter(counter: &'a std::sync::atomic::AtomicUsize, what: &str) -> gotmpl::Result<Self> {
        use std::sync::atomic::Ordering;
        if counter.fetch_add(1, Ordering::SeqCst) >= MAX_NESTING {
            counter.fetch_sub(1, Ordering::SeqCst);
            return Err(TemplateError::Exec(format!(
                "{what}: include and tpl are nested more than {MAX_NESTING} levels deep (a \
                 template that includes itself, or a value that renders itself?)"
            )));
        }
        Ok(Self(counter))
    }
}

impl Drop for Nested<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Engine {
    fn build(rs: &[Renderable], order: &[usize]) -> Result<Self, RenderError> {
        let shared = Arc::new(Shared {
            template: OnceLock::new(),
            funcs: OnceLock::new(),
            depth: Mutex::new(HashMap::new()),
            tpl_count: Mutex::new(0),
            last: Mutex::new(Value::Nil),
            nesting: std::sync::atomic::AtomicUsize::new(0),
        });
        let funcs = function_map(&shared);
        let _ = shared.funcs.set(funcs.clone());
        let known: std::collections::BTreeSet<String> = funcs.keys().cloned().collect();
        let mut template = Template::new("gotpl")
            .funcs(funcs)
            .missing_key(MissingKey::ZeroValue)
            .max_range_iters(MAX_RANGE_ITERS);
        // Trees by name: later ones replace earlier ones (a non-empty define wins over an
        // empty one), as Go's parse of one file after another does.
        let mut trees: BTreeMap<String, ListNode> = BTreeMap::new();
        for &i in order {
            let r = &rs[i];
            let (tree, defines) = parse(&r.name, &r.text)?;
            undefined_function(&r.name, &r.text, &tree, &defines, &known)?;
            insert_tree(&mut trees, r.name.clone(), tree);
            for d in defines {
                insert_tree(&mut trees, d.name.to_string(), d.body);
            }
        }
        for (name, tree) in trees {
            template = template.add_parse_tree(&name, with_export(tree));
        }
        let template = Arc::new(template);
        let _ = shared.template.set(Arc::downgrade(&template));
        Ok(Self { template })
    }

    fn execute(&self, name: &str, data: &Value) -> Result<String, RenderError> {
        self.template
            .execute_template_to_string(name, data)
            .map_err(|e| exec_error(name, &e))
    }
}

/// Go's parser refuses a call of a function it does not know, with the template's name and
/// line ("function \"x\" not defined"); gotmpl finds out only when the call runs, without a
/// position. The trees are checked here, as Go's parse does.
fn undefined_function(
    name: &str,
    text: &str,
    tree: &ListNode,
    defines: &[DefineNode],
    known: &std::collections::BTreeSet<String>,
) -> Result<(), RenderError> {
    type Known = std::collections::BTreeSet<String>;
    fn in_list(l: &ListNode, known: &Known) -> Option<(Pos, String)> {
        l.nodes.iter().find_map(|n| in_node(n, known))
    }
    fn in_node(n: &Node, known: &Known) -> Option<(Pos, String)> {
        match n {
            Node::List(l) => in_list(l, known),
            Node::Action(a) => in_pipe(&a.pipe, known),
            Node::If(b) | Node::Range(b) | Node::With(b) => in_pipe(&b.pipe, known)
                .or_else(|| in_list(&b.body, known))
                .or_else(|| b.else_body.as_ref().and_then(|e| in_list(e, known))),
            Node::Template(t) => t.pipe.as_ref().and_then(|p| in_pipe(p, known)),
            Node::Define(d) => in_list(&d.body, known),
            _ => None,
        }
    }
    fn in_pipe(p: &PipeNode, known: &Known) -> Option<(Pos, String)> {
        p.commands
            .iter()
            .flat_map(|c| c.args.iter())
            .find_map(|a| in_expr(a, known))
    }
    fn in_expr(e: &Expr, known: &Known) -> Option<(Pos, String)> {
        match e {
            Expr::Identifier(pos, f) if !known.contains(f.as_str()) && !is_builtin(f) => {
                Some((*pos, f.to_string()))
            }
            Expr::Pipe(_, p) => in_pipe(p, known),
            Expr::Chain(_, inner, _) => in_expr(inner, known),
            _ => None,
        }
    }
    /// Go's builtin functions, which gotmpl provides itself.
    fn is_builtin(f: &str) -> bool {
        matches!(
            f,
            "and"
                | "or"
                | "not"
                | "len"
                | "index"
                | "slice"
                | "print"
                | "printf"
                | "println"
                | "html"
                | "js"
                | "urlquery"
                | "call"
                | "eq"
                | "ne"
                | "lt"
                | "le"
                | "gt"
                | "ge"
        )
    }
    let found =
        in_list(tree, known).or_else(|| defines.iter().find_map(|d| in_list(&d.body, known)));
    match found {
        None => Ok(()),
        Some((pos, f)) => {
            let lines = LineStarts::new(&without_comments(text));
            Err(RenderError {
                template: name.to_string(),
                line: u32::try_from(pos.line).ok(),
                column: u32::try_from(lines.column(pos) + 1).ok(),
                message: format!(
                    "parse error: function {f:?} not defined (Helm has no such function; \
                     check its spelling)"
                ),
            })
        }
    }
}

fn insert_tree(trees: &mut BTreeMap<String, ListNode>, name: String, tree: ListNode) {
    if tree.is_empty_tree() && trees.get(&name).is_some_and(|t| !t.is_empty_tree()) {
        return;
    }
    trees.insert(name, tree);
}

/// Parses one template with gotmpl's parser and rewrites method calls and `required`/`fail`.
fn parse(name: &str, text: &str) -> Result<(ListNode, Vec<DefineNode>), RenderError> {
    let text = &without_comments(text);
    let parser =
        Parser::with_name(Some(name), text, "{{", "}}").map_err(|e| parse_error(name, &e))?;
    let (mut tree, mut defines) = parser.parse().map_err(|e| parse_error(name, &e))?;
    let lines = LineStarts::new(text);
    let rw = Rewriter {
        name,
        lines: &lines,
        hoisted: std::cell::Cell::new(0),
    };
    rw.body(&mut tree);
    for d in &mut defines {
        rw.body(&mut d.body);
    }
    Ok((tree, defines))
}

/// Comment actions (`{{/* … */}}`, with or without trim markers) replaced by actions that
/// print nothing, with the same trim markers and the same line breaks (so positions stay):
/// gotmpl trims the text after `{{- /* … */}}` as if it ended in `-}}`, which Go does not.
fn without_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("{{") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let (left_trim, body) = match after.strip_prefix("- ") {
            Some(b) => (true, b.trim_start()),
            None => (false, after),
        };
        let Some(comment) = body.strip_prefix("/*") else {
            out.push_str("{{");
            rest = after;
            continue;
        };
        let Some(end) = comment.find("*/") else {
            out.push_str("{{");
            rest = after;
            continue;
        };
        let tail = &comment[end + 2..];
        let (right_trim, close) = match tail.strip_prefix(" -}}") {
            Some(c) => (true, c),
            None => match tail.strip_prefix("}}") {
                Some(c) => (false, c),
                None => {
                    out.push_str("{{");
                    rest = after;
                    continue;
                }
            },
        };
        let consumed = &rest[i..rest.len() - close.len()];
        out.push_str(if left_trim { "{{- \"\"" } else { "{{\"\"" });
        for _ in 0..consumed.matches('\n').count() {
            out.push('\n');
        }
        out.push_str(if right_trim { " -}}" } else { "}}" });
        rest = close;
    }
    out.push_str(rest);
    out
}

fn parse_error(name: &str, e: &TemplateError) -> RenderError {
    match e {
        TemplateError::Parse {
            line, col, message, ..
        }
        | TemplateError::Lex {
            line, col, message, ..
        } => RenderError {
            template: name.to_string(),
            line: u32::try_from(*line).ok(),
            column: u32::try_from(*col).ok(),
            message: format!("parse error: {message}"),
        },
        other => RenderError {
            template: name.to_string(),
            line: None,
            column: None,
            message: format!("parse error: {other}"),
        },
    }
}

/// An execution error: the marked message of `required`/`fail` with its position, else the
/// engine's message on the template being rendered.
fn exec_error(name: &str, e: &TemplateError) -> RenderError {
    let text = e.to_string();
    if let (Some(s), Some(t)) = (text.find(ERR_START), text.find(ERR_END)) {
        if s < t {
            let inner = &text[s + ERR_START.len()..t];
            // `position\u{2}message`
            if let Some((pos, message)) = inner.split_once('\u{2}') {
                let mut parts = pos.rsplitn(3, ':');
                // Go counts columns from 0; positions here count from 1.
                let col = parts
                    .next()
                    .and_then(|c| c.parse::<u32>().ok())
                    .map(|c| c + 1);
                let line = parts.next().and_then(|l| l.parse().ok());
                let template = parts.next().unwrap_or(name).to_string();
                return RenderError {
                    template,
                    line,
                    column: col,
                    message: message.to_string(),
                };
            }
        }
    }
    RenderError {
        template: name.to_string(),
        line: None,
        column: None,
        message: text,
    }
}

/// Byte offsets of line starts, for columns of positions.
struct LineStarts(Vec<usize>);

impl LineStarts {
    fn new(text: &str) -> Self {
        let mut v = vec![0];
        v.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Self(v)
    }

    /// 0-based column (bytes into the line) of a position, as Go's template errors count.
    fn column(&self, pos: Pos) -> usize {
        let start = self.0.get(pos.line.saturating_sub(1)).copied().unwrap_or(0);
        pos.offset.saturating_sub(start)
    }
}

/// The methods of Helm's Go objects that templates call.
const METHODS: &[&str] = &["Get", "Glob", "Lines", "AsConfig", "AsSecrets", "Has"];

struct Rewriter<'a> {
    name: &'a str,
    lines: &'a LineStarts,
    /// Numbers the variables that hold hoisted `include` results.
    hoisted: std::cell::Cell<usize>,
}

impl Rewriter<'_> {
    /// A template body: the dot moved into `$` and mutations made assignments (see
    /// [`effects`]), then method calls and `required`/`fail` rewritten.
    fn body(&self, l: &mut ListNode) {
        root_list(l);
        self.effects(l);
        self.list(l);
        printing(l);
    }

    fn list(&self, l: &mut ListNode) {
        for n in &mut l.nodes {
            self.node(n);
        }
    }

    fn node(&self, n: &mut Node) {
        match n {
            Node::List(l) => self.list(l),
            Node::Action(a) => self.pipe(&mut a.pipe),
            Node::If(b) | Node::Range(b) | Node::With(b) => self.branch(b),
            Node::Template(t) => {
                if let Some(p) = &mut t.pipe {
                    self.pipe(p);
                }
            }
            Node::Define(d) => self.list(&mut d.body),
            Node::Text(_) | Node::Break(_) | Node::Continue(_) => {}
        }
    }

    fn branch(&self, b: &mut BranchNode) {
        self.pipe(&mut b.pipe);
        self.list(&mut b.body);
        if let Some(e) = &mut b.else_body {
            self.list(e);
        }
    }

    fn pipe(&self, p: &mut PipeNode) {
        for c in &mut p.commands {
            self.command(c);
        }
    }

    fn command(&self, c: &mut CommandNode) {
        for a in c.args.iter_mut().skip(1) {
            self.argument(a);
        }
        let Some(first) = c.args.first_mut() else {
            return;
        };
        match first {
            Expr::Identifier(pos, name) if name == "required" || name == "fail" => {
                let at = format!("{}:{}:{}", self.name, pos.line, self.lines.column(*pos));
                let pos = *pos;
                *first = Expr::Identifier(pos, SmolStr::new(format!("__{name}_at")));
                c.args.insert(1, Expr::String(pos, Arc::from(at.as_str())));
            }
            Expr::Pipe(_, p) => self.pipe(p),
            _ => {
                if let Some((pos, method, receiver)) = self.method_call(first) {
                    let rest: Vec<Expr> = c.args.drain(1..).collect();
                    c.args = vec![
                        Expr::Identifier(pos, SmolStr::new("__method")),
                        Expr::String(pos, Arc::from(method.as_str())),
                        receiver,
                    ];
                    c.args.extend(rest);
                }
            }
        }
    }

    /// An argument (not in command position): a method reference there is a call without
    /// arguments.
    fn argument(&self, a: &mut Expr) {
        if let Expr::Pipe(_, p) = a {
            self.pipe(p);
            return;
        }
        if let Some((pos, method, receiver)) = self.method_call(a) {
            *a = Expr::Pipe(
                pos,
                PipeNode {
                    pos,
                    decl: Vec::new(),
                    commands: vec![CommandNode {
                        pos,
                        args: vec![
                            Expr::Identifier(pos, SmolStr::new("__method")),
                            Expr::String(pos, Arc::from(method.as_str())),
                            receiver,
                        ],
                    }],
                    is_assign: false,
                },
            );
        }
    }

    /// `.Files.Get` → (`Get`, `.Files`); `$f.Glob` → (`Glob`, `$f`); `(x).AsConfig` →
    /// (`AsConfig`, `(x)`), for the methods Helm's objects have.
    fn method_call(&self, e: &mut Expr) -> Option<(Pos, String, Expr)> {
        match e {
            Expr::Field(pos, path) if path.len() >= 2 => {
                let last = path.last()?.to_string();
                METHODS.contains(&last.as_str()).then(|| {
                    let receiver = Expr::Field(*pos, path[..path.len() - 1].to_vec());
                    (*pos, last, receiver)
                })
            }
            Expr::Variable(pos, var, path) if !path.is_empty() => {
                let last = path.last()?.to_string();
                METHODS.contains(&last.as_str()).then(|| {
                    let receiver =
                        Expr::Variable(*pos, var.clone(), path[..path.len() - 1].to_vec());
                    (*pos, last, receiver)
                })
            }
            Expr::Chain(pos, inner, path) if !path.is_empty() => {
                let last = path.last()?.to_string();
                if !METHODS.contains(&last.as_str()) {
                    if let Expr::Pipe(_, p) = inner.as_mut() {
                        self.pipe(p);
                    }
                    return None;
                }
                if let Expr::Pipe(_, p) = inner.as_mut() {
                    self.pipe(p);
                }
                let receiver = if path.len() == 1 {
                    (**inner).clone()
                } else {
                    Expr::Chain(*pos, inner.clone(), path[..path.len() - 1].to_vec())
                };
                Some((*pos, last, receiver))
            }
            _ => None,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Mutation: Go's maps are references, gotmpl's are values.
//
// In Go, `set`/`unset`/`merge`/`mergeOverwrite` change the map they are given, and every
// holder of that map sees the change: the dot of a template (`{{ $_ := set . "mode" "ha" }}`
// in a helper called with `{{ template "vault.mode" . }}`, seen by the caller as `.mode`),
// a map reached through fields (`set .Values "agent" $a`, `set $d.sub "k" v`), a map passed
// to `include`. gotmpl's maps are immutable values, so the trees are rewritten into value
// semantics that give the same results for these uses:
//
// 1. At the top level of a body (outside `with`/`range` bodies, where the dot is the
//    template's argument, i.e. `$`), `.` and `.f.g` are read as `$` and `$.f.g`
//    ([`root_list`]), so that `$`, which can be assigned, holds the current dot.
// 2. A mutating call on a variable, a field path of one or an `index` of one,
//    `$x := F $v.a.b args…` / `$x := F (index $v.a $k) args…` (any declared or assigned
//    variable), becomes `$v = __mutate_in "F" N $v "a" "b" args…` (the map at those N keys
//    changed and put back into `$v`), followed by `$x := <the target>` unless `$x` is `$_`.
// 3. Every body ends with `__export $`, which records its final `$` for the caller; after
//    `{{ template "x" $v }}` and after an `include "x" $v` (hoisted out of its pipeline
//    into `$__incN := include "x" $v` before the action) comes `$v = __last`: the
//    callee's changes to its argument become the caller's.
//
// Not followed (as Go would): a map changed through another variable or field that holds
// the same map (`$d := .Values.x` then `set $d …` does not change `.Values.x`; a dict
// passed to `include` whose fields the callee changes, `set $ctx.rootContext.Values …`),
// changes in `with`/`range` bodies to their dot, mutating calls whose result is printed or
// piped (`{{ merge .Values.a $b | toYaml }}`), `include` inside `and`/`or` (not hoisted:
// that would run it when Go does not), and changes one template file makes to the values
// another file of the chart then reads (Go's files share their chart's `.Values` map).

/// The template's dot at top level (outside `with`/`range` bodies): `$`.
fn root_list(l: &mut ListNode) {
    for n in &mut l.nodes {
        match n {
            Node::List(l) => root_list(l),
            Node::Action(a) => root_pipe(&mut a.pipe),
            Node::If(b) => {
                root_pipe(&mut b.pipe);
                root_list(&mut b.body);
                if let Some(e) = &mut b.else_body {
                    root_list(e);
                }
            }
            Node::With(b) | Node::Range(b) => {
                root_pipe(&mut b.pipe);
                if let Some(e) = &mut b.else_body {
                    root_list(e);
                }
            }
            Node::Template(t) => {
                if let Some(p) = &mut t.pipe {
                    root_pipe(p);
                }
            }
            Node::Define(_) | Node::Text(_) | Node::Break(_) | Node::Continue(_) => {}
        }
    }
}

fn root_pipe(p: &mut PipeNode) {
    for c in &mut p.commands {
        for a in &mut c.args {
            root_expr(a);
        }
    }
}

fn root_expr(e: &mut Expr) {
    match e {
        Expr::Dot(pos) => *e = Expr::Variable(*pos, SmolStr::new("$"), Vec::new()),
        Expr::Field(pos, path) => {
            *e = Expr::Variable(*pos, SmolStr::new("$"), std::mem::take(path));
        }
        Expr::Pipe(_, p) => root_pipe(p),
        Expr::Chain(_, inner, _) => root_expr(inner),
        _ => {}
    }
}

/// Every action that prints ends in `| __print`: gotmpl prints floats and maps with Rust's
/// formatting, Go with `fmt` (see [`print`]).
fn printing(l: &mut ListNode) {
    for n in &mut l.nodes {
        match n {
            Node::List(l) => printing(l),
            Node::Action(a) if a.pipe.decl.is_empty() => {
                let pos = a.pipe.pos;
                a.pipe.commands.push(CommandNode {
                    pos,
                    args: vec![Expr::Identifier(pos, SmolStr::new("__print"))],
                });
            }
            Node::If(b) | Node::With(b) | Node::Range(b) => {
                printing(&mut b.body);
                if let Some(e) = &mut b.else_body {
                    printing(e);
                }
            }
            Node::Define(d) => printing(&mut d.body),
            _ => {}
        }
    }
}

fn action(pos: Pos, decl: &str, is_assign: bool, args: Vec<Expr>) -> Node {
    Node::Action(gotmpl::parse::ActionNode {
        pos,
        pipe: PipeNode {
            pos,
            decl: if decl.is_empty() {
                Vec::new()
            } else {
                vec![SmolStr::new(decl)]
            },
            commands: vec![CommandNode { pos, args }],
            is_assign,
        },
    })
}

/// `$v = __last`: the argument of the template just called, as the callee left it.
fn write_back(pos: Pos, var: &str) -> Node {
    action(
        pos,
        var,
        true,
        vec![Expr::Identifier(pos, SmolStr::new("__last"))],
    )
}

/// The variable a call passes as its data when it is a bare variable (`$`, `$ctx`).
fn bare_variable(e: &Expr) -> Option<SmolStr> {
    match e {
        Expr::Variable(_, v, path) if path.is_empty() => Some(v.clone()),
        _ => None,
    }
}

/// The trailer every body ends with: `{{ $__export := __export $ }}`.
fn with_export(mut tree: ListNode) -> ListNode {
    let pos = tree.pos;
    tree.nodes.push(action(
        pos,
        "$__export",
        false,
        vec![
            Expr::Identifier(pos, SmolStr::new("__export")),
            Expr::Variable(pos, SmolStr::new("$"), Vec::new()),
        ],
    ));
    tree
}

impl Rewriter<'_> {
    /// Hoists `include`s of bare variables, writes back after `template` calls, and turns
    /// mutating calls into assignments, in every list of the body.
    fn effects(&self, l: &mut ListNode) {
        let nodes = std::mem::take(&mut l.nodes);
        for mut n in nodes {
            let mut before = Vec::new();
            let mut after = Vec::new();
            match &mut n {
                Node::List(inner) => self.effects(inner),
                Node::Action(a) => {
                    self.hoist_pipe(&mut a.pipe, &mut before);
                    mutation(&mut a.pipe, &mut after);
                }
                Node::If(b) | Node::With(b) | Node::Range(b) => {
                    self.hoist_pipe(&mut b.pipe, &mut before);
                    self.effects(&mut b.body);
                    if let Some(e) = &mut b.else_body {
                        self.effects(e);
                    }
                }
                Node::Template(t) => {
                    if let Some(p) = &mut t.pipe {
                        self.hoist_pipe(p, &mut before);
                        if let [c] = p.commands.as_slice() {
                            if let (true, [arg]) = (p.decl.is_empty(), c.args.as_slice()) {
                                if let Some(v) = bare_variable(arg) {
                                    after.push(write_back(t.pos, &v));
                                }
                            }
                        }
                    }
                }
                Node::Define(d) => self.effects(&mut d.body),
                Node::Text(_) | Node::Break(_) | Node::Continue(_) => {}
            }
            l.nodes.extend(before);
            l.nodes.push(n);
            l.nodes.extend(after);
        }
    }

    fn hoist_pipe(&self, p: &mut PipeNode, before: &mut Vec<Node>) {
        for (i, c) in p.commands.iter_mut().enumerate() {
            if let Some(Expr::Identifier(_, f)) = c.args.first() {
                if f == "and" || f == "or" {
                    continue;
                }
            }
            for a in &mut c.args {
                self.hoist_expr(a, before);
            }
            // `{{ include "x" $v | f }}`: the first command itself.
            if i == 0 {
                if let Some(var) = self.hoisted_include(c, before) {
                    c.args = vec![var];
                }
            }
        }
    }

    fn hoist_expr(&self, e: &mut Expr, before: &mut Vec<Node>) {
        match e {
            Expr::Pipe(_, p) => {
                self.hoist_pipe(p, before);
                if p.decl.is_empty() && p.commands.len() == 1 {
                    if let Some(var) = self.hoisted_include(&p.commands[0], before) {
                        *e = var;
                    }
                }
            }
            Expr::Chain(_, inner, _) => self.hoist_expr(inner, before),
            _ => {}
        }
    }

    /// `include "x" $v` → `{{ $__incN := include "x" $v }}{{ $v = __last }}` before the
    /// node, and `$__incN` in its place.
    fn hoisted_include(&self, c: &CommandNode, before: &mut Vec<Node>) -> Option<Expr> {
        let [Expr::Identifier(pos, f), _, data] = c.args.as_slice() else {
            return None;
        };
        if f != "include" {
            return None;
        }
        let v = bare_variable(data)?;
        let n = self.hoisted.get() + 1;
        self.hoisted.set(n);
        let name = format!("$__inc{n}");
        before.push(action(*pos, &name, false, c.args.clone()));
        before.push(write_back(*pos, &v));
        Some(Expr::Variable(*pos, SmolStr::new(&name), Vec::new()))
    }
}

/// `$x := F $v.a.b args…` or `$x := F (index $v.a k…) args…` (F mutating) →
/// `$v = __mutate_in "F" N $v "a" k… args…` (N keys), and `$x := <the target>` after it
/// (unless `$x` is `$_`).
fn mutation(p: &mut PipeNode, after: &mut Vec<Node>) {
    if p.commands.len() != 1 || p.decl.len() != 1 {
        return;
    }
    let c = &mut p.commands[0];
    let (pos, f, target) = match c.args.as_slice() {
        [Expr::Identifier(pos, f), target, ..]
            if super::funcs::MUTATING_FUNCTIONS.contains(&f.as_str()) =>
        {
            (*pos, f.clone(), target.clone())
        }
        _ => return,
    };
    let fields = |path: &[SmolStr]| -> Vec<Expr> {
        path.iter()
            .map(|k| Expr::String(pos, Arc::from(k.as_str())))
            .collect()
    };
    let (var, keys) = match &target {
        Expr::Variable(_, v, path) => (v.clone(), fields(path)),
        Expr::Pipe(_, ip) if ip.decl.is_empty() && ip.commands.len() == 1 => {
            match ip.commands[0].args.as_slice() {
                [Expr::Identifier(_, i), Expr::Variable(_, v, path), ks @ ..]
                    if i == "index" && !ks.is_empty() =>
                {
                    let mut keys = fields(path);
                    keys.extend(ks.iter().cloned());
                    (v.clone(), keys)
                }
                _ => return,
            }
        }
        _ => return,
    };
    let decl = p.decl[0].clone();
    if decl != "$_" {
        after.push(action(pos, &decl, p.is_assign, vec![target]));
    }
    if !keys.is_empty() {
        let n = i64::try_from(keys.len()).unwrap_or(0);
        let rest: Vec<Expr> = c.args.drain(2..).collect();
        c.args = vec![
            Expr::Identifier(pos, SmolStr::new("__mutate_in")),
            Expr::String(pos, Arc::from(f.as_str())),
            Expr::Number(pos, gotmpl::parse::Number::Int(n)),
            Expr::Variable(pos, var.clone(), Vec::new()),
        ];
        c.args.extend(keys);
        c.args.extend(rest);
    }
    p.decl = vec![var];
    p.is_assign = true;
}

/// `__mutate_in F N ROOT K1…KN ARGS…`: ROOT with the map at keys K1…KN replaced by
/// `F map ARGS…`. Where a key leads to no map, `F` is called as Go would call it and ROOT
/// is returned unchanged.
fn mutate_in(funcs: &FuncMap, args: &[Value]) -> gotmpl::Result<Value> {
    let f = args.first().and_then(Value::as_str).unwrap_or_default();
    let n = match args.get(1) {
        Some(Value::Int(n)) => usize::try_from(*n).unwrap_or(0),
        _ => 0,
    };
    let root = args.get(2).cloned().unwrap_or(Value::Nil);
    let keys: Vec<String> = args.iter().skip(3).take(n).map(value_text).collect();
    let rest = &args[(3 + n).min(args.len())..];
    let func = funcs
        .get(f)
        .ok_or_else(|| TemplateError::Exec(format!("function {f:?} not defined")))?;
    fn go(
        v: &Value,
        keys: &[String],
        func: &gotmpl::ValueFunc,
        rest: &[Value],
    ) -> gotmpl::Result<Option<Value>> {
        let Some((k, more)) = keys.split_first() else {
            let mut call = vec![v.clone()];
            call.extend_from_slice(rest);
            return func(&call).map(Some);
        };
        let Value::Map(m) = v else {
            let inner = v.field(k).cloned().unwrap_or(Value::Nil);
            let _ = go(&inner, more, func, rest)?;
            return Ok(None);
        };
        let inner = m.get(k.as_str()).cloned().unwrap_or(Value::Nil);
        let Some(changed) = go(&inner, more, func, rest)? else {
            return Ok(None);
        };
        let mut m = (**m).clone();
        m.insert(Arc::from(k.as_str()), changed);
        Ok(Some(Value::Map(Arc::new(m))))
    }
    Ok(go(&root, &keys, func, rest)?.unwrap_or(root))
}

/// The engine's functions: sprig's and Helm's pure ones, and those that need the template
/// set or a call's position.
fn function_map(shared: &Arc<Shared>) -> FuncMap {
    let mut f = super::funcs::function_map();
    let s = Arc::clone(shared);
    f.insert(
        "include".into(),
        Arc::new(move |args: &[Value]| {
            let name = args
                .first()
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let data = args.get(1).cloned().unwrap_or(Value::Nil);
            include(&s, &name, &data).map(|t| Value::String(Arc::from(t.as_str())))
        }),
    );
    let s = Arc::clone(shared);
    f.insert(
        "tpl".into(),
        Arc::new(move |args: &[Value]| {
            let text = args.first().map(value_text).unwrap_or_default();
            let data = args.get(1).cloned().unwrap_or(Value::Nil);
            tpl(&s, &text, &data).map(|t| Value::String(Arc::from(t.as_str())))
        }),
    );
    f.insert(
        "__required_at".into(),
        Arc::new(|args: &[Value]| {
            let at = args.first().and_then(Value::as_str).unwrap_or_default();
            let msg = args.get(1).map(value_text).unwrap_or_default();
            let v = args.get(2).cloned().unwrap_or(Value::Nil);
            let missing = match &v {
                Value::Nil => true,
                Value::String(s) => s.is_empty(),
                _ => false,
            };
            if missing {
                Err(marked(at, &msg))
            } else {
                Ok(v)
            }
        }),
    );
    f.insert(
        "__fail_at".into(),
        Arc::new(|args: &[Value]| {
            let at = args.first().and_then(Value::as_str).unwrap_or_default();
            let msg = args.get(1).map(value_text).unwrap_or_default();
            Err(marked(at, &msg))
        }),
    );
    // `helm template` has no cluster: `lookup` finds nothing.
    f.insert(
        "lookup".into(),
        Arc::new(|_: &[Value]| Ok(Value::Map(Arc::new(BTreeMap::new())))),
    );
    f.insert("__method".into(), Arc::new(method));
    f.insert("__print".into(), Arc::new(print));
    f.insert(
        "print".into(),
        Arc::new(|args: &[Value]| Ok(self::s(&go_print(args, false)))),
    );
    f.insert(
        "println".into(),
        Arc::new(|args: &[Value]| Ok(self::s(&go_print(args, true)))),
    );
    let base = f.clone();
    f.insert(
        "__mutate_in".into(),
        Arc::new(move |args: &[Value]| mutate_in(&base, args)),
    );
    let s = Arc::clone(shared);
    f.insert(
        "__export".into(),
        Arc::new(move |args: &[Value]| {
            *s.last.lock().unwrap_or_else(|e| e.into_inner()) =
                args.first().cloned().unwrap_or(Value::Nil);
            Ok(Value::String(Arc::from("")))
        }),
    );
    let s = Arc::clone(shared);
    f.insert(
        "__last".into(),
        Arc::new(move |_: &[Value]| Ok(s.last.lock().unwrap_or_else(|e| e.into_inner()).clone())),
    );
    f
}

fn marked(at: &str, message: &str) -> TemplateError {
    TemplateError::Exec(format!("{ERR_START}{at}\u{2}{message}{ERR_END}"))
}

/// A string argument as Go's `%v` would give it (a string as it is).
fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.to_string(),
        Value::Nil => String::new(),
        other => other.to_string(),
    }
}

fn include(shared: &Shared, name: &str, data: &Value) -> gotmpl::Result<String> {
    let template = shared
        .template
        .get()
        .and_then(Weak::upgrade)
        .ok_or_else(|| TemplateError::Exec("include outside a render".into()))?;
    let _nested = Nested::enter(&shared.nesting, &format!("include {name:?}"))?;
    {
        let mut depth = shared.depth.lock().unwrap_or_else(|e| e.into_inner());
        let n = depth.entry(name.to_string()).or_default();
        if *n > MAX_INCLUDE_DEPTH {
            return Err(TemplateError::Exec(format!(
                "rendering template has a nested reference name: {name}"
            )));
        }
        *n += 1;
    }
    let out = template.execute_template_to_string(name, data);
    if let Some(n) = shared
        .depth
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get_mut(name)
    {
        *n = n.saturating_sub(1);
    }
    out
}

/// `tpl`: `text` rendered as a template named like the calling one, with the chart's
/// templates available to `include`.
fn tpl(shared: &Shared, text: &str, data: &Value) -> gotmpl::Result<String> {
    let _nested = Nested::enter(&shared.nesting, "tpl")?;
    let name = match data {
        Value::Map(m) => m
            .get("Template")
            .and_then(|t| t.field("Name"))
            .and_then(Value::as_str)
            .unwrap_or("tpl")
            .to_string(),
        _ => "tpl".to_string(),
    };
    let (tree, defines) = parse(&name, text).map_err(|e| TemplateError::Exec(e.message))?;
    let funcs = shared.funcs.get().cloned().unwrap_or_default();
    let id = {
        let mut n = shared.tpl_count.lock().unwrap_or_else(|e| e.into_inner());
        *n += 1;
        *n
    };
    let own = format!("\u{0}tpl{id}");
    // `{{ template "x" }}` inside the text: the definitions it names, its own first, then
    // the chart's (and what those call in turn).
    let mut wanted: Vec<String> = Vec::new();
    template_calls(&tree, &mut wanted);
    for d in &defines {
        template_calls(&d.body, &mut wanted);
    }
    let mut t = Template::new(&own)
        .funcs(funcs)
        .missing_key(MissingKey::ZeroValue)
        .max_range_iters(MAX_RANGE_ITERS)
        .add_parse_tree(&own, with_export(tree));
    for d in defines {
        t = t.add_parse_tree(d.name.as_str(), with_export(d.body));
    }
    if let Some(main) = shared.template.get().and_then(Weak::upgrade) {
        let mut seen: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
        while let Some(w) = wanted.pop() {
            if !seen.insert(w.clone()) || t.lookup(&w).is_some() {
                continue;
            }
            if let Some(body) = main.lookup(&w) {
                let body = body.clone();
                template_calls(&body, &mut wanted);
                t = t.add_parse_tree(&w, body);
            }
        }
    }
    let out = t.execute_template_to_string(&own, data)?;
    Ok(out.replace("<no value>", ""))
}

/// The names `{{ template "x" }}` actions in `l` call.
fn template_calls(l: &ListNode, out: &mut Vec<String>) {
    for n in &l.nodes {
        match n {
            Node::List(l) => template_calls(l, out),
            Node::Template(t) => out.push(t.name.to_string()),
            Node::If(b) | Node::Range(b) | Node::With(b) => {
                template_calls(&b.body, out);
                if let Some(e) = &b.else_body {
                    template_calls(e, out);
                }
            }
            Node::Define(d) => template_calls(&d.body, out),
            _ => {}
        }
    }
}

/// `.Chart`: the metadata's fields and `IsRoot`. Its `toYaml` gives a chart without
/// annotations `Annotations: null` (Go's nil map), while templates index and range over an
/// empty map.
fn chart_value(metadata: &serde_json::Value, is_root: bool) -> Value {
    let mut fields: BTreeMap<Arc<str>, Value> = match super::funcs::to_value(metadata) {
        Value::Map(m) => (*m).clone(),
        _ => BTreeMap::new(),
    };
    fields.insert(Arc::from("IsRoot"), Value::Bool(is_root));
    let mut json = fields.clone();
    if matches!(json.get("Annotations"), Some(Value::Map(a)) if a.is_empty()) {
        json.insert(Arc::from("Annotations"), Value::Nil);
    }
    let fields: Vec<(&str, Value)> = fields
        .iter()
        .map(|(k, v)| (k.as_ref(), v.clone()))
        .collect();
    super::funcs::go_struct(fields, None, Value::Map(Arc::new(json)))
}

/// `__print V`, the last command of every printing action: V as Go's `fmt.Fprint` prints
/// it ([`super::funcs::go_sprint`]: floats as `1e+07`, Go structs as `{a b}`), a string
/// as it is, nil left for the engine to print as `<no value>`.
fn print(args: &[Value]) -> gotmpl::Result<Value> {
    Ok(match args.last() {
        None | Some(Value::Nil) => Value::Nil,
        Some(v @ Value::String(_)) => v.clone(),
        Some(v) => Value::String(Arc::from(super::funcs::go_sprint(v).as_str())),
    })
}

/// Go's `fmt.Sprint` (a space between operands where neither is a string) or
/// `fmt.Sprintln` (spaces always, a final line break), values as [`super::funcs::go_sprint`]
/// prints them: `gotmpl`'s own `print` formats floats and maps with Rust's formatting.
fn go_print(args: &[Value], ln: bool) -> String {
    let is_str = |v: &Value| matches!(v, Value::String(_));
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 && (ln || !(is_str(&args[i - 1]) || is_str(a))) {
            out.push(' ');
        }
        out.push_str(&super::funcs::go_sprint(a));
    }
    if ln {
        out.push('\n');
    }
    out
}

/// `__method NAME RECEIVER ARGS…`: the methods of Helm's `.Files` (a map of path → content
/// here) and `.Capabilities.APIVersions` (a list here). A map that merely has a key of the
/// method's name (a value named `Get`) gives that key's value, as a field lookup would.
fn method(args: &[Value]) -> gotmpl::Result<Value> {
    let name = args.first().and_then(Value::as_str).unwrap_or_default();
    let recv = args.get(1).cloned().unwrap_or(Value::Nil);
    let rest = &args[2.min(args.len())..];
    let arg = |i: usize| rest.get(i).map(value_text).unwrap_or_default();
    match (&recv, name) {
        (Value::List(l), "Has") => {
            let want = arg(0);
            Ok(Value::Bool(
                l.iter().any(|v| v.as_str() == Some(want.as_str())),
            ))
        }
        (Value::Map(m), _) if rest.is_empty() && m.contains_key(name) && !is_files(m) => {
            Ok(m.get(name).cloned().unwrap_or(Value::Nil))
        }
        (Value::Map(m), "Get") => Ok(m
            .get(arg(0).as_str())
            .cloned()
            .unwrap_or_else(|| Value::String(Arc::from("")))),
        (Value::Map(m), "Glob") => {
            let pattern = arg(0);
            let glob = globset::GlobBuilder::new(&pattern)
                .literal_separator(true)
                .build()
                .map_err(|e| TemplateError::Exec(format!("bad glob {pattern:?}: {e}")))?
                .compile_matcher();
            let picked: BTreeMap<Arc<str>, Value> = m
                .iter()
                .filter(|(k, _)| glob.is_match(k.as_ref()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            Ok(Value::Map(Arc::new(picked)))
        }
        (Value::Map(m), "Lines") => {
            let text = m.get(arg(0).as_str()).map(value_text).unwrap_or_default();
            let lines: Vec<Value> = if text.is_empty() {
                Vec::new()
            } else {
                text.split('\n')
                    .map(|l| Value::String(Arc::from(l)))
                    .collect()
            };
            Ok(Value::List(Arc::from(lines)))
        }
        (Value::Map(m), "AsConfig") => {
            let data: serde_json::Map<String, serde_json::Value> = m
                .iter()
                .filter(|(k, _)| k.as_ref() != FILES_MARKER)
                .map(|(k, v)| {
                    let base = k.rsplit('/').next().unwrap_or(k).to_string();
                    (base, serde_json::Value::String(value_text(v)))
                })
                .collect();
            yaml_of(&serde_json::Value::Object(data))
        }
        (Value::Map(m), "AsSecrets") => {
            use base64::Engine as _;
            let data: serde_json::Map<String, serde_json::Value> = m
                .iter()
                .filter(|(k, _)| k.as_ref() != FILES_MARKER)
                .map(|(k, v)| {
                    let base = k.rsplit('/').next().unwrap_or(k).to_string();
                    let enc = base64::engine::general_purpose::STANDARD.encode(value_text(v));
                    (base, serde_json::Value::String(enc))
                })
                .collect();
            yaml_of(&serde_json::Value::Object(data))
        }
        _ => Err(TemplateError::Exec(format!(
            "can't evaluate field {name} in type {}",
            recv.type_name()
        ))),
    }
}

/// Whether a map is `.Files` (or a `Glob` of it) rather than a map of values.
fn is_files(m: &BTreeMap<Arc<str>, Value>) -> bool {
    m.contains_key(FILES_MARKER)
}

/// A key no file can have, marking the map of `.Files`.
const FILES_MARKER: &str = "\u{0}files";

fn yaml_of(v: &serde_json::Value) -> gotmpl::Result<Value> {
    let text = super::funcs::yaml::to_yaml(&super::funcs::to_value(v));
    Ok(Value::String(Arc::from(text.as_str())))
}

fn files_value(files: &[ChartFile]) -> Value {
    let mut m: BTreeMap<Arc<str>, Value> = files
        .iter()
        .map(|f| {
            (
                Arc::from(f.path.as_str()),
                Value::String(Arc::from(f.text().as_ref())),
            )
        })
        .collect();
    m.insert(Arc::from(FILES_MARKER), Value::Bool(true));
    Value::Map(Arc::new(m))
}

fn map_of(entries: Vec<(&str, Value)>) -> Value {
    Value::Map(Arc::new(
        entries
            .into_iter()
            .map(|(k, v)| (Arc::from(k), v))
            .collect(),
    ))
}

fn s(v: &str) -> Value {
    Value::String(Arc::from(v))
}

fn release_value(r: &Release) -> Value {
    map_of(vec![
        ("Name", s(&r.name)),
        ("Namespace", s(&r.namespace)),
        ("IsInstall", Value::Bool(r.is_install)),
        ("IsUpgrade", Value::Bool(r.is_upgrade)),
        ("Revision", Value::Int(r.revision)),
        ("Service", s("Helm")),
    ])
}

/// `.Capabilities`. `KubeVersion` and `HelmVersion` are Go structs: printed directly they
/// give Go's struct formatting (`{v1.36.0 v1.36.0 1 36}`), `toYaml` gives their JSON
/// marshalling (`KubeVersion` without `GitVersion`, `HelmVersion` with its `json` tags).
fn capabilities_value(c: &Capabilities) -> Value {
    use super::funcs::go_struct;
    let v = c.kube_version.trim_start_matches('v');
    let mut parts = v.split('.');
    let major = parts.next().unwrap_or("1").to_string();
    let minor = parts.next().unwrap_or("0").to_string();
    let kv = &c.kube_version;
    let kube = go_struct(
        vec![
            ("Version", s(kv)),
            ("GitVersion", s(kv)),
            ("Major", s(&major)),
            ("Minor", s(&minor)),
        ],
        Some(&format!("{{{kv} {kv} {major} {minor}}}")),
        map_of(vec![
            ("Version", s(kv)),
            ("Major", s(&major)),
            ("Minor", s(&minor)),
        ]),
    );
    let apis: Vec<Value> = c.api_versions.iter().map(|a| s(a)).collect();
    let helm_fields = [
        ("Version", "version", "v4.2.3"),
        (
            "GitCommit",
            "git_commit",
            "43e8b7feece8beb0fcba47059ec9b522fd929a64",
        ),
        ("GitTreeState", "git_tree_state", "clean"),
        ("GoVersion", "go_version", "go1.26.5"),
        ("KubeClientVersion", "kube_client_version", "v1.36"),
    ];
    let printed = helm_fields.map(|(_, _, v)| v).join(" ");
    let helm = go_struct(
        helm_fields.iter().map(|&(f, _, v)| (f, s(v))).collect(),
        Some(&format!("{{{printed}}}")),
        map_of(helm_fields.iter().map(|&(_, j, v)| (j, s(v))).collect()),
    );
    map_of(vec![
        ("KubeVersion", kube),
        ("APIVersions", Value::List(Arc::from(apis))),
        ("HelmVersion", helm),
    ])
}

fn data_value(r: &Renderable, release: &Value, capabilities: &Value) -> Value {
    let mut v = scope_value(&r.scope, (release, capabilities));
    if let Value::Map(m) = &mut v {
        Arc::make_mut(m).insert(
            Arc::from("Template"),
            map_of(vec![("Name", s(&r.name)), ("BasePath", s(&r.base_path))]),
        );
    }
    v
}

/// The top object of a chart's templates without `.Template`: `.Values`, `.Chart`, `.Files`,
/// `.Subcharts`, `.Release` and `.Capabilities`.
fn scope_value(scope: &Scope, (release, capabilities): (&Value, &Value)) -> Value {
    map_of(vec![
        ("Values", scope.values.clone()),
        ("Chart", scope.chart.clone()),
        ("Files", scope.files.clone()),
        ("Subcharts", scope.subcharts.clone()),
        ("Release", release.clone()),
        ("Capabilities", capabilities.clone()),
    ])
}

/// Helm's split of a rendered file into documents: on `---` lines (and a `---` glued to
/// what follows, with the whitespace around it), leading whitespace of each document
/// removed, empty pieces dropped; the last document keeps its trailing whitespace.
fn split_manifests(text: &str) -> Vec<String> {
    static SEP: OnceLock<regex::Regex> = OnceLock::new();
    let sep = SEP.get_or_init(|| regex::Regex::new(r"(?:^|\s*\n)---\s*").expect("valid"));
    let trimmed = text.trim_start();
    sep.split(trimmed)
        .filter(|d| !d.is_empty())
        .map(|d| d.trim_start().to_string())
        .collect()
}

enum Hook {
    Known,
    Unknown,
}

struct Head {
    kind: String,
    hook: Option<Hook>,
}

/// `kind` and the hook annotation of a document (Helm reads this much of every document
/// and fails the render when it is not YAML).
fn head_of(doc: &str) -> Result<Head, String> {
    // go-yaml keeps the last of a repeated key.
    let mut options = serde_saphyr::Options::default();
    options.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::LastWins;
    let v: serde_json::Value =
        serde_saphyr::from_str_with_options(doc, options).map_err(|e| e.to_string())?;
    let kind = v
        .get("kind")
        .and_then(|k| k.as_str())
        .unwrap_or_default()
        .to_string();
    let hook = v
        .pointer("/metadata/annotations")
        .and_then(|a| a.get("helm.sh/hook"))
        .and_then(|h| h.as_str())
        .map(|h| {
            const EVENTS: [&str; 10] = [
                "pre-install",
                "post-install",
                "pre-delete",
                "post-delete",
                "pre-upgrade",
                "post-upgrade",
                "pre-rollback",
                "post-rollback",
                "test",
                "test-success",
            ];
            if h.split(',')
                .all(|e| EVENTS.contains(&e.trim().to_ascii_lowercase().as_str()))
            {
                Hook::Known
            } else {
                Hook::Unknown
            }
        });
    Ok(Head { kind, hook })
}

/// Helm's install order of kinds; unknown kinds last, alphabetically; stable.
const INSTALL_ORDER: &[&str] = &[
    "PriorityClass",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

fn sort_by_kind(ms: &mut [Manifest]) {
    let rank = |k: &str| INSTALL_ORDER.iter().position(|x| *x == k);
    ms.sort_by(|a, b| match (rank(&a.kind), rank(&b.kind)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.kind.cmp(&b.kind),
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn file(path: &str, text: &str) -> ChartFile {
        ChartFile {
            path: path.into(),
            bytes: Arc::from(text.as_bytes()),
        }
    }

    /// The data lines of `templates/t.yaml` (after `helpers` in `templates/_h.tpl`)
    /// rendered with `values`.
    fn render_with(helpers: &str, body: &str, values: serde_json::Value) -> String {
        let chart = RenderChart {
            name: "c".into(),
            metadata: json!({"Name": "c", "Version": "0.1.0", "Annotations": {}}),
            templates: vec![
                file("templates/_h.tpl", helpers),
                file("templates/t.yaml", &format!("{body}\nkind: ConfigMap")),
            ],
            ..Default::default()
        };
        let out = render(&chart, &values, &RenderOptions::default()).expect("renders");
        assert_eq!(out.len(), 1, "{out:?}");
        let text = out[0]
            .content
            .strip_suffix("\nkind: ConfigMap")
            .expect("the document");
        // Output lines are YAML comments (`#a: …`).
        text.lines()
            .map(|l| l.strip_prefix('#').unwrap_or(l))
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn render_one(body: &str) -> String {
        render_with("", body, json!({}))
    }

    /// Renders on a thread with the stack a scan's workers have.
    fn render_error(helpers: &str, body: &str, values: serde_json::Value) -> RenderError {
        let helpers = helpers.to_string();
        let body = body.to_string();
        std::thread::Builder::new()
            .stack_size(16 << 20)
            .spawn(move || {
                let chart = RenderChart {
                    name: "c".into(),
                    metadata: json!({"Name": "c", "Version": "0.1.0"}),
                    templates: vec![
                        file("templates/_h.tpl", &helpers),
                        file("templates/t.yaml", &body),
                    ],
                    ..Default::default()
                };
                render(&chart, &values, &RenderOptions::default()).expect_err("an error")
            })
            .unwrap()
            .join()
            .expect("no crash")
    }

    #[test]
    fn a_template_that_includes_itself_is_an_error_not_a_crash() {
        let e = render_error(
            r#"{{- define "loop" -}}x{{ include "loop" . }}{{- end -}}"#,
            r#"a: {{ include "loop" . }}"#,
            json!({}),
        );
        assert!(e.message.contains("nested more than"), "{e}");
        let e = render_error(
            "",
            r#"a: {{ tpl .Values.t . }}"#,
            json!({"t": "{{ tpl .Values.t . }}"}),
        );
        assert!(e.message.contains("nested more than"), "{e}");
    }

    #[test]
    fn huge_lists_strings_and_loops_stop_at_their_limits() {
        for body in [
            "{{ range until 100000000 }}x{{ end }}",
            "{{ range untilStep 0 1000000000 1 }}x{{ end }}",
            "{{ repeat 100000000 \"xxxxxxxxxx\" }}",
            "{{ randAlphaNum 1000000000 }}",
            "{{ \"a\" | indent 100000000 }}",
            "{{ range until 900000 }}{{ range until 900000 }}{{ end }}{{ end }}",
        ] {
            let e = render_error("", body, json!({}));
            assert!(!e.message.is_empty(), "{body}: {e}");
        }
    }

    #[test]
    fn an_unknown_function_is_a_parse_error_at_its_line() {
        let e = render_error("", "a: 1\nb: {{ notAFunction . }}\n", json!({}));
        assert_eq!(e.template, "c/templates/t.yaml");
        assert_eq!((e.line, e.column), (Some(2), Some(7)), "{e}");
        assert!(e.message.contains("\"notAFunction\" not defined"), "{e}");
        // One in a helper is found too, where it is written.
        let e = render_error("{{ define \"h\" }}{{ nope }}{{ end }}", "a: 1", json!({}));
        assert_eq!(e.template, "c/templates/_h.tpl");
    }

    #[test]
    fn a_template_changing_its_dot_changes_the_callers() {
        let helpers = r#"{{- define "mode" -}}
{{- if .Values.ha -}}{{- $_ := set . "mode" "ha" -}}{{- else -}}{{- $_ := set . "mode" "standalone" -}}{{- end -}}
{{- end -}}
{{- define "add" -}}{{- $_ := set . "added" (printf "%s!" .mode) -}}x{{- end -}}"#;
        let body = r#"{{ template "mode" . }}a: {{ .mode }}
#b: {{ include "add" . }}{{ .added }}
#c: {{ $.mode }}"#;
        assert_eq!(
            render_with(helpers, body, json!({"ha": true})),
            "a: ha\nb: xha!\nc: ha"
        );
        assert_eq!(
            render_with(helpers, body, json!({})),
            "a: standalone\nb: xstandalone!\nc: standalone"
        );
    }

    #[test]
    fn an_include_inside_a_mutation_keeps_both_changes() {
        // jupyterhub: `$dummy := set . "k" (include "helper" .)`, the helper itself changing
        // the dot.
        let helpers = r#"{{- define "h" -}}{{- $_ := set . "inner" "i" -}}out{{- end -}}"#;
        let body = r#"{{- $dummy := set . "outer" (include "h" .) -}}
#a: {{ .outer }} {{ .inner }} {{ $dummy.outer }}"#;
        assert_eq!(render_with(helpers, body, json!({})), "a: out i out");
    }

    #[test]
    fn mutation_through_fields_and_index() {
        let body = r#"{{- $_ := set .Values "k" "v" -}}
{{- $d := dict "sub" (dict "a" 1) -}}
{{- $_ := set $d.sub "b" 2 -}}
{{- $h := "sub" -}}
{{- $_ := set (index $d $h) "c" 3 -}}
{{- $x := unset $d.sub "a" -}}
{{- $_ := mergeOverwrite $.Values (dict "m" "n") -}}
#a: {{ .Values.k }} {{ .Values.m }}
#b: {{ $d.sub | toJson }} {{ $x | toJson }}"#;
        assert_eq!(
            render_one(body),
            "a: v n\nb: {\"b\":2,\"c\":3} {\"b\":2,\"c\":3}"
        );
    }

    #[test]
    fn a_variable_passed_to_a_template_is_written_back() {
        // bjw-s `_kahn.tpl`: the callee fills a dict its caller passed.
        let helpers = r#"{{- define "fill" -}}{{- $_ := set . "out" (list 1 2) -}}{{- end -}}"#;
        let body = r#"{{- $args := dict "in" 0 -}}
{{- include "fill" $args -}}
{{- range $i := until 1 }}{{ template "fill" $args }}{{ end -}}
#a: {{ $args.out }}"#;
        assert_eq!(render_with(helpers, body, json!({})), "a: [1 2]");
    }

    #[test]
    fn capabilities_print_as_go_structs() {
        let body = r#"#a: {{ .Capabilities.KubeVersion }}
#b: {{ .Capabilities.KubeVersion.Major }} {{ .Capabilities.KubeVersion.GitVersion | quote }}
#c: {{ .Capabilities.KubeVersion | toJson }}
#d: {{ .Capabilities.HelmVersion.Version }} {{ .Capabilities.HelmVersion | toJson }}
#e: {{ len .Capabilities.APIVersions }} {{ .Capabilities.APIVersions.Has "apps/v1" }}"#;
        assert_eq!(
            render_one(body),
            "a: {v1.36.0 v1.36.0 1 36}\n\
             b: 1 \"v1.36.0\"\n\
             c: {\"Major\":\"1\",\"Minor\":\"36\",\"Version\":\"v1.36.0\"}\n\
             d: v4.2.3 {\"git_commit\":\"43e8b7feece8beb0fcba47059ec9b522fd929a64\",\
             \"git_tree_state\":\"clean\",\"go_version\":\"go1.26.5\",\
             \"kube_client_version\":\"v1.36\",\"version\":\"v4.2.3\"}\n\
             e: 55 true"
        );
    }

    #[test]
    fn chart_marshals_like_go() {
        let body = r#"#a: {{ .Chart.IsRoot }} {{ .Chart.Annotations }} {{ index .Chart.Annotations "x" }}
#b: {{ pick (.Chart | toJson | fromJson) "Annotations" "IsRoot" | toJson }}"#;
        assert_eq!(
            render_one(body),
            "a: true map[] \nb: {\"Annotations\":null,\"IsRoot\":true}"
        );
    }

    #[test]
    fn printed_values_use_go_formatting() {
        let body = r#"#a: {{ .Values.n }} {{ .Values.small }} {{ .Values.i }}
#b: {{ .Values.l }} {{ .Values.m }}
#c: "{{ .Values.missing }}" {{ "s" }} {{ true }}
{{- $v := .Values.n }}"#;
        let values =
            json!({"n": 10000000.0, "small": 0.00001, "i": 3, "l": [1e7, "x"], "m": {"k": 1.5e8}});
        assert_eq!(
            render_with("", body, values.clone()),
            "a: 1e+07 1e-05 3\nb: [1e+07 x] map[k:1.5e+08]\nc: \"\" s true"
        );
        let body = r#"#a: {{ print .Values.n .Values.i "s" 2 }}|{{ println 1 "s" }}|"#;
        assert_eq!(render_with("", body, values), "a: 1e+07 3s2|1 s\n|");
    }
}
