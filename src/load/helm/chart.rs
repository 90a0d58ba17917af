//! Loading a chart directory as Helm's `loader.LoadDir` does (helm v4.2.3,
//! `pkg/chart/v2/loader`): the files of the directory minus what `.helmignore` ignores,
//! sorted by path, with a UTF-8 byte order mark stripped from each; then
//!
//! - `Chart.yaml`: the metadata (`apiVersion` defaults to `v1`); validated as Helm validates
//!   it (name, version as a semantic version, type, maintainers, dependencies and aliases);
//! - `requirements.yaml` / `requirements.lock` (apiVersion v1 charts: dependencies and their
//!   lock; read for v2 charts too, with a warning, as Helm does);
//! - `Chart.lock`; `values.yaml` (every document, merged); `values.schema.json`;
//! - `templates/**`: the templates;
//! - `charts/<dir>/**`: a subchart, loaded the same way (recursively); `charts/*.tgz`:
//!   a packaged subchart, read in memory (`chart_archive.rs`) and loaded the same way (its
//!   own `charts/` included, archives nesting at most `MAX_DEPTH` deep); names starting with
//!   `_` or `.` skipped; `charts/*.prov` files go to `.Files`;
//! - everything else (including `crds/`, `.helmignore`, `README.md`, `ci/`…) is a file that
//!   templates read through `.Files`. `crds` lists the `crds/` files with a manifest
//!   extension (`.yaml`, `.yml`, `.json`), which `--include-crds` prints.
//!
//! Only the top chart's `.helmignore` is read, and it applies to the whole tree, subcharts
//! included (Helm walks the directory once); a `.helmignore` inside an archive is not applied
//! (Helm applied it when it packaged the chart).
//!
//! An archive Helm cannot read (not gzip, truncated, over the size limits, an entry that
//! leaves the chart's directory), or whose chart does not load, makes `helm template` refuse
//! the whole chart. Here it is an error notification on the archive, naming the chart and what
//! to do, and the parent chart is rendered without that subchart (a dependency it held is not
//! reported missing again), so the rest of the chart is still checked.

use super::{ChartFile, ChartSource};
use crate::model::{NoteLevel, Notification, Pos};
use ignore::Rules;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use yaml::{YNode, Y};

/// The largest file Helm loads from a chart (`MaxDecompressedFileSize`, 5 MiB).
pub const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;

/// A chart as loaded from its directory, and its subcharts.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// Repository-relative directory of the chart (`charts/argo-cd`); a subchart's is under
    /// its parent's `charts/`. Kept when the chart is renamed by an alias.
    pub dir: String,
    pub metadata: Metadata,
    /// `Chart.lock` (or `requirements.lock`).
    pub lock: Option<Lock>,
    /// `values.yaml`: every document merged, as a JSON object whose numbers are all floats
    /// (Helm reads values through JSON into `interface{}`: `10000000` is a float64 that Go
    /// prints `1e+07`). An empty object when there is no `values.yaml`.
    pub values: serde_json::Value,
    /// `values.yaml` itself (path relative to the chart), for positions.
    pub values_file: Option<ChartFile>,
    /// `values.schema.json`.
    pub schema: Option<ChartFile>,
    /// Files under `templates/`, relative to the chart (`templates/deploy.yaml`).
    pub templates: Vec<ChartFile>,
    /// The `crds/` files with a manifest extension (a subset of `files`).
    pub crds: Vec<ChartFile>,
    /// `.Files`: every file that is not `Chart.yaml`, `Chart.lock`, `values.yaml`,
    /// `values.schema.json`, a template or under `charts/` (a v1 chart's
    /// `requirements.yaml`/`.lock` and `charts/*.prov` are included).
    pub files: Vec<ChartFile>,
    /// Subcharts loaded from `charts/<dir>/`, in directory order.
    pub dependencies: Vec<Chart>,
    /// `charts/*.tgz` archives, relative to the chart, that could not be read or loaded (see
    /// the notifications); the others are in `dependencies`.
    pub archives: Vec<String>,
    /// The repository path of the `.tgz` this chart was read from (the outermost archive, for
    /// an archive inside an archive); `None` for a chart whose files are in the tree. Its
    /// `dir` is then the archive's path followed by the path inside it.
    pub archive: Option<String>,
    /// What the user should know about the load (unread archives, deprecated files).
    pub notifications: Vec<Notification>,
}

