//! Charts in a scan: each directory with a `Chart.yaml` (and not inside another chart) is a
//! group that loads together: the chart is rendered with its default values, as `helm
//! template` renders it with `--include-crds`, and the rendered objects are read as
//! Kubernetes documents that point at the template that emitted them.
//!
//! Where a rendered line came from is found by its literal text: a line whose key (or text)
//! appears in the template is placed on that template line, searching forward from the last
//! placed line; a line made by an action (`toYaml … | nindent`, `include`) is placed on the
//! action's line.
//!
//! A subchart packaged as `charts/*.tgz` has no template lines in the repository: what its
//! templates render is placed on the archive, line 1 (its `.tgz` is read as bytes through
//! [`Files::read_bytes`]).

use super::engine::{self, Manifest, RenderChart, RenderOptions};
use super::{chart, positions, release, values, ChartSource};
use crate::load::tree::{Node, Value};
use crate::load::{Document, Files, Group, IacOptions, LoadOptions, Loaded, Plan};
use crate::model::{NoteLevel, Notification, Pos, SourceFile};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// The chart directories among the scan's files: directories holding a `Chart.yaml`, except
/// those inside another chart (a vendored subchart belongs to its parent).
pub fn chart_dirs(files: &dyn Files) -> Vec<String> {
    let mut dirs: BTreeSet<String> = BTreeSet::new();
    for p in files.paths() {
        let (dir, name) = match p.rsplit_once('/') {
            Some((d, n)) => (d.to_string(), n),
            None => (String::new(), p.as_str()),
        };
        if name == "Chart.yaml" {
            dirs.insert(dir);
        }
    }
    let all: Vec<String> = dirs.iter().cloned().collect();
    dirs.retain(|d| !all.iter().any(|o| o != d && inside(d, o)));
    dirs.into_iter().collect()
}

/// Whether `path` is inside directory `dir` (`""` is the top of the tree).
fn inside(path: &str, dir: &str) -> bool {
    dir.is_empty() || path.starts_with(&format!("{dir}/"))
}

/// Plans each chart as a group reading every file under its directory, with the releases
/// the repository declares for it (their manifests and values files are the group's too:
/// the merge-request gate rescans the chart when one of them changes).
pub fn plan(files: &dyn Files, plan: &mut Plan) {
    let dirs = chart_dirs(files);
    let found = release::find(files, &dirs);
    plan.notifications.extend(found.notifications);
    for dir in dirs {
        let releases: Vec<release::ReleaseRef> = found
            .releases
            .iter()
            .filter(|r| r.chart == dir)
            .cloned()
            .collect();
        let group = Group::HelmChart(dir.clone(), releases.clone());
        for r in &releases {
            plan.add_reader(&group, &r.file);
            for p in &r.objects {
                plan.add_reader(&group, p);
            }
            for p in &r.reads {
                plan.add_member(&group, p);
            }
        }
        for p in files.paths() {
            if inside(p, &dir) && p != &dir {
                plan.add_member(&group, p);
            }
        }
        // The files the listing leaves out (`.tpl` helpers, data files) are the chart's too:
        // the merge-request gate rescans the chart when one of them changes.
        for p in files.unlisted_under(&dir) {
            plan.add_member(&group, &p);
        }
        plan.groups.push(group);
    }
}

/// The scan's files as a chart source: the listed files and, under the chart, the files the
/// listing leaves out (`.tpl` helpers, `NOTES.txt`, data files for `.Files`).
struct Source<'a> {
    files: &'a dyn Files,
    dir: &'a str,
    unlisted: Vec<String>,
    /// Archives (`charts/*.tgz`) that could not be read from the tree, and why.
    unread: std::sync::Mutex<Vec<(String, String)>>,
}

