//! The values a release renders with, computed as `helm template` (v4.2.3) computes them
//! before rendering:
//!
//! 1. the checks of `helm template` on the chart: it must be installable (not a library),
//!    every dependency of `Chart.yaml` must be vendored under `charts/`, a deprecated chart
//!    is warned about;
//! 2. `ProcessDependencies`: dependencies disabled by their `condition` (the first path that
//!    holds a boolean decides) or their `tags` are removed, recursively; a dependency with an
//!    `alias` becomes a subchart named by the alias (its values under the alias); each
//!    parent imports the tables its dependencies export (`import-values`, both forms), under
//!    its own values;
//! 3. `CoalesceValues`: the user's values over the chart's defaults, each subchart's
//!    defaults under its name, `global` copied down into every subchart, a null in the
//!    user's values deleting a default; the warnings Helm logs ("cannot overwrite table with
//!    non table", …) become notifications (without the values, which may be secrets);
//! 4. the values schema check of the chart and of every subchart (`values.schema.json`).
//!
//! Numbers read from YAML are floats (as in Helm, which reads values through JSON); numbers
//! from `--set` are integers (Helm's `strvals` makes them int64).

use super::chart::{yaml, Chart, LoadError};
use crate::model::{NoteLevel, Notification};
use serde_json::Value;
use std::fmt;

#[path = "values_coalesce.rs"]
mod coalesce;
#[path = "values_schema.rs"]
mod schema;
#[path = "values_strvals.rs"]
mod strvals;

/// A chart ready to render, with its release values.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The chart as Helm renders it: disabled dependencies removed, aliased dependencies
    /// renamed (`metadata.name` is the alias), `values` of every chart with dependencies
    /// replaced by Helm's merge of its own and its dependencies' (with imports), and each
    /// `metadata.dependencies` entry as Helm leaves it (`enabled`, `import_values` rewritten
    /// to `{child, parent}`) — `.Chart.Dependencies` shows them so.
    pub chart: Chart,
    /// The release values: the root chart's `.Values`. A subchart's `.Values` is the table
    /// under its name (in its parent's table).
    pub values: Value,
    /// Warnings of this stage: the chart is deprecated, what Helm logs while processing
    /// values, what the schema check could not check. (The load's own notifications are in
    /// [`Chart::all_notifications`].)
    pub notifications: Vec<Notification>,
}

/// Why `helm template` would stop before rendering: the message is Helm's (the schema
/// failures of every chart, a missing dependency…), with what was noticed before.
#[derive(Debug, Clone, PartialEq)]
pub struct ValuesError {
    pub message: String,
    pub notifications: Vec<Notification>,
}

impl fmt::Display for ValuesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ValuesError {}

impl ValuesError {
    fn new(message: impl Into<String>, notifications: Vec<Notification>) -> Self {
        Self {
            message: message.into(),
            notifications,
        }
    }

    /// The error as a scan notification about `file` (the chart's `Chart.yaml`, or the
    /// values file given).
    pub fn notification(&self, file: &str) -> Notification {
        Notification::new(NoteLevel::Error, "helm-values-error", self.message.clone())
            .at(file.to_string(), None)
    }
}

impl Prepared {
    /// The chart tree as the engine takes it.
    pub fn render_chart(&self) -> super::engine::RenderChart {
        // `..Default::default()` keeps this compiling when the engine's struct gains fields.
        #[allow(clippy::needless_update)]
        fn convert(c: &Chart) -> super::engine::RenderChart {
            super::engine::RenderChart {
                name: c.name().to_string(),
                metadata: c.metadata_value(),
                library: c.is_library(),
                templates: c.templates.clone(),
                crds: c.crds.clone(),
                files: c.files.clone(),
                subcharts: c.dependencies.iter().map(convert).collect(),
                ..Default::default()
            }
        }
        convert(&self.chart)
    }
}

/// The release values of `chart` with the user's values documents `user` (each `-f` file in
/// order, then the `--set` values), merged as Helm merges `-f` files (a later document's
/// tables merged into an earlier's, anything else replaced). A document that is `null` is
/// empty. For `--set` exactly as Helm applies it (into the merged files, so `a[1]=x` sets an
/// item of a list a file gave), parse it with [`parse_set_into`] into the merged files and
/// pass the result as the only document.
pub fn release_values(chart: &Chart, user: &[Value]) -> Result<Prepared, ValuesError> {
    release_values_with(chart, user, &ValuesOptions::default())
}

/// Options of [`release_values_with`], as `helm template` flags.
#[derive(Debug, Clone, Default)]
pub struct ValuesOptions {
    /// `--skip-schema-validation`: no `values.schema.json` is checked.
    pub skip_schema_validation: bool,
}