/// `Chart.yaml` (Helm's `Metadata`). Strings are empty and lists empty when absent.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Metadata {
    pub api_version: String,
    pub name: String,
    pub home: String,
    pub sources: Vec<String>,
    pub version: String,
    pub description: String,
    pub keywords: Vec<String>,
    pub maintainers: Vec<Maintainer>,
    pub icon: String,
    pub condition: String,
    pub tags: String,
    pub app_version: String,
    pub deprecated: bool,
    /// `None` when `Chart.yaml` has no `annotations` (Helm's nil map: `toYaml` prints
    /// `null`, not `{}`).
    pub annotations: Option<BTreeMap<String, String>>,
    pub kube_version: String,
    /// `None` when there is no `dependencies` list (Helm treats a nil list and an empty one
    /// differently while processing dependencies).
    pub dependencies: Option<Vec<Dependency>>,
    /// `application`, `library` or empty.
    pub chart_type: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Maintainer {
    pub name: String,
    pub email: String,
    pub url: String,
}

/// A dependency of `Chart.yaml` (v2) or `requirements.yaml` (v1).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Dependency {
    pub name: String,
    /// A version constraint the vendored chart's version must satisfy.
    pub version: String,
    pub repository: String,
    /// Comma-separated value paths; the first that holds a boolean decides.
    pub condition: String,
    pub tags: Vec<String>,
    pub enabled: bool,
    /// Each item a string (`exports.<name>` of the child) or `{child, parent}`.
    pub import_values: Vec<serde_json::Value>,
    pub alias: String,
}

/// `Chart.lock`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Lock {
    pub generated: String,
    pub digest: String,
    pub dependencies: Vec<Dependency>,
}

/// A chart Helm refuses to load: the file, the line when known, and what to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// Repository-relative path of the file at fault (or of the chart directory).
    pub file: String,
    pub line: Option<u32>,
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{l}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for LoadError {}

impl LoadError {
    /// The error as a scan notification (the chart is not rendered).
    pub fn notification(&self) -> Notification {
        Notification::new(NoteLevel::Error, "helm-chart-error", self.message.clone())
            .at(self.file.clone(), self.line.map(|l| Pos::new(l, 1)))
    }
}

impl Chart {
    /// The chart's name (`Chart.yaml` `name`, or the alias it was given by its parent).
    pub fn name(&self) -> &str {
        &self.metadata.name
    }

    /// A library chart: its templates are only partials, it cannot be installed.
    pub fn is_library(&self) -> bool {
        self.metadata.chart_type.eq_ignore_ascii_case("library")
    }

    /// `.Chart` as templates see it: Helm turns the `Metadata` struct into a map keyed by
    /// the Go field names, every field present (empty strings, `false`, empty lists), in the
    /// struct's field order (`Name`, `Home`, `Sources`,
    /// `Version`, `Description`, `Keywords`, `Maintainers`, `Icon`, `APIVersion`,
    /// `Condition`, `Tags`, `AppVersion`, `Deprecated`, `Annotations`, `KubeVersion`,
    /// `Dependencies`, `Type`). Maintainers are `{Name, Email, URL}`, dependencies
    /// `{Name, Version, Repository, Condition, Tags, Enabled, ImportValues, Alias}`.
    /// `Annotations` is an empty object when `Chart.yaml` has none: in Helm it is a nil
    /// `map[string]string`, which prints `map[]` and answers `index` with `""` as an empty
    /// map does (only `toJson`/`toYaml` of it differ: `null`).
    pub fn metadata_value(&self) -> serde_json::Value {
        use serde_json::{json, Value};
        let md = &self.metadata;
        let strings = |v: &[String]| Value::Array(v.iter().cloned().map(Value::String).collect());
        let maintainers: Vec<Value> = md
            .maintainers
            .iter()
            .map(|m| json!({"Name": m.name, "Email": m.email, "URL": m.url}))
            .collect();
        let dependencies: Vec<Value> = md
            .dependencies
            .iter()
            .flatten()
            .map(|d| {
                json!({
                    "Name": d.name,
                    "Version": d.version,
                    "Repository": d.repository,
                    "Condition": d.condition,
                    "Tags": strings(&d.tags),
                    "Enabled": d.enabled,
                    "ImportValues": Value::Array(d.import_values.clone()),
                    "Alias": d.alias,
                })
            })
            .collect();
        let annotations = match &md.annotations {
            None => Value::Object(serde_json::Map::new()),
            Some(a) => Value::Object(
                a.iter()
                    .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                    .collect(),
            ),
        };
        json!({
            "Name": md.name,
            "Home": md.home,
            "Sources": strings(&md.sources),
            "Version": md.version,
            "Description": md.description,
            "Keywords": strings(&md.keywords),
            "Maintainers": maintainers,
            "Icon": md.icon,
            "APIVersion": md.api_version,
            "Condition": md.condition,
            "Tags": md.tags,
            "AppVersion": md.app_version,
            "Deprecated": md.deprecated,
            "Annotations": annotations,
            "KubeVersion": md.kube_version,
            "Dependencies": dependencies,
            "Type": md.chart_type,
        })
    }