impl ChartSource for Source<'_> {
    fn list(&self, dir: &str) -> Vec<String> {
        let mut out: BTreeSet<String> = self
            .files
            .paths()
            .iter()
            .filter(|p| inside(p, dir))
            .cloned()
            .collect();
        out.extend(self.unlisted.iter().filter(|p| inside(p, dir)).cloned());
        out.into_iter().collect()
    }

    fn read(&self, path: &str) -> Option<Arc<[u8]>> {
        if !inside(path, self.dir) {
            return None;
        }
        // A packaged subchart is binary: read as it is, not decoded as text.
        if path.ends_with(".tgz") {
            match self.files.read_bytes(path) {
                Some(Ok(bytes)) => return Some(Arc::from(bytes)),
                Some(Err(e)) => {
                    if let Ok(mut unread) = self.unread.lock() {
                        unread.push((path.to_string(), e));
                    }
                    return None;
                }
                None => {}
            }
        }
        let file = match self.files.peek(path) {
            Some(r) => r,
            None => self.files.read_unlisted(path)?,
        };
        file.ok().map(|f| Arc::from(f.text.as_bytes()))
    }
}

/// The values files and `--set` expressions the user gives chart `dir`: `--helm-values` and
/// `--helm-set`, then the chart's own under `helm_charts` in the configuration.
fn given_for(iac: &IacOptions, dir: &str) -> (Vec<String>, Vec<String>) {
    let mut values = iac.helm_values.clone();
    let mut set = iac.helm_set.clone();
    if let Some(own) = iac.helm_charts.get(dir) {
        values.extend(own.values.iter().cloned());
        set.extend(own.set.iter().cloned());
    }
    (values, set)
}

/// The user's values for chart `dir` (files, then `--set` expressions), as one document
/// (Helm merges `-f` files, then applies `--set` into the result), or the problems that
/// stop it.
fn user_values(
    files: &dyn Files,
    iac: &IacOptions,
    dir: &str,
) -> Result<Vec<serde_json::Value>, Notification> {
    let (helm_values, helm_set) = given_for(iac, dir);
    let problem = |path: &str, message: String| {
        Notification::new(NoteLevel::Error, "helm-values", message).at(path.to_string(), None)
    };
    let mut docs = Vec::new();
    for p in &helm_values {
        let text = match files.read(p) {
            Some(Ok(f)) => f.text.clone(),
            Some(Err(e)) => return Err(problem(p, e)),
            None => {
                let bytes =
                    crate::bounded::read(std::path::Path::new(p), crate::bounded::DATA_BYTES)
                        .map_err(|e| {
                            problem(
                                p,
                                format!(
                                "--helm-values {p}: cannot read it ({e}); check the path (it is \
                                 read from the scan, else from the current directory)"
                            ),
                            )
                        })?;
                crate::load::decode_text(p, &bytes).map_err(|e| problem(p, e))?
            }
        };
        let doc = values::parse_values_file(p, &text)
            .map_err(|e| problem(p, format!("--helm-values {p}: {e}")))?;
        docs.push(doc);
    }
    if helm_set.is_empty() {
        return Ok(docs);
    }
    // Helm merges the files first (a later file's tables into an earlier's), then applies
    // `--set` to the result.
    let mut merged = serde_json::Map::new();
    for (p, d) in helm_values.iter().zip(docs) {
        match d {
            serde_json::Value::Object(m) => merged = super::chart::yaml::merge_maps(merged, m),
            serde_json::Value::Null => {}
            _ => {
                return Err(problem(
                    p,
                    format!("--helm-values {p}: it is not a mapping of keys to values"),
                ))
            }
        }
    }
    let mut merged = serde_json::Value::Object(merged);
    for s in &helm_set {
        values::parse_set_into(s, &mut merged)
            .map_err(|e| problem("", format!("--helm-set {s}: {e}")))?;
    }
    Ok(vec![merged])
}