/// [`release_values`] with options.
pub fn release_values_with(
    chart: &Chart,
    user: &[Value],
    opts: &ValuesOptions,
) -> Result<Prepared, ValuesError> {
    let mut notifications = Vec::new();
    // `helm template` refuses what cannot be installed.
    if !matches!(chart.metadata.chart_type.as_str(), "" | "application") {
        return Err(ValuesError::new(
            format!(
                "{} charts are not installable (chart {}: a library chart is only used as a \
                 dependency of an application chart)",
                chart.metadata.chart_type,
                chart.name()
            ),
            notifications,
        ));
    }
    if chart.metadata.deprecated {
        notifications.push(
            Notification::new(NoteLevel::Warning, "helm-chart", "this chart is deprecated")
                .at(chart_yaml_path(chart), None),
        );
    }
    // A dependency held by an archive that could not be read is not reported again: the
    // load's notification says why, and the chart renders without it.
    let missing: Vec<&str> = chart
        .metadata
        .dependencies
        .iter()
        .flatten()
        .filter(|r| !chart.dependencies.iter().any(|d| d.name() == r.name))
        .filter(|r| !chart.archives.iter().any(|a| archive_of(a, &r.name)))
        .map(|r| r.name.as_str())
        .collect();
    if !missing.is_empty() {
        let mut message = format!(
            "found in Chart.yaml, but missing in charts/ directory: {}",
            missing.join(", ")
        );
        if !chart.archives.is_empty() {
            message.push_str(&format!(
                " (these archives could not be read: {}; see their notifications)",
                chart.archives.join(", ")
            ));
        } else {
            message.push_str(
                " (run `helm dependency build` and commit charts/, as directories or .tgz \
                 archives)",
            );
        }
        return Err(ValuesError::new(message, notifications));
    }
    let mut merged = serde_json::Map::new();
    for (i, doc) in user.iter().enumerate() {
        match doc {
            Value::Object(m) => merged = yaml::merge_maps(merged, m.clone()),
            Value::Null => {}
            other => {
                return Err(ValuesError::new(
                    format!(
                        "user values document {} is {}, not a mapping of keys to values",
                        i + 1,
                        yaml::json_kind(other)
                    ),
                    notifications,
                ))
            }
        }
    }
    let mut c = chart.clone();
    let mut w = coalesce::Warnings::default();
    let result = coalesce::process_dependencies(&mut w, &mut c, &merged)
        .and_then(|()| coalesce::coalesce_values_of(&mut w, &c, &merged));
    notifications.extend(w.list.into_iter().map(|m| {
        Notification::new(NoteLevel::Warning, "helm-values", m).at(chart_yaml_path(chart), None)
    }));
    let values = match result {
        Ok(v) => coalesce::map_to_json(&v),
        Err(e) => return Err(ValuesError::new(e, notifications)),
    };
    if !opts.skip_schema_validation {
        let checked = schema::check(&c, &values);
        notifications.extend(checked.notes.into_iter().map(|m| {
            Notification::new(NoteLevel::Warning, "helm-values-schema", m)
                .at(chart_yaml_path(chart), None)
        }));
        if let Some(e) = checked.error {
            return Err(ValuesError::new(e, notifications));
        }
    }
    Ok(Prepared {
        chart: c,
        values: Value::Object(values),
        notifications,
    })
}

/// Whether archive `path` (`charts/<name>-<version>.tgz`, as `helm dependency build` names
/// it, or `charts/<name>.tgz`) is the package of chart `name`.
fn archive_of(path: &str, name: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or(path);
    let stem = file.strip_suffix(".tgz").unwrap_or(file);
    stem == name
        || stem
            .strip_prefix(name)
            .and_then(|r| r.strip_prefix('-'))
            .is_some_and(|v| v.starts_with(|c: char| c.is_ascii_digit() || c == 'v'))
}

fn chart_yaml_path(chart: &Chart) -> String {
    if let Some(archive) = &chart.archive {
        return archive.clone();
    }
    if chart.dir.is_empty() {
        "Chart.yaml".into()
    } else {
        format!("{}/Chart.yaml", chart.dir)
    }
}

/// A user's values file (`-f`), read as Helm reads it: its first YAML document, which must
/// be a mapping (or empty); numbers are floats. `path` names the file in errors.
pub fn parse_values_file(path: &str, text: &str) -> Result<Value, LoadError> {
    let err = |line, message: String| LoadError {
        file: path.to_string(),
        line,
        message,
    };
    let node = yaml::parse_first(text).map_err(|e| err(e.line, e.message))?;
    let Some(node) = node else {
        return Ok(Value::Object(serde_json::Map::new()));
    };
    match node.to_json().map_err(|e| err(e.line, e.message))? {
        Value::Null => Ok(Value::Object(serde_json::Map::new())),
        v @ Value::Object(_) => Ok(v),
        other => Err(err(
            Some(node.line),
            format!(
                "a values file must be a mapping of keys to values, not {}",
                yaml::json_kind(&other)
            ),
        )),
    }
}

/// A `--set` expression (`a.b[0].c=v,x=y`) as a values document (Helm's `strvals.Parse`):
/// `true`/`false`/`null` in any case are typed, a decimal integer not starting with `0` is
/// an int64, anything else a string; `\` escapes the next character (`a\.b=1`, `v=a\,b`);
/// `{x,y}` is a list.
pub fn parse_set(expr: &str) -> Result<Value, String> {
    let mut m = serde_json::Map::new();
    strvals::parse_into(expr, &mut m, false)?;
    Ok(Value::Object(m))
}

/// A `--set-string` expression: like [`parse_set`], every value a string.
pub fn parse_set_string(expr: &str) -> Result<Value, String> {
    let mut m = serde_json::Map::new();
    strvals::parse_into(expr, &mut m, true)?;
    Ok(Value::Object(m))
}

/// A `--set` expression parsed into `base` (Helm's `ParseInto`, which `helm template` uses
/// on the merged `-f` values): indexes set items of existing lists, dotted keys go into
/// existing tables. `base` must be an object.
pub fn parse_set_into(expr: &str, base: &mut Value) -> Result<(), String> {
    match base {
        Value::Object(m) => strvals::parse_into(expr, m, false),
        _ => Err("values to set into must be a mapping".into()),
    }
}

/// A `--set-string` expression parsed into `base` (Helm's `ParseIntoString`).
pub fn parse_set_string_into(expr: &str, base: &mut Value) -> Result<(), String> {
    match base {
        Value::Object(m) => strvals::parse_into(expr, m, true),
        _ => Err("values to set into must be a mapping".into()),
    }
}

#[cfg(test)]
#[path = "values_tests.rs"]
mod tests;