    /// Every notification of this chart and of its subcharts.
    pub fn all_notifications(&self) -> Vec<Notification> {
        let mut out = self.notifications.clone();
        for d in &self.dependencies {
            out.extend(d.all_notifications());
        }
        out
    }
}

/// Loads the chart whose `Chart.yaml` is in `dir` (repository-relative), with its
/// subcharts, as `helm template <dir>` loads it.
pub fn load(source: &dyn ChartSource, dir: &str) -> Result<Chart, LoadError> {
    let dir = dir.trim_end_matches('/');
    let prefix = if dir.is_empty() {
        String::new()
    } else {
        format!("{dir}/")
    };
    let mut rules = Rules::default();
    let ignore_path = format!("{prefix}.helmignore");
    if let Some(bytes) = source.read(&ignore_path) {
        let text = String::from_utf8_lossy(&bytes);
        rules = Rules::parse(&text).map_err(|e| LoadError {
            file: ignore_path.clone(),
            line: Some(e.line),
            message: e.message,
        })?;
    }
    rules.add_defaults();
    let mut files = Vec::new();
    for path in source.list(dir) {
        let Some(rel) = path.strip_prefix(&prefix) else {
            continue;
        };
        if rel.is_empty() || rules.ignore_file(rel) {
            continue;
        }
        let Some(bytes) = source.read(&path) else {
            continue;
        };
        if bytes.len() > MAX_FILE_BYTES {
            return Err(LoadError {
                file: path.clone(),
                line: None,
                message: format!(
                    "chart file {:?} is larger than the maximum file size {MAX_FILE_BYTES} \
                     that Helm loads: remove it from the chart or list it in .helmignore",
                    rel.rsplit('/').next().unwrap_or(rel)
                ),
            });
        }
        let bytes: Arc<[u8]> = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
            Some(rest) => Arc::from(rest),
            None => bytes,
        };
        files.push((rel.to_string(), bytes));
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    load_files(files, dir, &mut Ctx::default())
}

/// The state of one chart's load that its subcharts share: what is left of the archive
/// limits, how deep archives nest, and the archive (repository path) being read, if any.
#[derive(Default)]
struct Ctx {
    budget: archive::Budget,
    depth: usize,
    archive: Option<String>,
}

fn join(dir: &str, rel: &str) -> String {
    if dir.is_empty() {
        rel.to_string()
    } else {
        format!("{dir}/{rel}")
    }
}

/// Files of a chart: paths relative to it, and their bytes.
type Files = Vec<(String, Arc<[u8]>)>;