/// The `--helm-values` files of the scan, with their trees (for positions).
fn user_layers(files: &dyn Files, iac: &IacOptions, dir: &str) -> Vec<release::Layer> {
    given_for(iac, dir)
        .0
        .iter()
        .filter_map(|p| {
            let f = files.read(p)?.ok()?;
            let root = crate::load::parse_documents(&f.text, &LoadOptions::default())
                .ok()?
                .into_iter()
                .next()?;
            Some(release::Layer {
                value: serde_json::Value::Null,
                origin: Some((p.clone(), root)),
            })
        })
        .collect()
}

/// Renders the chart at `dir` once per release the repository declares for it (each with
/// its own name, namespace and values), else once with its default values, and loads what
/// it renders. The user's `--helm-values` and `--helm-set` apply on top of either.
pub fn load(
    files: &dyn Files,
    dir: &str,
    releases: &[release::ReleaseRef],
    opts: &LoadOptions,
    iac: &IacOptions,
) -> Loaded {
    let source = Source {
        files,
        dir,
        unlisted: files.unlisted_under(dir),
        unread: Default::default(),
    };
    let mut out = Loaded::default();
    let chart_yaml = if dir.is_empty() {
        "Chart.yaml".to_string()
    } else {
        format!("{dir}/Chart.yaml")
    };
    let loaded = chart::load(&source, dir);
    for (path, e) in source.unread.lock().map(|u| u.clone()).unwrap_or_default() {
        out.notifications.push(
            Notification::new(
                NoteLevel::Error,
                "helm-subchart-archive",
                format!("subchart archive {path} cannot be read: {e}"),
            )
            .at(path, None),
        );
    }
    let loaded = match loaded {
        Ok(c) => c,
        Err(e) => {
            out.notifications.push(e.notification());
            return out;
        }
    };
    out.notifications.extend(loaded.all_notifications());
    let label = if dir.is_empty() {
        loaded.name().to_string()
    } else {
        dir.to_string()
    };
    let user = match user_values(files, iac, dir) {
        Ok(u) => u,
        Err(n) => {
            out.notifications.push(n);
            return out;
        }
    };
    let mut index_in_file: BTreeMap<String, usize> = BTreeMap::new();
    if releases.is_empty() {
        let target = Target {
            chart: &loaded,
            label: label.clone(),
            chart_yaml: &chart_yaml,
            options: RenderOptions {
                include_crds: true,
                ..RenderOptions::default()
            },
            namespace: None,
            layers: user_layers(files, iac, dir),
        };
        render_into(files, &target, &user, opts, &mut index_in_file, &mut out);
        return out;
    }
    for r in releases {
        let Some(inst) = release::instance(files, r, &mut out.notifications) else {
            out.notifications.push(
                Notification::new(
                    NoteLevel::Error,
                    "helm-release-values",
                    format!(
                        "{}: the release declared here could not be read again; chart {label} \
                         was not rendered for it",
                        r.file
                    ),
                )
                .at(r.file.clone(), None),
            );
            continue;
        };
        let mut chart = loaded.clone();
        if let Some(layers) = &inst.replace_defaults {
            let mut merged = serde_json::Map::new();
            for l in layers {
                if let serde_json::Value::Object(m) = &l.value {
                    merged = super::chart::yaml::merge_maps(merged, m.clone());
                }
            }
            chart.values = serde_json::Value::Object(merged);
        }
        let docs = match release::user_values(&inst, &user) {
            Ok(d) => d,
            Err(e) => {
                out.notifications.push(
                    Notification::new(
                        NoteLevel::Error,
                        "helm-release-values",
                        format!(
                            "{}: {e}; chart {label} was not rendered for it (fix the release's \
                             values)",
                            inst.label
                        ),
                    )
                    .at(inst.file.clone(), None),
                );
                continue;
            }
        };
        let mut options = RenderOptions {
            include_crds: inst.include_crds,
            ..RenderOptions::default()
        };
        options.release.name.clone_from(&inst.name);
        options.release.namespace.clone_from(&inst.namespace);
        if let Some(v) = &inst.kube_version {
            options.capabilities.kube_version = if v.starts_with('v') {
                v.clone()
            } else {
                format!("v{v}")
            };
        }
        options
            .capabilities
            .api_versions
            .extend(inst.api_versions.iter().cloned());
        let target = Target {
            chart: &chart,
            label: format!("{label} (release {} of {})", inst.name, inst.label),
            chart_yaml: &chart_yaml,
            options,
            namespace: Some(inst.namespace.clone()),
            layers: {
                let mut l = inst.layers.clone();
                l.extend(user_layers(files, iac, dir));
                l
            },
        };
        render_into(files, &target, &docs, opts, &mut index_in_file, &mut out);
    }
    out
}

