//! Releases of the scan's charts that the repository itself declares: a Flux `HelmRelease`
//! whose chart is a path of a `GitRepository` (or `Bucket`) source, and an Argo CD
//! `Application` whose Helm source is a path. Each is rendered as its own instance of the
//! chart, with its own release name, namespace and values; a chart that no release uses is
//! rendered once with its defaults.
//!
//! The releases are found when the scan is planned ([`find`]): every YAML file outside the
//! charts that mentions one of the two kinds is parsed, and the release's chart path is
//! matched against the scan's chart directories. A source is assumed to be this repository
//! when the path it names is a chart of the scan (a `GitRepository`'s URL cannot be compared
//! with a checkout's). What a release cannot have rendered (a chart from a Helm repository
//! or an OCI registry, a path that is no chart of the scan) is a warning naming it.
//!
//! When the chart is loaded ([`instances`]), each release's manifest is read again for its
//! values, with positions: the values a finding reports come from these documents.

use super::values;
use crate::load::tree::{Node, Value as TreeValue};
use crate::load::{Document, Files, LoadOptions};
use crate::model::{NoteLevel, Notification, Pos};
use serde_json::Value;
use std::collections::BTreeSet;

/// A release found in the scan: the manifest declaring it and the chart it renders.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ReleaseRef {
    /// The manifest that declares the release.
    pub file: String,
    /// The document's index in that file.
    pub index: usize,
    /// The repository directory of the chart it renders.
    pub chart: String,
    /// The repository directory the release's source root is at (`""`: the repository's).
    pub root: String,
    /// For an Argo CD `Application` with several sources: which of them (0 for `source`).
    pub source: usize,
    /// The values files the release reads.
    pub reads: Vec<String>,
    /// The manifests declaring the `ConfigMap`s and `Secret`s of a `HelmRelease`'s
    /// `valuesFrom`.
    pub objects: Vec<String>,
}

/// What [`find`] found.
#[derive(Debug, Default)]
pub struct Found {
    pub releases: Vec<ReleaseRef>,
    pub notifications: Vec<Notification>,
}

/// The API group of Flux's `HelmRelease`.
const FLUX_GROUP: &str = "helm.toolkit.fluxcd.io/";
/// The API group of Argo CD's `Application`.
const ARGO_GROUP: &str = "argoproj.io/";

/// The most manifests read while looking for releases and their `valuesFrom` objects.
const MAX_CANDIDATES: usize = 20_000;

/// Whether a file's text may declare a release (a cheap test before parsing it).
fn may_declare_release(text: &str) -> bool {
    (text.contains("HelmRelease") && text.contains(FLUX_GROUP))
        || (text.contains("Application") && text.contains(ARGO_GROUP))
}

fn is_manifest(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.ends_with(".yaml") || lower.ends_with(".yml") || lower.ends_with(".json")
}

fn inside(path: &str, dir: &str) -> bool {
    dir.is_empty() || path.starts_with(&format!("{dir}/"))
}

/// Parses one manifest's documents (positions and all).
fn documents(files: &dyn Files, path: &str) -> Vec<Document> {
    match files.peek(path) {
        Some(Ok(f)) => {
            crate::load::load_file(path, f.text.as_bytes(), &LoadOptions::default()).documents
        }
        _ => Vec::new(),
    }
}

/// The kind of release a document declares, if any.
fn release_kind(doc: &Document) -> Option<Kind> {
    let r = doc.resource.as_ref()?;
    match r.kind.as_str() {
        "HelmRelease" if r.api_version.starts_with(FLUX_GROUP) => Some(Kind::Flux),
        "Application" if r.api_version.starts_with(ARGO_GROUP) => Some(Kind::Argo),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Flux,
    Argo,
}

/// A path of the repository written relative to a directory (`./charts/app`, `../values`),
/// normalised; `None` when it leaves the repository.
pub fn resolve(base: &str, rel: &str) -> Option<String> {
    let mut parts: Vec<&str> = if rel.starts_with('/') {
        Vec::new()
    } else {
        base.split('/').filter(|s| !s.is_empty()).collect()
    };
    for seg in rel.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

fn str_at<'a>(node: &'a Node, path: &[&str]) -> Option<&'a str> {
    let mut n = node;
    for k in path {
        n = n.get(k)?;
    }
    n.as_str()
}