/// Helm's `LoadFiles`: one chart from its files (paths relative to `dir`).
fn load_files(files: Files, dir: &str, ctx: &mut Ctx) -> Result<Chart, LoadError> {
    let mut chart = Chart {
        dir: dir.to_string(),
        metadata: Metadata::default(),
        lock: None,
        values: serde_json::Value::Object(serde_json::Map::new()),
        values_file: None,
        schema: None,
        templates: Vec::new(),
        crds: Vec::new(),
        files: Vec::new(),
        dependencies: Vec::new(),
        archives: Vec::new(),
        archive: ctx.archive.clone(),
        notifications: Vec::new(),
    };
    let chart_yaml = join(dir, "Chart.yaml");
    let mut has_metadata = false;
    // Line of each `Chart.yaml` key, for validation messages.
    let mut key_lines: BTreeMap<String, u32> = BTreeMap::new();
    if let Some((_, bytes)) = files.iter().find(|(n, _)| n == "Chart.yaml") {
        has_metadata = true;
        let text = String::from_utf8_lossy(bytes);
        let node = yaml::parse_first(&text).map_err(|e| LoadError {
            file: chart_yaml.clone(),
            line: e.line,
            message: format!("cannot load Chart.yaml: {}", e.message),
        })?;
        if let Some(node) = node {
            if let Y::Map(entries) = &node.value {
                for (k, v) in entries {
                    key_lines.insert(k.to_ascii_lowercase(), v.line);
                }
            }
            apply_metadata(&mut chart.metadata, &node).map_err(|(line, message)| LoadError {
                file: chart_yaml.clone(),
                line,
                message: format!("cannot load Chart.yaml: {message}"),
            })?;
        }
        if chart.metadata.api_version.is_empty() {
            chart.metadata.api_version = "v1".to_string();
        }
    }
    let mut subcharts: BTreeMap<String, Files> = BTreeMap::new();
    for (name, bytes) in files {
        let file = ChartFile {
            path: name.clone(),
            bytes: bytes.clone(),
        };
        match name.as_str() {
            "Chart.yaml" => {}
            "Chart.lock" => {
                chart.lock = Some(parse_lock(&bytes, &join(dir, &name))?);
            }
            "values.yaml" => {
                let text = String::from_utf8_lossy(&bytes);
                let values = yaml::parse_values(&text).map_err(|e| LoadError {
                    file: join(dir, &name),
                    line: e.line,
                    message: format!("cannot load values.yaml: {}", e.message),
                })?;
                chart.values = serde_json::Value::Object(values);
                chart.values_file = Some(file);
            }
            "values.schema.json" => chart.schema = Some(file),
            "requirements.yaml" => {
                has_metadata = true;
                if chart.metadata.api_version != "v1" {
                    chart.notifications.push(
                        Notification::new(
                            NoteLevel::Warning,
                            "helm-chart",
                            "Dependencies are handled in Chart.yaml since apiVersion \"v2\". \
                             We recommend migrating dependencies to Chart.yaml (Helm still reads \
                             requirements.yaml, and so does plumbline).",
                        )
                        .at(join(dir, &name), None),
                    );
                }
                let text = String::from_utf8_lossy(&bytes);
                let node = yaml::parse_first(&text).map_err(|e| LoadError {
                    file: join(dir, &name),
                    line: e.line,
                    message: format!("cannot load requirements.yaml: {}", e.message),
                })?;
                if let Some(node) = node {
                    apply_metadata(&mut chart.metadata, &node).map_err(|(line, message)| {
                        LoadError {
                            file: join(dir, &name),
                            line,
                            message: format!("cannot load requirements.yaml: {message}"),
                        }
                    })?;
                }
                if chart.metadata.api_version == "v1" {
                    chart.files.push(file);
                }
            }
            "requirements.lock" => {
                chart.lock = Some(parse_lock(&bytes, &join(dir, &name))?);
                has_metadata = true;
                if chart.metadata.api_version != "v1" {
                    chart.notifications.push(
                        Notification::new(
                            NoteLevel::Warning,
                            "helm-chart",
                            "Dependency locking is handled in Chart.lock since apiVersion \
                             \"v2\". We recommend migrating to Chart.lock.",
                        )
                        .at(join(dir, &name), None),
                    );
                }
                if chart.metadata.api_version == "v1" {
                    chart.files.push(file);
                }
            }
            n if n.starts_with("templates/") => chart.templates.push(file),
            n if n.starts_with("charts/") => {
                if go_ext(n) == ".prov" {
                    chart.files.push(file);
                    continue;
                }
                let rest = &n["charts/".len()..];
                let cname = rest.split('/').next().unwrap_or(rest).to_string();
                subcharts
                    .entry(cname)
                    .or_default()
                    .push((rest.to_string(), bytes));
            }
            _ => {
                if name.starts_with("crds/") && has_manifest_extension(&name) {
                    chart.crds.push(file.clone());
                }
                chart.files.push(file);
            }
        }
    }
    if !has_metadata {
        return Err(LoadError {
            file: dir.to_string(),
            line: None,
            message: "Chart.yaml file is missing: a chart directory needs a Chart.yaml with at \
                      least apiVersion, name and version"
                .into(),
        });
    }
    validate_metadata(&mut chart.metadata).map_err(|(key, message)| LoadError {
        file: chart_yaml.clone(),
        line: key.and_then(|k| key_lines.get(k).copied()),
        message: format!("validation: {message}"),
    })?;
    match chart.metadata.api_version.as_str() {
        "v1" | "v2" => {}
        "v3" => {
            return Err(LoadError {
                file: chart_yaml,
                line: key_lines.get("apiversion").copied(),
                message: "apiVersion v3 charts are experimental in Helm 4 (behind a feature \
                          gate) and are not rendered: use apiVersion v2"
                    .into(),
            })
        }
        other => {
            return Err(LoadError {
                file: chart_yaml,
                line: key_lines.get("apiversion").copied(),
                message: format!(
                    "unsupported chart apiVersion {:?}: use apiVersion v2",
                    crate::textsafe::escape(other)
                ),
            })
        }
    }
    for (n, mut sub_files) in subcharts {
        if n.starts_with('_') || n.starts_with('.') {
            continue;
        }
        let sub_dir = join(dir, &format!("charts/{n}"));
        if go_ext(&n) == ".tgz" {
            if sub_files.first().map(|(f, _)| f.as_str()) != Some(n.as_str()) {
                return Err(LoadError {
                    file: sub_dir,
                    line: None,
                    message: format!(
                        "error unpacking subchart tar in {}: expected {n}, got a directory \
                         (a directory under charts/ may not end in .tgz)",
                        chart.metadata.name
                    ),
                });
            }
            let bytes = sub_files.swap_remove(0).1;
            match load_archive(&bytes, &sub_dir, &chart.metadata.name, ctx) {
                Ok(sub) => chart.dependencies.push(sub),
                Err(note) => {
                    chart.notifications.push(note);
                    chart.archives.push(format!("charts/{n}"));
                }
            }
            continue;
        }
        let buff: Files = sub_files
            .into_iter()
            .filter_map(|(f, b)| f.split_once('/').map(|(_, rest)| (rest.to_string(), b)))
            .collect();
        let sub = load_files(buff, &sub_dir, ctx).map_err(|mut e| {
            e.message = format!(
                "error unpacking subchart {n} in {}: {}",
                chart.metadata.name, e.message
            );
            e
        })?;
        chart.dependencies.push(sub);
    }
    Ok(chart)
}