/// One rendering of a chart: which chart, how it is named in messages, the options, and the
/// namespace the release installs into (`None`: the defaults' `default`, left to the scan).
struct Target<'a> {
    chart: &'a chart::Chart,
    label: String,
    chart_yaml: &'a str,
    options: RenderOptions,
    namespace: Option<String>,
    /// The values given on top of the chart's, lowest precedence first, with where they
    /// are written.
    layers: Vec<release::Layer>,
}

/// Renders `target` with the values documents `user` and adds the documents it renders to
/// `out`, numbering each template file's documents on from `index_in_file`.
fn render_into(
    files: &dyn Files,
    target: &Target,
    user: &[serde_json::Value],
    opts: &LoadOptions,
    index_in_file: &mut BTreeMap<String, usize>,
    out: &mut Loaded,
) {
    let label = &target.label;
    let chart_yaml = target.chart_yaml;
    let prepared = match values::release_values(target.chart, user) {
        Ok(p) => p,
        Err(e) => {
            out.notifications.push(
                Notification::new(
                    NoteLevel::Error,
                    "helm-values",
                    format!(
                        "chart {label}: {e}; nothing it renders was checked (give values that \
                         meet the chart's schema with --helm-values or --helm-set)"
                    ),
                )
                .at(chart_yaml.to_string(), None),
            );
            return;
        }
    };
    out.notifications
        .extend(prepared.notifications.iter().cloned());
    let mut dirs: BTreeMap<String, Place> = BTreeMap::new();
    let render_chart = to_render(&prepared.chart, "", &mut dirs);
    let manifests = match engine::render(&render_chart, &prepared.values, &target.options) {
        Ok(m) => m,
        Err(e) => {
            let at = repo_path(&dirs, &e.template);
            // Inside an archive there is no line of our own to point at: the archive, line 1.
            let (file, pos) = match at {
                Some(Located {
                    archive: Some(archive),
                    ..
                }) => (archive, None),
                Some(l) => (l.path, e.line.map(|l| Pos::new(l, e.column.unwrap_or(1)))),
                None => (
                    chart_yaml.to_string(),
                    e.line.map(|l| Pos::new(l, e.column.unwrap_or(1))),
                ),
            };
            out.notifications.push(
                Notification::new(
                    NoteLevel::Error,
                    "helm-render",
                    format!(
                        "chart {label}: {}; nothing it renders was checked (give the values the \
                         chart needs with --helm-values or --helm-set, or it uses what \
                         plumbline does not render yet)",
                        e.message
                    ),
                )
                .at(file, pos),
            );
            return;
        }
    };
    let sources = values_sources(files, &dirs, &target.layers);
    for m in manifests {
        let Some(at) = repo_path(&dirs, &m.source) else {
            continue;
        };
        let key = at.archive.clone().unwrap_or_else(|| at.path.clone());
        let n = index_in_file.entry(key).or_default();
        let mut docs = documents_of(files, &at, &m, *n, opts, &sources, &mut out.notifications);
        *n += docs.len().max(1);
        if let Some(ns) = &target.namespace {
            for d in &mut docs {
                in_namespace(d, ns);
            }
        }
        out.documents.extend(docs);
    }
}