fn node_at<'a>(node: &'a Node, path: &[&str]) -> Option<&'a Node> {
    let mut n = node;
    for k in path {
        n = n.get(k)?;
    }
    Some(n)
}

fn seq(node: Option<&Node>) -> &[Node] {
    match node.map(|n| &n.value) {
        Some(TreeValue::Seq(items)) => items,
        _ => &[],
    }
}

fn warn(path: &str, pos: Pos, message: String) -> Notification {
    Notification::new(NoteLevel::Warning, "helm-release-not-rendered", message).at(path, Some(pos))
}

/// A release's name for messages: `HelmRelease flux-system/podinfo`.
fn describe(doc: &Document) -> String {
    match &doc.resource {
        Some(r) => match &r.namespace {
            Some(ns) => format!("{} {ns}/{}", r.kind, r.name),
            None => format!("{} {}", r.kind, r.name),
        },
        None => "a release".into(),
    }
}

/// The releases the scan's manifests declare for the charts at `charts`, and a warning for
/// each release whose chart is not one of them. Files inside a chart are not searched.
pub fn find(files: &dyn Files, charts: &[String]) -> Found {
    use rayon::prelude::*;
    let mut found = Found::default();
    if charts.is_empty() {
        return found;
    }
    let candidates: Vec<&String> = files
        .paths()
        .iter()
        .filter(|p| is_manifest(p) && !charts.iter().any(|c| inside(p, c)))
        .take(MAX_CANDIDATES)
        .collect();
    let docs: Vec<(String, Vec<Document>)> = candidates
        .par_iter()
        .filter_map(|p| {
            let text = files.peek(p)?.ok()?;
            if !may_declare_release(&text.text) {
                return None;
            }
            Some(((*p).clone(), documents(files, p)))
        })
        .collect();
    let mut wanted_objects: BTreeSet<(String, String, String)> = BTreeSet::new();
    for (path, docs) in &docs {
        for doc in docs {
            let Some(kind) = release_kind(doc) else {
                continue;
            };
            let mut refs = match kind {
                Kind::Flux => flux_ref(path, doc, charts, &mut found.notifications),
                Kind::Argo => argo_refs(path, doc, charts, &mut found.notifications),
            };
            if kind == Kind::Flux && !refs.is_empty() {
                let ns = doc
                    .resource
                    .as_ref()
                    .and_then(|r| r.namespace.clone())
                    .unwrap_or_else(|| "default".into());
                for vf in seq(node_at(&doc.node, &["spec", "valuesFrom"])) {
                    if let (Some(k), Some(n)) = (str_at(vf, &["kind"]), str_at(vf, &["name"])) {
                        wanted_objects.insert((k.to_string(), ns.clone(), n.to_string()));
                    }
                }
            }
            for r in &mut refs {
                r.file.clone_from(path);
            }
            found.releases.extend(refs);
        }
    }
    if !wanted_objects.is_empty() {
        let holders = object_files(files, &wanted_objects);
        for r in &mut found.releases {
            r.objects.clone_from(&holders);
        }
    }
    for r in &mut found.releases {
        r.reads.sort();
        r.reads.dedup();
    }
    found.releases.sort();
    found
}

/// The manifests that declare one of the `(kind, namespace, name)` objects.
fn object_files(files: &dyn Files, wanted: &BTreeSet<(String, String, String)>) -> Vec<String> {
    use rayon::prelude::*;
    let names: BTreeSet<&str> = wanted.iter().map(|(_, _, n)| n.as_str()).collect();
    let mut out: Vec<String> = files
        .paths()
        .par_iter()
        .filter(|p| is_manifest(p))
        .filter_map(|p| {
            let text = files.peek(p)?.ok()?;
            if !names.iter().any(|n| text.text.contains(n)) {
                return None;
            }
            let holds = documents(files, p).iter().any(|d| {
                d.resource.as_ref().is_some_and(|r| {
                    wanted.contains(&(
                        r.kind.clone(),
                        r.namespace.clone().unwrap_or_else(|| "default".into()),
                        r.name.clone(),
                    ))
                })
            });
            holds.then(|| p.clone())
        })
        .collect();
    out.sort();
    out
}