/// A subchart packaged as `charts/<n>` (a `.tgz` at repository path `sub_dir`, or inside the
/// archive being read), loaded from its bytes; or the error notification saying why not, on
/// the archive in the repository.
fn load_archive(
    bytes: &[u8],
    sub_dir: &str,
    parent: &str,
    ctx: &mut Ctx,
) -> Result<Chart, Notification> {
    // Where the notification points: the archive in the repository (the outermost one).
    let in_repo = ctx.archive.clone().unwrap_or_else(|| sub_dir.to_string());
    let refused = |message: String, fix: &str| {
        Notification::new(
            NoteLevel::Error,
            "helm-subchart-archive",
            format!(
                "chart {parent}: subchart archive {sub_dir} cannot be loaded: {message}; `helm \
                 template` refuses the whole chart for this, plumbline renders it without this \
                 subchart ({fix})"
            ),
        )
        .at(in_repo.clone(), None)
    };
    if ctx.depth >= archive::MAX_DEPTH {
        return Err(refused(
            format!(
                "archives nest more than {} deep (an archive holding charts/*.tgz holding …)",
                archive::MAX_DEPTH
            ),
            "vendor the nested subcharts as directories",
        ));
    }
    let unpacked =
        archive::unpack(bytes, &mut ctx.budget).map_err(|e| refused(e.message, e.fix))?;
    let mut files = unpacked.files;
    // Helm reads an archive in its own order; a directory is read sorted, and `helm package`
    // writes it so. Sorting (stably: a repeated name keeps its order) makes both load alike.
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let outer = ctx.archive.is_none();
    if outer {
        ctx.archive = Some(sub_dir.to_string());
    }
    ctx.depth += 1;
    let loaded = load_files(files, sub_dir, ctx);
    ctx.depth -= 1;
    if outer {
        ctx.archive = None;
    }
    let mut sub = loaded.map_err(|e| {
        let inner = e
            .file
            .strip_prefix(sub_dir)
            .map(|r| r.trim_start_matches('/'))
            .filter(|r| !r.is_empty())
            .map(|r| match e.line {
                Some(l) => format!("{r}:{l}: "),
                None => format!("{r}: "),
            })
            .unwrap_or_default();
        refused(
            format!("{inner}{}", e.message),
            "fix the chart and package it again, or vendor it as a directory and fix it there",
        )
    })?;
    for w in unpacked.warnings {
        sub.notifications.push(
            Notification::new(
                NoteLevel::Warning,
                "helm-subchart-archive",
                format!("chart {parent}: subchart archive {sub_dir}: {w}"),
            )
            .at(in_repo.clone(), None),
        );
    }
    if outer {
        relocate(&mut sub, sub_dir);
    }
    Ok(sub)
}