/// The chart a rendered `# Source` belongs to: `web/charts/sub` of
/// `web/charts/sub/templates/x.yaml`.
fn chart_of(source: &str) -> &str {
    match source.rfind("/templates/") {
        Some(i) => &source[..i],
        None => source.split('/').next().unwrap_or(source),
    }
}

/// Where the values of each chart of a rendering are written, highest precedence first:
/// the release's (or the user's) values files and inline values, then the `values.yaml` of
/// the top chart, of each parent down, and the chart's own. `dirs` maps each chart's
/// `# Source` prefix to its directory.
fn values_sources(
    files: &dyn Files,
    dirs: &BTreeMap<String, Place>,
    layers: &[release::Layer],
) -> Vec<positions::ValuesSource> {
    let read = |path: &str| match files.peek(path).or_else(|| files.read_unlisted(path)) {
        Some(Ok(f)) => Some(f),
        _ => None,
    };
    let mut own: BTreeMap<&str, (Arc<SourceFile>, Node)> = BTreeMap::new();
    for (prefix, place) in dirs {
        // A chart read from an archive has no values file of the repository.
        if place.archive.is_some() {
            continue;
        }
        let dir = &place.dir;
        let path = if dir.is_empty() {
            "values.yaml".to_string()
        } else {
            format!("{dir}/values.yaml")
        };
        let Some(file) = read(&path) else { continue };
        let Ok(nodes) = crate::load::parse_documents(&file.text, &LoadOptions::default()) else {
            continue;
        };
        if let Some(root) = nodes.into_iter().next() {
            own.insert(prefix.as_str(), (file, root));
        }
    }
    let given: Vec<(Arc<SourceFile>, Node)> = layers
        .iter()
        .rev()
        .filter_map(|l| {
            let (path, node) = l.origin.as_ref()?;
            Some((read(path)?, node.clone()))
        })
        .collect();
    let mut out = Vec::new();
    for prefix in dirs.keys() {
        // `web/charts/sub/charts/x` → ["web", "sub", "x"].
        let chain: Vec<&str> = prefix.split("/charts/").collect();
        for (file, root) in &given {
            out.push(positions::ValuesSource {
                file: Arc::clone(file),
                root: root.clone(),
                chart: prefix.clone(),
                prefix: chain[1..].iter().map(|s| s.to_string()).collect(),
            });
        }
        for depth in 0..chain.len() {
            let ancestor = chain[..=depth].join("/charts/");
            if let Some((file, root)) = own.get(ancestor.as_str()) {
                out.push(positions::ValuesSource {
                    file: Arc::clone(file),
                    root: root.clone(),
                    chart: prefix.clone(),
                    prefix: chain[depth + 1..].iter().map(|s| s.to_string()).collect(),
                });
            }
        }
    }
    out
}

/// A rendered object installed by a release into `namespace`: a namespaced object that
/// names no namespace of its own is there (Helm installs it with `--namespace`).
fn in_namespace(doc: &mut Document, namespace: &str) {
    if let Some(r) = &mut doc.resource {
        if r.namespace.is_none() && !crate::load::kustomize::is_cluster_scoped(&r.kind) {
            r.namespace = Some(namespace.to_string());
        }
    }
}

/// Where a chart of the rendered tree is: its directory (for a chart read from an archive,
/// the archive's path followed by the path inside it), and the archive in the repository.
#[derive(Debug, Clone)]
struct Place {
    dir: String,
    archive: Option<String>,
}

/// Where a rendered template is in the repository.
#[derive(Debug, Clone)]
struct Located {
    /// Its path (`chart/charts/sub/templates/x.yaml`; inside an archive,
    /// `chart/charts/sub-1.0.0.tgz/templates/x.yaml`, which is no file of the repository).
    path: String,
    /// The `.tgz` in the repository it was read from, which findings point at (line 1).
    archive: Option<String>,
}