/// The scan's chart at a source path: the chart directory itself, else the one chart whose
/// directory ends with that path (a repository scanned from a copy below another one's root),
/// with the directory the source's root then is.
fn chart_at(charts: &[String], path: &str) -> Option<(String, String)> {
    if let Some(c) = charts.iter().find(|c| c.as_str() == path) {
        return Some((c.clone(), String::new()));
    }
    if path.is_empty() {
        return None;
    }
    let suffix = format!("/{path}");
    let mut matching = charts.iter().filter(|c| c.ends_with(&suffix));
    let first = matching.next()?;
    if matching.next().is_some() {
        return None;
    }
    Some((
        first.clone(),
        first[..first.len() - suffix.len()].to_string(),
    ))
}

fn flux_ref(
    path: &str,
    doc: &Document,
    charts: &[String],
    notes: &mut Vec<Notification>,
) -> Vec<ReleaseRef> {
    let who = describe(doc);
    let spec = doc.node.get("spec");
    let at = spec.map_or(doc.node.start, |s| s.start);
    if let Some(r) = spec.and_then(|s| s.get("chartRef")) {
        let kind = str_at(r, &["kind"]).unwrap_or("a source");
        notes.push(warn(
            path,
            r.start,
            format!(
                "{who}: its chart comes from {kind} {}, which is not read (a chart is rendered \
                 when the release names a path of this repository in spec.chart.spec.chart); \
                 what it deploys was not checked",
                str_at(r, &["name"]).unwrap_or("?")
            ),
        ));
        return Vec::new();
    }
    let Some(chart_spec) = spec.and_then(|s| node_at(s, &["chart", "spec"])) else {
        notes.push(warn(
            path,
            at,
            format!("{who}: it has no spec.chart.spec, so no chart was rendered for it"),
        ));
        return Vec::new();
    };
    let chart = str_at(chart_spec, &["chart"]).unwrap_or("");
    let source_kind = str_at(chart_spec, &["sourceRef", "kind"]).unwrap_or("");
    if !matches!(source_kind, "GitRepository" | "Bucket") {
        notes.push(warn(
            path,
            chart_spec.start,
            format!(
                "{who}: chart {chart} comes from {} {}, which plumbline does not fetch; what it \
                 deploys was not checked (vendor the chart into the repository and point the \
                 release at its path to have it rendered)",
                if source_kind.is_empty() {
                    "a source"
                } else {
                    source_kind
                },
                str_at(chart_spec, &["sourceRef", "name"]).unwrap_or("?")
            ),
        ));
        return Vec::new();
    }
    let Some((dir, root)) = resolve("", chart).and_then(|p| chart_at(charts, &p)) else {
        notes.push(warn(
            path,
            chart_spec.start,
            format!(
                "{who}: chart path {chart} of {source_kind} {} is not a chart of this scan (it \
                 may be another repository's); what it deploys was not checked",
                str_at(chart_spec, &["sourceRef", "name"]).unwrap_or("?")
            ),
        ));
        return Vec::new();
    };
    let mut reads = Vec::new();
    for f in seq(chart_spec.get("valuesFiles")) {
        if let Some(p) = f.as_str().and_then(|s| resolve(&root, s)) {
            reads.push(p);
        }
    }
    if let Some(p) = str_at(chart_spec, &["valuesFile"]).and_then(|s| resolve(&root, s)) {
        reads.push(p);
    }
    vec![ReleaseRef {
        file: path.to_string(),
        index: doc.index,
        chart: dir,
        root,
        source: 0,
        reads,
        objects: Vec::new(),
    }]
}

/// An Application's sources: `spec.source`, else each of `spec.sources`.
fn argo_sources(spec: &Node) -> Vec<&Node> {
    match spec.get("source") {
        Some(s) => vec![s],
        None => seq(spec.get("sources")).iter().collect(),
    }
}