/// Points the notifications of a chart read from the archive at `archive` (a path in the
/// repository) at the archive itself, naming the file inside it in the message.
fn relocate(chart: &mut Chart, archive: &str) {
    for note in &mut chart.notifications {
        let Some(file) = note.file.clone() else {
            continue;
        };
        if let Some(inner) = file.strip_prefix(&format!("{archive}/")) {
            let line = note
                .position
                .map(|p| format!(":{}", p.line))
                .unwrap_or_default();
            note.message = format!("{archive}: {inner}{line}: {}", note.message);
            note.file = Some(archive.to_string());
            note.position = None;
        }
    }
    for d in &mut chart.dependencies {
        relocate(d, archive);
    }
}

/// Go's `filepath.Ext`: the suffix from the last `.` of the last element.
fn go_ext(path: &str) -> &str {
    let base_start = path.rfind('/').map_or(0, |i| i + 1);
    match path[base_start..].rfind('.') {
        Some(i) => &path[base_start + i..],
        None => "",
    }
}

fn has_manifest_extension(path: &str) -> bool {
    let ext = go_ext(path);
    ext.eq_ignore_ascii_case(".yaml")
        || ext.eq_ignore_ascii_case(".yml")
        || ext.eq_ignore_ascii_case(".json")
}

type FieldError = (Option<u32>, String);

fn type_error(field: &str, want: &str, node: &YNode) -> FieldError {
    (
        Some(node.line),
        format!(
            "`{field}` must be {want}, not {} ({})",
            node.value.kind(),
            match want {
                "a boolean" => "write true or false, unquoted",
                "a list" => "write a YAML list, one `- item` a line",
                "a mapping" => "write `key: value` lines",
                _ => "quote it if it is meant as text",
            }
        ),
    )
}

/// A Go string field decoded from YAML through JSON: numbers and booleans become their text
/// (sigs.k8s.io/yaml converts them for a string field; a float is printed with 32-bit
/// precision, so `1.10` is `"1.1"`), null leaves the field empty.
fn string_field(field: &str, node: &YNode) -> Result<String, FieldError> {
    Ok(match &node.value {
        Y::Null => String::new(),
        Y::Str(s) => s.clone(),
        Y::Bool(b) => b.to_string(),
        Y::Int(i) => i.to_string(),
        Y::Uint(u) => u.to_string(),
        Y::Float(f) => yaml::go_format_float(*f, 32),
        Y::Seq(_) | Y::Map(_) => return Err(type_error(field, "a string", node)),
    })
}

fn strings_field(field: &str, node: &YNode) -> Result<Vec<String>, FieldError> {
    match &node.value {
        Y::Null => Ok(Vec::new()),
        Y::Seq(items) => items.iter().map(|i| string_field(field, i)).collect(),
        _ => Err(type_error(field, "a list", node)),
    }
}

fn bool_field(field: &str, node: &YNode) -> Result<bool, FieldError> {
    match &node.value {
        Y::Null => Ok(false),
        Y::Bool(b) => Ok(*b),
        _ => Err(type_error(field, "a boolean", node)),
    }
}