/// The repository place of a rendered `# Source` (`chart/charts/sub/templates/x.yaml`).
fn repo_path(dirs: &BTreeMap<String, Place>, source: &str) -> Option<Located> {
    let (prefix, place) = dirs
        .iter()
        .filter(|(p, _)| source.starts_with(&format!("{p}/")))
        .max_by_key(|(p, _)| p.len())?;
    let rest = &source[prefix.len() + 1..];
    let path = if place.dir.is_empty() {
        rest.to_string()
    } else {
        format!("{}/{rest}", place.dir)
    };
    Some(Located {
        path,
        archive: place.archive.clone(),
    })
}

/// The engine's view of a loaded chart, recording each chart's `# Source` prefix and its
/// directory in the repository.
fn to_render(c: &chart::Chart, parent: &str, dirs: &mut BTreeMap<String, Place>) -> RenderChart {
    to_render_named(c, c.name(), parent, dirs)
}

fn to_render_named(
    c: &chart::Chart,
    name: &str,
    parent: &str,
    dirs: &mut BTreeMap<String, Place>,
) -> RenderChart {
    let full = if parent.is_empty() {
        name.to_string()
    } else {
        format!("{parent}/charts/{name}")
    };
    dirs.insert(
        full.clone(),
        Place {
            dir: c.dir.clone(),
            archive: c.archive.clone(),
        },
    );
    RenderChart {
        name: name.to_string(),
        metadata: c.metadata_value(),
        library: c.is_library(),
        templates: c.templates.clone(),
        crds: c.crds.clone(),
        files: c.files.clone(),
        subcharts: c
            .dependencies
            .iter()
            .map(|d| to_render_named(d, d.name(), &full, dirs))
            .collect(),
    }
}

/// The documents of one rendered manifest, placed on the lines of its template (or, for a
/// CRD file, on its own lines); a template read from an archive has no lines of its own in
/// the repository, so its documents point at the archive, line 1.
fn documents_of(
    files: &dyn Files,
    at: &Located,
    m: &Manifest,
    first_index: usize,
    opts: &LoadOptions,
    values: &[positions::ValuesSource],
    notes: &mut Vec<Notification>,
) -> Vec<Document> {
    let path = at.path.as_str();
    let template = match &at.archive {
        Some(archive) => Arc::new(SourceFile::new(archive.clone(), String::new())),
        None => match files.peek(path).or_else(|| files.read_unlisted(path)) {
            Some(Ok(f)) => f,
            _ => Arc::new(SourceFile::new(path.to_string(), String::new())),
        },
    };
    let file_of_notes = at.archive.as_deref().unwrap_or(path);
    let rendered = crate::load::load_file(path, m.content.as_bytes(), opts);
    if let Some((_, pos, message)) = &rendered.parse_error {
        notes.push(
            Notification::new(
                NoteLevel::Error,
                "helm-render",
                format!(
                    "{path}: what the template renders is not YAML ({message}, line {} of the \
                     rendered document)",
                    pos.line
                ),
            )
            .at(file_of_notes, None),
        );
    }
    for mut n in rendered.notifications {
        if at.archive.is_some() {
            n.file = Some(file_of_notes.to_string());
            n.position = None;
        }
        notes.push(n);
    }
    let map = if at.archive.is_some() {
        Vec::new()
    } else if m.crd {
        (1..=m.content.lines().count() as u32 + 1).collect()
    } else {
        line_map(&template.text, &m.content)
    };
    rendered
        .documents
        .into_iter()
        .enumerate()
        .map(|(i, mut d)| {
            remap(&mut d.node, &map);
            d.file = Arc::clone(&template);
            d.index = first_index + i;
            if !m.crd && at.archive.is_none() {
                positions::place_values(&mut d, &template.text, chart_of(&m.source), values);
            }
            d
        })
        .collect()
}