fn argo_refs(
    path: &str,
    doc: &Document,
    charts: &[String],
    notes: &mut Vec<Notification>,
) -> Vec<ReleaseRef> {
    let who = describe(doc);
    let Some(spec) = doc.node.get("spec") else {
        return Vec::new();
    };
    let sources = argo_sources(spec);
    let mut out = Vec::new();
    for (i, src) in sources.iter().enumerate() {
        if let Some(chart) = str_at(src, &["chart"]) {
            notes.push(warn(
                path,
                src.start,
                format!(
                    "{who}: chart {chart} comes from the Helm repository {}, which plumbline \
                     does not fetch; what it deploys was not checked (vendor the chart into the \
                     repository and point the source's path at it to have it rendered)",
                    str_at(src, &["repoURL"]).unwrap_or("?")
                ),
            ));
            continue;
        }
        let Some(p) = str_at(src, &["path"]) else {
            // A source with only `ref` provides values files to the others.
            continue;
        };
        let Some((dir, root)) = resolve("", p).and_then(|p| chart_at(charts, &p)) else {
            if src.get("helm").is_some() {
                notes.push(warn(
                    path,
                    src.start,
                    format!(
                        "{who}: source path {p} has Helm settings but is not a chart of this \
                         scan (it may be another repository's); what it deploys was not checked"
                    ),
                ));
            }
            continue;
        };
        let mut reads = Vec::new();
        for f in seq(node_at(src, &["helm", "valueFiles"])) {
            if let Some(p) = f
                .as_str()
                .and_then(|s| argo_value_file(&dir, &root, s, &sources))
            {
                reads.push(p);
            }
        }
        out.push(ReleaseRef {
            file: path.to_string(),
            index: doc.index,
            chart: dir,
            root,
            source: i,
            reads,
            objects: Vec::new(),
        });
    }
    out
}

/// An Argo CD value file's repository path: relative to the chart's path, or `$ref/…` to
/// the root of the source with that `ref` (taken to be this repository). `None` for a URL.
fn argo_value_file(chart_dir: &str, root: &str, file: &str, sources: &[&Node]) -> Option<String> {
    if file.contains("://") {
        return None;
    }
    if let Some(rest) = file.strip_prefix('$') {
        let (name, rel) = rest.split_once('/')?;
        sources
            .iter()
            .any(|s| str_at(s, &["ref"]) == Some(name))
            .then(|| resolve(root, rel))?
    } else {
        resolve(chart_dir, file)
    }
}

/// One layer of a release's values, in the order Helm merges them: a values file or an
/// inline `values` mapping, with where it was written (for positions).
#[derive(Debug, Clone)]
pub struct Layer {
    pub value: Value,
    /// The file the layer comes from, and the node of its values (`None` for a value with no
    /// place of its own, such as a `ConfigMap` key's text).
    pub origin: Option<(String, Node)>,
}

/// A release to render: its name, namespace and values.
#[derive(Debug, Clone)]
pub struct Instance {
    /// `HelmRelease flux-system/podinfo`.
    pub label: String,
    pub file: String,
    pub name: String,
    pub namespace: String,
    /// Values merged over the chart's defaults, lowest precedence first.
    pub layers: Vec<Layer>,
    /// `--set` expressions applied after the layers (`true`: as `--set-string`).
    pub sets: Vec<(String, bool)>,
    /// When set, the chart's `values.yaml` is replaced by these files' merge (a Flux
    /// `valuesFiles` list).
    pub replace_defaults: Option<Vec<Layer>>,
    /// `--include-crds`: false when the release skips CRDs.
    pub include_crds: bool,
    /// Capabilities the release asks for (Argo CD `kubeVersion`, `apiVersions`).
    pub kube_version: Option<String>,
    pub api_versions: Vec<String>,
}