/// Applies the keys of a `Chart.yaml` (or `requirements.yaml`) mapping onto `md`, as Go's
/// JSON decoder fills a struct: keys matched ignoring case, unknown keys ignored, keys that
/// are absent leave the field as it was.
fn apply_metadata(md: &mut Metadata, node: &YNode) -> Result<(), FieldError> {
    match &node.value {
        Y::Map(_) => {}
        Y::Null => return Ok(()),
        _ => {
            return Err((
                Some(node.line),
                format!(
                    "the file must be a mapping of fields (name, version, …), not {}",
                    node.value.kind()
                ),
            ))
        }
    }
    let get = |k: &str| node.field(k);
    macro_rules! string {
        ($key:literal, $field:ident) => {
            if let Some(v) = get($key) {
                md.$field = string_field($key, v)?;
            }
        };
    }
    string!("name", name);
    string!("home", home);
    string!("version", version);
    string!("description", description);
    string!("icon", icon);
    string!("apiVersion", api_version);
    string!("condition", condition);
    string!("tags", tags);
    string!("appVersion", app_version);
    string!("kubeVersion", kube_version);
    string!("type", chart_type);
    if let Some(v) = get("sources") {
        md.sources = strings_field("sources", v)?;
    }
    if let Some(v) = get("keywords") {
        md.keywords = strings_field("keywords", v)?;
    }
    if let Some(v) = get("deprecated") {
        md.deprecated = bool_field("deprecated", v)?;
    }
    if let Some(v) = get("annotations") {
        match &v.value {
            Y::Null => md.annotations = None,
            Y::Map(entries) => {
                let map = md.annotations.get_or_insert_with(BTreeMap::new);
                for (k, val) in entries {
                    map.insert(k.clone(), string_field(&format!("annotations.{k}"), val)?);
                }
            }
            _ => return Err(type_error("annotations", "a mapping", v)),
        }
    }
    if let Some(v) = get("maintainers") {
        md.maintainers = match &v.value {
            Y::Null => Vec::new(),
            Y::Seq(items) => items
                .iter()
                .map(|m| match &m.value {
                    // Kept as an empty entry: validation refuses it with Helm's message.
                    Y::Null => Ok(Maintainer {
                        name: "\u{0}null".into(),
                        ..Maintainer::default()
                    }),
                    Y::Map(_) => {
                        let f = |k: &str| m.field(k).map(|n| string_field(k, n)).transpose();
                        Ok(Maintainer {
                            name: f("name")?.unwrap_or_default(),
                            email: f("email")?.unwrap_or_default(),
                            url: f("url")?.unwrap_or_default(),
                        })
                    }
                    _ => Err(type_error("maintainers[]", "a mapping", m)),
                })
                .collect::<Result<_, _>>()?,
            _ => return Err(type_error("maintainers", "a list", v)),
        };
    }
    if let Some(v) = get("dependencies") {
        md.dependencies = match &v.value {
            Y::Null => None,
            Y::Seq(items) => Some(
                items
                    .iter()
                    .map(dependency)
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            _ => return Err(type_error("dependencies", "a list", v)),
        };
    }
    Ok(())
}

/// Marks a `null` list item, refused by validation as Helm refuses nil entries.
const NULL_ENTRY: &str = "\u{0}null";

fn dependency(node: &YNode) -> Result<Dependency, FieldError> {
    match &node.value {
        Y::Null => {
            return Ok(Dependency {
                name: NULL_ENTRY.into(),
                ..Dependency::default()
            })
        }
        Y::Map(_) => {}
        _ => return Err(type_error("dependencies[]", "a mapping", node)),
    }
    let s = |k: &str| -> Result<String, FieldError> {
        node.field(k)
            .map(|n| string_field(k, n))
            .transpose()
            .map(Option::unwrap_or_default)
    };
    let import_values = match node.field("import-values") {
        None => Vec::new(),
        Some(n) => match &n.value {
            Y::Null => Vec::new(),
            Y::Seq(items) => items
                .iter()
                .map(|i| i.to_json().map_err(|e| (e.line, e.message)))
                .collect::<Result<_, _>>()?,
            _ => return Err(type_error("import-values", "a list", n)),
        },
    };
    Ok(Dependency {
        name: s("name")?,
        version: s("version")?,
        repository: s("repository")?,
        condition: s("condition")?,
        tags: node
            .field("tags")
            .map(|n| strings_field("tags", n))
            .transpose()?
            .unwrap_or_default(),
        enabled: node
            .field("enabled")
            .map(|n| bool_field("enabled", n))
            .transpose()?
            .unwrap_or(false),
        import_values,
        alias: s("alias")?,
    })
}

fn parse_lock(bytes: &[u8], file: &str) -> Result<Lock, LoadError> {
    let name = file.rsplit('/').next().unwrap_or(file).to_string();
    let err = |line: Option<u32>, message: String| LoadError {
        file: file.to_string(),
        line,
        message: format!("cannot load {name}: {message}"),
    };
    let text = String::from_utf8_lossy(bytes);
    let node = yaml::parse_first(&text).map_err(|e| err(e.line, e.message))?;
    let mut lock = Lock::default();
    let Some(node) = node else {
        return Ok(lock);
    };
    match &node.value {
        Y::Map(_) => {}
        Y::Null => return Ok(lock),
        _ => {
            return Err(err(
                Some(node.line),
                format!("the file must be a mapping, not {}", node.value.kind()),
            ))
        }
    }
    if let Some(g) = node.field("generated") {
        lock.generated = string_field("generated", g).map_err(|(l, m)| err(l, m))?;
    }
    if let Some(d) = node.field("digest") {
        lock.digest = string_field("digest", d).map_err(|(l, m)| err(l, m))?;
    }
    if let Some(deps) = node.field("dependencies") {
        lock.dependencies = match &deps.value {
            Y::Null => Vec::new(),
            Y::Seq(items) => items
                .iter()
                .map(dependency)
                .collect::<Result<_, _>>()
                .map_err(|(l, m)| err(l, m))?,
            _ => return Err(err(Some(deps.line), "`dependencies` must be a list".into())),
        };
    }
    Ok(lock)
}

/// Go's `sanitizeString`: whitespace becomes a space, characters that are not printable
/// are dropped.
fn sanitize(s: &mut String) {
    if s.chars()
        .all(|c| c == ' ' || (!c.is_whitespace() && !crate::textsafe::is_unsafe(c)))
    {
        return;
    }
    *s = s
        .chars()
        .filter_map(|c| {
            if c.is_whitespace() {
                Some(' ')
            } else if crate::textsafe::is_unsafe(c) {
                None
            } else {
                Some(c)
            }
        })
        .collect();
}

/// Helm's `Metadata.Validate`: sanitizes the text fields and checks what a chart needs.
/// The error names the `Chart.yaml` key (lower case) to point at.
fn validate_metadata(md: &mut Metadata) -> Result<(), (Option<&'static str>, String)> {
    for s in [
        &mut md.name,
        &mut md.description,
        &mut md.home,
        &mut md.icon,
        &mut md.condition,
        &mut md.tags,
        &mut md.app_version,
        &mut md.kube_version,
    ] {
        sanitize(s);
    }
    md.sources.iter_mut().for_each(sanitize);
    md.keywords.iter_mut().for_each(sanitize);
    if md.api_version.is_empty() {
        return Err((
            Some("apiversion"),
            "chart.metadata.apiVersion is required: add `apiVersion: v2`".into(),
        ));
    }
    if md.name.is_empty() {
        return Err((
            Some("name"),
            "chart.metadata.name is required: add `name: <chart name>` to Chart.yaml".into(),
        ));
    }
    if md.name != go_base(&md.name) {
        return Err((
            Some("name"),
            format!(
                "chart.metadata.name {:?} is invalid: a chart name cannot contain `/`",
                md.name
            ),
        ));
    }
    if md.version.is_empty() {
        return Err((
            Some("version"),
            "chart.metadata.version is required: add `version: <semantic version>` (e.g. \
             0.1.0) to Chart.yaml"
                .into(),
        ));
    }
    if !semver::is_valid_version(&md.version) {
        return Err((
            Some("version"),
            format!(
                "chart.metadata.version {:?} is invalid: it must be a semantic version such as \
                 1.2.3",
                md.version
            ),
        ));
    }
    if !matches!(md.chart_type.as_str(), "" | "application" | "library") {
        return Err((
            Some("type"),
            "chart.metadata.type must be application or library".into(),
        ));
    }
    for m in &mut md.maintainers {
        if m.name == NULL_ENTRY {
            return Err((
                Some("maintainers"),
                "maintainers must not contain empty or null nodes".into(),
            ));
        }
        sanitize(&mut m.name);
        sanitize(&mut m.email);
        sanitize(&mut m.url);
    }
    let mut seen = std::collections::BTreeSet::new();
    for d in md.dependencies.iter_mut().flatten() {
        if d.name == NULL_ENTRY {
            return Err((
                Some("dependencies"),
                "dependencies must not contain empty or null nodes".into(),
            ));
        }
        sanitize(&mut d.name);
        sanitize(&mut d.version);
        sanitize(&mut d.repository);
        sanitize(&mut d.condition);
        d.tags.iter_mut().for_each(sanitize);
        if !d.alias.is_empty()
            && !d
                .alias
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err((
                Some("dependencies"),
                format!(
                    "dependency {:?} has disallowed characters in the alias (letters, digits, \
                     `_` and `-` only)",
                    d.name
                ),
            ));
        }
        let key = if d.alias.is_empty() {
            &d.name
        } else {
            &d.alias
        };
        if !seen.insert(key.clone()) {
            return Err((
                Some("dependencies"),
                format!("more than one dependency with name or alias {key:?}"),
            ));
        }
    }
    Ok(())
}

/// Go's `filepath.Base`.
fn go_base(path: &str) -> &str {
    if path.is_empty() {
        return ".";
    }
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/";
    }
    match trimmed.rfind('/') {
        Some(i) => &trimmed[i + 1..],
        None => trimmed,
    }
}

#[path = "chart_archive.rs"]
pub mod archive;
#[path = "chart_ignore.rs"]
mod ignore;
#[path = "chart_semver.rs"]
pub(crate) mod semver;
#[path = "chart_yaml.rs"]
pub(crate) mod yaml;

#[cfg(test)]
#[path = "chart_tests.rs"]
mod tests;