fn remap(n: &mut Node, map: &[u32]) {
    n.start = place(n.start, map);
    n.end_byte = None;
    match &mut n.value {
        Value::Seq(items) => items.iter_mut().for_each(|i| remap(i, map)),
        Value::Map(entries) => {
            for e in entries {
                e.key_start = place(e.key_start, map);
                e.key_end_byte = None;
                remap(&mut e.value, map);
            }
        }
        _ => {}
    }
}

fn place(p: Pos, map: &[u32]) -> Pos {
    let line = map
        .get((p.line as usize).saturating_sub(1))
        .copied()
        .unwrap_or(1);
    Pos::new(line, 1)
}

/// For each line of `rendered` (1-based, index 0 is line 1), the template line it came from.
pub fn line_map(template: &str, rendered: &str) -> Vec<u32> {
    let tlines: Vec<&str> = template.lines().collect();
    let skeletons: Vec<String> = tlines.iter().map(|l| skeleton(l)).collect();
    let action_only: Vec<bool> = tlines
        .iter()
        .zip(&skeletons)
        .map(|(l, s)| s.is_empty() && l.contains("{{"))
        .collect();
    let mut out = Vec::new();
    let mut cursor: Option<usize> = None;
    for line in rendered.lines() {
        let key = line_key(line);
        let start = cursor.map_or(0, |c| c + 1);
        let found = if key.len() < 2 {
            None
        } else {
            (start..tlines.len())
                .chain(0..start)
                .find(|&i| !skeletons[i].is_empty() && skeletons[i].starts_with(&key))
        };
        let at = match found {
            Some(i) => {
                cursor = Some(i);
                i
            }
            None => {
                // Made by an action: the next action-only line, else where we are.
                let from = cursor.map_or(0, |c| c + 1);
                (from..tlines.len().min(from + 4))
                    .find(|&i| action_only[i])
                    .or(cursor)
                    .unwrap_or(0)
            }
        };
        out.push(at as u32 + 1);
    }
    out.push(out.last().copied().unwrap_or(1));
    out
}

/// A template line without its actions, trimmed: the literal text it prints.
fn skeleton(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(i) = rest.find("{{") {
        out.push_str(&rest[..i]);
        match rest[i..].find("}}") {
            Some(j) => rest = &rest[i + j + 2..],
            None => {
                rest = "";
                break;
            }
        }
    }
    out.push_str(rest);
    let t = out.trim();
    t.strip_prefix("- ").unwrap_or(t).to_string()
}