/// Reads a values file of the repository as a layer.
fn file_layer(files: &dyn Files, path: &str) -> Result<Layer, String> {
    let file = match files.read(path).or_else(|| files.read_unlisted(path)) {
        Some(Ok(f)) => f,
        Some(Err(e)) => return Err(e),
        None => return Err(format!("values file {path} is not in the repository")),
    };
    let value = values::parse_values_file(path, &file.text).map_err(|e| e.to_string())?;
    let docs = crate::load::parse_documents(&file.text, &LoadOptions::default()).ok();
    let origin = docs
        .and_then(|d| d.into_iter().next())
        .map(|n| (path.to_string(), n));
    Ok(Layer { value, origin })
}

/// Values given inline (a node of the release's manifest) as a layer. Numbers become floats,
/// as Helm reads values.
fn inline_layer(file: &str, node: &Node) -> Layer {
    let mut value = node.to_json();
    floats(&mut value);
    Layer {
        value,
        origin: Some((file.to_string(), node.clone())),
    }
}

/// Helm reads values through JSON into `interface{}`: every number a float64.
fn floats(v: &mut Value) {
    match v {
        Value::Number(n) => {
            if let Some(f) = n.as_f64() {
                if let Some(num) = serde_json::Number::from_f64(f) {
                    *n = num;
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(floats),
        Value::Object(m) => m.values_mut().for_each(floats),
        _ => {}
    }
}

/// The release's instance: its values read from the repository. Problems that keep a value
/// out are errors naming the release and the value's place; the release still renders.
pub fn instance(
    files: &dyn Files,
    r: &ReleaseRef,
    notes: &mut Vec<Notification>,
) -> Option<Instance> {
    let manifest = files.read(&r.file)?.ok()?;
    let loaded = crate::load::load_file(&r.file, manifest.text.as_bytes(), &Default::default());
    let doc = loaded.documents.into_iter().find(|d| d.index == r.index)?;
    match release_kind(&doc)? {
        Kind::Flux => Some(flux_instance(files, r, &doc, notes)),
        Kind::Argo => argo_instance(files, r, &doc, notes),
    }
}

fn error(file: &str, pos: Pos, message: String) -> Notification {
    Notification::new(NoteLevel::Error, "helm-release-values", message).at(file, Some(pos))
}

fn flux_instance(
    files: &dyn Files,
    r: &ReleaseRef,
    doc: &Document,
    notes: &mut Vec<Notification>,
) -> Instance {
    let who = describe(doc);
    let res = doc.resource.as_ref();
    let name = res.map(|r| r.name.clone()).unwrap_or_default();
    let own_ns = res
        .and_then(|r| r.namespace.clone())
        .unwrap_or_else(|| "default".into());
    let spec = doc.node.get("spec");
    let target = spec
        .and_then(|s| str_at(s, &["targetNamespace"]))
        .filter(|s| !s.is_empty());
    let release_name = spec
        .and_then(|s| str_at(s, &["releaseName"]))
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| flux_release_name(&name, target));
    let mut inst = Instance {
        label: who.clone(),
        file: r.file.clone(),
        name: release_name,
        namespace: target.map_or(own_ns.clone(), str::to_string),
        layers: Vec::new(),
        sets: Vec::new(),
        replace_defaults: None,
        include_crds: true,
        kube_version: None,
        api_versions: Vec::new(),
    };
    let Some(spec) = spec else { return inst };
    // `valuesFiles` replace the chart's values.yaml with their merge (list values.yaml
    // itself to keep it).
    let chart_spec = node_at(spec, &["chart", "spec"]);
    let mut listed: Vec<&Node> = seq(chart_spec.and_then(|c| c.get("valuesFiles")))
        .iter()
        .collect();
    if let Some(single) = chart_spec.and_then(|c| c.get("valuesFile")) {
        listed.insert(0, single);
    }
    if !listed.is_empty() {
        let mut layers = Vec::new();
        for f in listed {
            let Some(p) = f.as_str().and_then(|s| resolve(&r.root, s)) else {
                continue;
            };
            match file_layer(files, &p) {
                Ok(l) => layers.push(l),
                Err(e) => notes.push(error(&r.file, f.start, format!("{who}: {e}"))),
            }
        }
        inst.replace_defaults = Some(layers);
    }
    for vf in seq(spec.get("valuesFrom")) {
        if let Some(layer) = values_from(files, r, doc, vf, &own_ns, notes) {
            match layer {
                FromValue::Layer(l) => inst.layers.push(l),
                FromValue::Set(s) => inst.sets.push((s, false)),
            }
        }
    }
    if let Some(v) = spec.get("values") {
        if matches!(v.value, TreeValue::Map(_)) {
            inst.layers.push(inline_layer(&r.file, v));
        }
    }
    // `install.crds: Skip` (or the older `install.skipCRDs`) leaves the CRDs out.
    let skip = str_at(spec, &["install", "crds"]) == Some("Skip")
        || matches!(
            node_at(spec, &["install", "skipCRDs"]).map(|n| &n.value),
            Some(TreeValue::Bool(true))
        );
    inst.include_crds = !skip;
    if spec.get("postRenderers").is_some() {
        notes.push(warn(
            &r.file,
            spec.start,
            format!(
                "{who}: its postRenderers are not applied; findings are on the chart's output \
                 before them"
            ),
        ));
    }
    inst
}

/// Flux's default release name: `[<targetNamespace>-]<name>`, shortened as Flux shortens a
/// name longer than Helm's 53 characters (the first 40 characters, a dash, and 12 hex
/// digits of the SHA-256 of the whole name).
pub fn flux_release_name(name: &str, target_namespace: Option<&str>) -> String {
    use sha2::{Digest, Sha256};
    let full = match target_namespace {
        Some(t) => format!("{t}-{name}"),
        None => name.to_string(),
    };
    if full.len() <= 53 {
        return full;
    }
    let digest = Sha256::digest(full.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{}", &full[..40], &hex[..12])
}

enum FromValue {
    Layer(Layer),
    Set(String),
}

/// One `valuesFrom` entry: a `ConfigMap` or `Secret` of the release's namespace declared in
/// the repository, its `valuesKey` (default `values.yaml`) merged as values, or set at
/// `targetPath`.
fn values_from(
    files: &dyn Files,
    r: &ReleaseRef,
    release: &Document,
    entry: &Node,
    namespace: &str,
    notes: &mut Vec<Notification>,
) -> Option<FromValue> {
    let who = describe(release);
    let kind = str_at(entry, &["kind"]).unwrap_or("");
    let name = str_at(entry, &["name"]).unwrap_or("");
    let key = str_at(entry, &["valuesKey"])
        .filter(|k| !k.is_empty())
        .unwrap_or("values.yaml");
    let optional = matches!(
        entry.get("optional").map(|n| &n.value),
        Some(TreeValue::Bool(true))
    );
    let target = str_at(entry, &["targetPath"]).filter(|t| !t.is_empty());
    let object = r.objects.iter().find_map(|p| {
        let manifest = files.read(p)?.ok()?;
        crate::load::load_file(p, manifest.text.as_bytes(), &Default::default())
            .documents
            .into_iter()
            .find(|d| {
                d.resource.as_ref().is_some_and(|res| {
                    res.kind == kind
                        && res.name == name
                        && res.namespace.as_deref().unwrap_or("default") == namespace
                })
            })
    });
    let Some(object) = object else {
        if !optional {
            notes.push(error(
                &r.file,
                entry.start,
                format!(
                    "{who}: valuesFrom {kind} {namespace}/{name} is not declared in the \
                     repository, so its values are missing from what was checked (declare it, or \
                     mark the entry optional if the cluster provides it)"
                ),
            ));
        }
        return None;
    };
    let file = object.file.path.clone();
    let (text, origin) = match kind {
        "ConfigMap" => {
            let node = node_at(&object.node, &["data", key]);
            (node.and_then(|n| n.as_str()).map(str::to_string), node)
        }
        "Secret" => {
            if let Some(n) = node_at(&object.node, &["stringData", key]) {
                (n.as_str().map(str::to_string), Some(n))
            } else {
                let n = node_at(&object.node, &["data", key]);
                let decoded = n.and_then(|n| n.as_str()).and_then(|b| {
                    use base64::Engine;
                    base64::engine::general_purpose::STANDARD
                        .decode(b.trim())
                        .ok()
                        .and_then(|v| String::from_utf8(v).ok())
                });
                (decoded, n)
            }
        }
        _ => (None, None),
    };
    let Some(text) = text else {
        if !optional {
            notes.push(error(
                &r.file,
                entry.start,
                format!(
                    "{who}: {kind} {namespace}/{name} has no key {key} that can be read as \
                     text, so its values are missing from what was checked"
                ),
            ));
        }
        return None;
    };
    let at = origin.map_or(object.node.start, |n| n.start);
    if let Some(path) = target {
        // Flux sets the whole text at the path, as `--set path=text` does.
        return Some(FromValue::Set(format!("{path}={text}")));
    }
    match values::parse_values_file(&file, &text) {
        Ok(value) => Some(FromValue::Layer(Layer {
            value,
            origin: None,
        })),
        Err(e) => {
            notes.push(error(
                &file,
                at,
                format!(
                    "{who}: key {key} of {kind} {namespace}/{name} is not a values document ({}); \
                     its values are missing from what was checked",
                    // The text of a Secret is never shown.
                    if kind == "Secret" {
                        "not valid YAML".to_string()
                    } else {
                        e.to_string()
                    }
                ),
            ));
            None
        }
    }
}

fn argo_instance(
    files: &dyn Files,
    r: &ReleaseRef,
    doc: &Document,
    notes: &mut Vec<Notification>,
) -> Option<Instance> {
    let who = describe(doc);
    let spec = doc.node.get("spec")?;
    let sources = argo_sources(spec);
    let src = *sources.get(r.source)?;
    let helm = src.get("helm");
    let app_name = doc
        .resource
        .as_ref()
        .map(|r| r.name.clone())
        .unwrap_or_default();
    let name = helm
        .and_then(|h| str_at(h, &["releaseName"]))
        .filter(|s| !s.is_empty())
        .map_or(app_name, str::to_string);
    let namespace = helm
        .and_then(|h| str_at(h, &["namespace"]))
        .or_else(|| str_at(spec, &["destination", "namespace"]))
        .filter(|s| !s.is_empty())
        .unwrap_or("default")
        .to_string();
    let mut inst = Instance {
        label: who.clone(),
        file: r.file.clone(),
        name,
        namespace,
        layers: Vec::new(),
        sets: Vec::new(),
        replace_defaults: None,
        include_crds: true,
        kube_version: None,
        api_versions: Vec::new(),
    };
    let Some(helm) = helm else {
        return Some(inst);
    };
    let ignore_missing = matches!(
        helm.get("ignoreMissingValueFiles").map(|n| &n.value),
        Some(TreeValue::Bool(true))
    );
    for f in seq(helm.get("valueFiles")) {
        let Some(text) = f.as_str() else { continue };
        let Some(p) = argo_value_file(&r.chart, &r.root, text, &sources) else {
            notes.push(warn(
                &r.file,
                f.start,
                format!(
                    "{who}: value file {text} is not a file of this repository and was not \
                     fetched; its values are missing from what was checked"
                ),
            ));
            continue;
        };
        match file_layer(files, &p) {
            Ok(l) => inst.layers.push(l),
            Err(_) if ignore_missing => {}
            Err(e) => notes.push(error(&r.file, f.start, format!("{who}: {e}"))),
        }
    }
    // `valuesObject` takes the place of `values` when both are given.
    if let Some(obj) = helm.get("valuesObject") {
        if matches!(obj.value, TreeValue::Map(_)) {
            inst.layers.push(inline_layer(&r.file, obj));
        }
    } else if let Some(v) = helm.get("values") {
        if let Some(text) = v.as_str() {
            match values::parse_values_file(&r.file, text) {
                Ok(value) => inst.layers.push(Layer {
                    value,
                    origin: None,
                }),
                Err(e) => notes.push(error(
                    &r.file,
                    v.start,
                    format!("{who}: spec.source.helm.values is not a values document ({e})"),
                )),
            }
        } else if matches!(v.value, TreeValue::Map(_)) {
            inst.layers.push(inline_layer(&r.file, v));
        }
    }
    for p in seq(helm.get("parameters")) {
        let (Some(name), Some(value)) = (str_at(p, &["name"]), p.get("value")) else {
            continue;
        };
        let value = match &value.value {
            TreeValue::Str(s) => s.clone(),
            other => Node::new(other.clone(), value.start, None)
                .to_json()
                .to_string(),
        };
        let force = matches!(
            p.get("forceString").map(|n| &n.value),
            Some(TreeValue::Bool(true))
        );
        inst.sets.push((format!("{name}={value}"), force));
    }
    if matches!(
        helm.get("skipCrds").map(|n| &n.value),
        Some(TreeValue::Bool(true))
    ) {
        inst.include_crds = false;
    }
    if let Some(v) = str_at(helm, &["kubeVersion"]).filter(|s| !s.is_empty()) {
        inst.kube_version = Some(v.to_string());
    }
    inst.api_versions = seq(helm.get("apiVersions"))
        .iter()
        .filter_map(|n| n.as_str().map(str::to_string))
        .collect();
    Some(inst)
}

/// The release's values documents for [`values::release_values`]: its layers merged, then
/// its `--set` expressions applied, then the user's own values (`--helm-values`,
/// `--helm-set`, already one document or several) on top.
pub fn user_values(inst: &Instance, user: &[Value]) -> Result<Vec<Value>, String> {
    let mut merged = serde_json::Map::new();
    for l in &inst.layers {
        match &l.value {
            Value::Object(m) => {
                merged = super::chart::yaml::merge_maps(merged, m.clone());
            }
            Value::Null => {}
            _ => return Err("a values layer is not a mapping of keys to values".into()),
        }
    }
    let mut merged = Value::Object(merged);
    for (s, string) in &inst.sets {
        let r = if *string {
            values::parse_set_string_into(s, &mut merged)
        } else {
            values::parse_set_into(s, &mut merged)
        };
        r.map_err(|e| format!("parameter {}: {e}", s.split('=').next().unwrap_or(s)))?;
    }
    let mut out = vec![merged];
    out.extend(user.iter().cloned());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_resolve_inside_the_repository() {
        assert_eq!(resolve("", "./charts/app").as_deref(), Some("charts/app"));
        assert_eq!(
            resolve("charts/app", "../../env/prod.yaml").as_deref(),
            Some("env/prod.yaml")
        );
        assert_eq!(
            resolve("charts/app", "values-prod.yaml").as_deref(),
            Some("charts/app/values-prod.yaml")
        );
        assert_eq!(resolve("a", "../../x"), None);
    }

    #[test]
    fn a_source_path_is_a_chart_of_the_scan_or_the_one_below_another_root() {
        let charts = vec![
            "charts/web".to_string(),
            "gitops/charts/api".to_string(),
            "a/charts/db".to_string(),
            "b/charts/db".to_string(),
        ];
        assert_eq!(
            chart_at(&charts, "charts/web"),
            Some(("charts/web".into(), "".into()))
        );
        assert_eq!(
            chart_at(&charts, "charts/api"),
            Some(("gitops/charts/api".into(), "gitops".into()))
        );
        // Two candidates: neither is taken.
        assert_eq!(chart_at(&charts, "charts/db"), None);
        assert_eq!(chart_at(&charts, "charts/cache"), None);
    }

    #[test]
    fn flux_names_releases_after_the_target_namespace() {
        assert_eq!(flux_release_name("podinfo", None), "podinfo");
        assert_eq!(flux_release_name("podinfo", Some("apps")), "apps-podinfo");
        let long = flux_release_name(&"x".repeat(50), Some("team"));
        assert_eq!(long.len(), 53);
        assert!(long.starts_with(&format!("team-{}", "x".repeat(35))));
        assert_ne!(long, flux_release_name(&"x".repeat(51), Some("team")));
        // The example of Flux's own tests.
        assert_eq!(
            flux_release_name(
                "release-name-with-very-long-name-which-is-longer-than-53-characters",
                None
            ),
            "release-name-with-very-long-name-which-i-788ca0d0d7b0"
        );
    }
}