/// The part of a rendered line to look for in the template: up to and including a mapping
/// key's colon, else the whole trimmed line.
fn line_key(line: &str) -> String {
    let t = line.trim();
    let t = t.strip_prefix("- ").unwrap_or(t);
    match t.find(": ") {
        Some(i) => t[..i + 1].to_string(),
        None if t.ends_with(':') => t.to_string(),
        None => t.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tree whose listed files are text and whose `.tgz` files are bytes the listing leaves
    /// out, as a scan of a working tree or a revision gives them.
    struct WithArchives {
        text: crate::load::MemFiles,
        bytes: BTreeMap<String, Vec<u8>>,
    }

    impl Files for WithArchives {
        fn paths(&self) -> &[String] {
            self.text.paths()
        }
        fn read(&self, path: &str) -> Option<Result<Arc<SourceFile>, String>> {
            self.text.read(path)
        }
        fn unlisted_under(&self, dir: &str) -> Vec<String> {
            self.bytes
                .keys()
                .filter(|p| inside(p, dir))
                .cloned()
                .collect()
        }
        fn read_bytes(&self, path: &str) -> Option<Result<Vec<u8>, String>> {
            self.bytes.get(path).cloned().map(Ok)
        }
    }

    fn tgz(files: &[(&str, &str)]) -> Vec<u8> {
        use std::io::Write;
        let mut b = tar::Builder::new(Vec::new());
        for (p, t) in files {
            let mut h = tar::Header::new_gnu();
            h.set_size(t.len() as u64);
            h.set_mode(0o644);
            b.append_data(&mut h, p, t.as_bytes()).unwrap();
        }
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&b.into_inner().unwrap()).unwrap();
        gz.finish().unwrap()
    }

    #[test]
    fn objects_of_an_archived_subchart_point_at_the_archive_line_1() {
        let files = WithArchives {
            text: crate::load::MemFiles::new([
                (
                    "app/Chart.yaml",
                    "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n- {name: sub, \
                     version: 0.1.x}\n",
                ),
                (
                    "app/templates/cm.yaml",
                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: top\n",
                ),
            ]),
            bytes: [(
                "app/charts/sub-0.1.2.tgz".to_string(),
                tgz(&[
                    (
                        "sub/Chart.yaml",
                        "apiVersion: v2\nname: sub\nversion: 0.1.2\n",
                    ),
                    (
                        "sub/templates/pod.yaml",
                        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: inner\nspec:\n  \
                         containers:\n  - name: a\n    image: x\n",
                    ),
                ]),
            )]
            .into(),
        };
        let out = load(
            &files,
            "app",
            &[],
            &LoadOptions::default(),
            &IacOptions::default(),
        );
        let docs: Vec<(&str, &str, u32)> = out
            .documents
            .iter()
            .map(|d| {
                let name_line = d
                    .node
                    .get("metadata")
                    .and_then(|m| m.get("name"))
                    .map_or(0, |n| n.start.line);
                let name = d.resource.as_ref().map_or("", |r| r.name.as_str());
                (d.file.path.as_str(), name, name_line)
            })
            .collect();
        // The chart's own template: the line that printed the name. The archived one has no
        // lines of its own in the repository: the archive, line 1.
        assert_eq!(
            docs,
            [
                ("app/templates/cm.yaml", "top", 4),
                ("app/charts/sub-0.1.2.tgz", "inner", 1)
            ]
        );
        let containers = out.documents[1]
            .node
            .get("spec")
            .and_then(|s| s.get("containers"));
        assert_eq!(containers.map(|n| n.start.line), Some(1));
        assert!(out.notifications.is_empty(), "{:?}", out.notifications);
        // A template of the archive that fails: the error is on the archive.
        let failing = WithArchives {
            text: crate::load::MemFiles::new([(
                "app/Chart.yaml",
                "apiVersion: v2\nname: app\nversion: 1.0.0\n",
            )]),
            bytes: [(
                "app/charts/sub-0.1.2.tgz".to_string(),
                tgz(&[
                    (
                        "sub/Chart.yaml",
                        "apiVersion: v2\nname: sub\nversion: 0.1.2\n",
                    ),
                    ("sub/templates/x.yaml", "a: 1\n{{ fail \"boom\" }}\n"),
                ]),
            )]
            .into(),
        };
        let out = load(
            &failing,
            "app",
            &[],
            &LoadOptions::default(),
            &IacOptions::default(),
        );
        assert_eq!(out.notifications.len(), 1, "{:?}", out.notifications);
        let n = &out.notifications[0];
        assert_eq!(n.code, "helm-render");
        assert_eq!(n.file.as_deref(), Some("app/charts/sub-0.1.2.tgz"));
        assert_eq!(n.position, None);
        assert!(n.message.contains("boom"), "{}", n.message);
    }

    #[test]
    fn rendered_lines_land_on_their_template_lines() {
        let template = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ include \"x\" . }}\nspec:\n  replicas: {{ .Values.n }}\n  template:\n    spec:\n      containers:\n        - name: app\n          securityContext:\n            {{- toYaml .Values.sc | nindent 12 }}\n";
        let rendered = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: release-x\nspec:\n  replicas: 3\n  template:\n    spec:\n      containers:\n        - name: app\n          securityContext:\n            privileged: true\n            runAsUser: 0\n";
        let map = line_map(template, rendered);
        assert_eq!(&map[..11], &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
        // Lines made by `toYaml` are placed on the action's line.
        assert_eq!(map[11], 12);
        assert_eq!(map[12], 12);
    }
}
