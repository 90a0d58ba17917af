//! The configuration file, `.plumbline.yaml` at the root of the scanned repository or
//! directory (or `--config FILE`; `--no-config` ignores it).
//!
//! Every `scan` flag has a key of the same name in snake_case (`--fail-on` → `fail_on`,
//! `--no-builtin` → `builtin: false`), plus `rules` (`disable`, `only`) and `severity`
//! overrides. The command line wins: a key applies only when its flag was not given on the
//! command line (the command line tells a given flag from its default, and merges the
//! typed [`ScanSettings`] this module returns into its arguments).
//! Relative paths in the file are relative to the file's directory.
//!
//! The file is read from disk, not from the scanned revision: it says how to scan (which
//! revision, which policies), and the same configuration must apply to every revision a job
//! compares. Waivers, which are part of the reviewed content, are read from the revision.
//!
//! Adding a key for a new flag is mechanical: a field in [`Config`] (an `Option<Spanned<_>>`
//! named like the flag's clap id), a field and a line in [`ScanSettings`] and
//! [`Config::scan_settings`], a line in the command line's merge (`cli/settings.rs`), a row
//! in the README's table.

use crate::findings::FailOn;
use crate::findings::ScanResult;
use crate::model::{Severity, Shard};
use crate::policy::PolicySet;
use crate::report::{ColorChoice, Format};
use clap::ValueEnum;
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The configuration file's name, at the root of the scanned repository or directory.
pub const FILE_NAME: &str = ".plumbline.yaml";

/// A problem in the configuration (exit code 2): where, and what to do.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{file}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct ConfigError {
    pub file: String,
    pub line: Option<u32>,
    pub message: String,
}

type Value<T> = Option<Spanned<T>>;

/// The values of one chart under `helm_charts`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HelmChartConfig {
    /// Values files, as `helm template -f` (paths inside the repository).
    #[serde(default)]
    pub values: Vec<String>,
    /// `key=value` in Helm's `--set` syntax, applied after the files.
    #[serde(default)]
    pub set: Vec<String>,
}

/// `.plumbline.yaml`. Every field is optional; a missing key leaves the flag's default.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `--rev`
    pub rev: Value<String>,
    /// `--worktree`
    pub worktree: Value<bool>,
    /// `--include` (a list; the command line's list replaces it)
    pub include: Value<Vec<String>>,
    /// `--exclude`
    pub exclude: Value<Vec<String>>,
    /// `--policy` (a list of directories or files)
    pub policy: Value<Vec<String>>,
    /// `builtin: false` is `--no-builtin`
    pub builtin: Value<bool>,
    /// `--rego-v0`
    pub rego_v0: Value<bool>,
    /// `--policy-timeout` (seconds)
    pub policy_timeout: Value<f64>,
    /// `--max-file-size` (`50M`, or bytes)
    pub max_file_size: Value<String>,
    /// `--var-file` (a list; paths as on the command line: in the scanned tree, else on disk)
    pub var_files: Value<Vec<String>>,
    /// `--var` (a map of Terraform variable name to value; the command line's `--var`s are
    /// applied after these)
    pub vars: Value<BTreeMap<String, serde_json::Value>>,
    /// `--helm-values` (a list of values files every chart renders with; paths as on the
    /// command line)
    pub helm_values: Value<Vec<String>>,
    /// `--helm-set` (a list of `key=value` in Helm's `--set` syntax)
    pub helm_set: Value<Vec<String>>,
    /// Values for one Helm chart, by its directory: `{charts/web: {values: [...], set:
    /// [...]}}` (no flag: applied after `helm_values` and `helm_set`)
    pub helm_charts: Value<BTreeMap<String, HelmChartConfig>>,
    /// `--download-modules` (operator only: it reaches the network)
    pub download_modules: Value<bool>,
    /// `--module-cache` (operator only; relative to the file's directory)
    pub module_cache: Value<String>,
    /// `--module-timeout` (seconds; operator only)
    pub module_timeout: Value<f64>,
    /// `--pss-version` (`latest` or `v1.N`)
    pub pss_version: Value<String>,
    /// `--pss-level` (`baseline` or `restricted`)
    pub pss_level: Value<String>,
    /// `--pss-admission-config` (operator only: it decides which namespaces, users and
    /// runtime classes are exempt; relative to the file's directory)
    pub pss_admission_config: Value<String>,
    /// `--format`
    pub format: Value<String>,
    /// `--output`
    pub output: Value<String>,
    /// `--fail-on`
    pub fail_on: Value<String>,
    /// `--category`
    pub category: Value<String>,
    /// `--color`
    pub color: Value<String>,
    /// `--timings`
    pub timings: Value<bool>,
    /// `--waivers`
    pub waivers: Value<String>,
    /// Which rules run.
    pub rules: Option<Rules>,
    /// Severity overrides by rule id, applied to findings and to the rule catalog.
    pub severity: Value<BTreeMap<String, Spanned<String>>>,
    /// `--base`
    pub base: Value<String>,
    /// `--show-preexisting`
    pub show_preexisting: Value<bool>,
    /// `--baseline`
    pub baseline: Value<String>,
    /// `--link-base`
    pub link_base: Value<String>,
    /// `--shard` (`I/N`)
    pub shard: Value<String>,
    /// `--quiet`
    pub quiet: Value<bool>,
    /// `--live-snapshot` (relative to the file's directory)
    pub live_snapshot: Value<String>,
    /// `--unmanaged`
    pub unmanaged: Value<bool>,
    /// `--unmanaged-namespace` (a list)
    pub unmanaged_namespace: Value<Vec<String>>,
    /// `--unmanaged-selector`
    pub unmanaged_selector: Value<String>,
    /// `--cluster` (a list of kubeconfig contexts)
    pub clusters: Value<Vec<String>>,
    /// `--kubeconfig` (relative to the file's directory)
    pub kubeconfig: Value<String>,
    /// `--default-namespace`
    pub default_namespace: Value<String>,
    /// Drift rules (`ignore: [...]`), handed to the drift engine as they are written.
    pub drift: Value<serde_json::Value>,
    /// `--tfstate` (a list; local paths relative to the file's directory, `s3://` as written)
    pub tfstate: Value<Vec<String>>,
    /// `--aws-profile`
    pub aws_profile: Value<String>,
    /// `--aws-region` (a list)
    pub aws_regions: Value<Vec<String>>,
    /// `--aws-endpoint-url`
    pub aws_endpoint_url: Value<String>,
    /// `--aws-max-calls`
    pub aws_max_calls: Value<u64>,
    /// `--aws-unmanaged`
    pub aws_unmanaged: Value<bool>,
    /// `--aws-unmanaged-type` (a list)
    pub aws_unmanaged_type: Value<Vec<String>>,
    /// `--aws-unmanaged-tag`
    pub aws_unmanaged_tag: Value<String>,
    /// The `aws:` section (`ignore: [{type, id, arn, tag, reason}]`: AWS resources never
    /// reported as unmanaged), handed to the AWS drift check as written.
    pub aws: Value<serde_json::Value>,
    /// The file this came from (for messages) and its directory (for relative paths).
    #[serde(skip)]
    pub path: PathBuf,
    /// Who wrote the file: the operator (`--config`) or the scanned repository.
    #[serde(skip)]
    pub trust: Trust,
}

/// Who a configuration file speaks for. The scanned repository is untrusted (a merge request
/// from a fork can change its `.plumbline.yaml`): it may say what to scan and which rules
/// apply, but not what the scanner may reach (clusters, cloud accounts, files outside the
/// repository), where it writes, how long it may run, or which revision and baseline its
/// findings are judged against. Those keys belong to the operator: the command line or a
/// file given with `--config`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Trust {
    /// `--config FILE`: every key.
    #[default]
    Operator,
    /// `.plumbline.yaml` found in the scanned repository or directory, whose root (as
    /// canonical path) every path in it must stay inside.
    Repository { root: PathBuf },
}

/// `rules:` — rule ids or globs.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// Rules that do not run.
    #[serde(default)]
    pub disable: Vec<String>,
    /// When given, only these rules run.
    #[serde(default)]
    pub only: Vec<String>,
}

impl Config {
    fn error(&self, line: Option<u32>, message: impl Into<String>) -> ConfigError {
        ConfigError {
            file: self.path.display().to_string(),
            line,
            message: message.into(),
        }
    }

    fn at<T>(&self, v: &Spanned<T>, message: impl Into<String>) -> ConfigError {
        self.error(Some(line_of(v)), message)
    }

    fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }

    /// A path from the file, relative to the file's directory.
    fn resolve(&self, p: &str) -> PathBuf {
        let p = Path::new(p);
        if p.is_absolute() || self.dir().as_os_str().is_empty() {
            p.to_path_buf()
        } else {
            self.dir().join(p)
        }
    }

    /// The keys set in this file that only an operator may set, with their lines, in the
    /// order they are written.
    pub fn operator_only_keys(&self) -> Vec<(&'static str, u32)> {
        let mut out = Vec::new();
        macro_rules! key {
            ($($k:ident),* $(,)?) => {
                $(if let Some(v) = &self.$k {
                    out.push((stringify!($k), line_of(v)));
                })*
            };
        }
        key!(
            // Which content is judged, and against what: the operator's gate.
            rev,
            worktree,
            base,
            baseline,
            show_preexisting,
            // Budgets: a repository must not lift them.
            policy_timeout,
            max_file_size,
            // Where the report goes, and what the log shows.
            output,
            color,
            timings,
            quiet,
            link_base,
            shard,
            // What the scanner may reach: clusters, cloud accounts, files outside the tree.
            live_snapshot,
            unmanaged,
            clusters,
            kubeconfig,
            tfstate,
            aws_profile,
            aws_regions,
            aws_endpoint_url,
            aws_max_calls,
            aws_unmanaged,
            // Terraform module downloads: network access, a directory written outside the
            // tree, and how long they may take.
            download_modules,
            module_cache,
            module_timeout,
            // Pod Security admission: exemptions would hide findings.
            pss_admission_config,
        );
        out.sort_by_key(|&(_, line)| line);
        out
    }

    /// A repository's file may set only the keys a repository may set: the others are one
    /// error that names each of them with its line.
    pub fn check_trust(&self) -> Result<(), ConfigError> {
        if self.trust == Trust::Operator {
            return Ok(());
        }
        let denied = self.operator_only_keys();
        let Some(&(_, first)) = denied.first() else {
            return Ok(());
        };
        let list = denied
            .iter()
            .map(|(k, line)| format!("{k} (line {line}, {})", flag_of(k)))
            .collect::<Vec<_>>()
            .join(", ");
        Err(self.error(
            Some(first),
            format!(
                "{list}: a configuration file in the scanned repository may not set {}: \
                 the repository is untrusted (a merge request can change it). Give {} on the \
                 command line, or in an operator's configuration file with --config \
                 (see \"Security model and limits\" in the README)",
                if denied.len() == 1 {
                    "this key"
                } else {
                    "these keys"
                },
                if denied.len() == 1 { "it" } else { "them" },
            ),
        ))
    }

    /// A path written in the file, for a key a repository may set: relative to the file's
    /// directory, and for a repository's file, inside the repository (also after following
    /// symbolic links).
    fn resolve_inside(
        &self,
        key: &str,
        v: &Spanned<impl Sized>,
        p: &str,
    ) -> Result<PathBuf, ConfigError> {
        let resolved = self.resolve(p);
        let Trust::Repository { root } = &self.trust else {
            return Ok(resolved);
        };
        let outside = || {
            self.at(
                v,
                format!(
                    "{key}: {:?} is outside the scanned repository; a configuration file in \
                     the repository may only name files inside it (an operator can name \
                     others on the command line or with --config)",
                    crate::bounded::excerpt(p)
                ),
            )
        };
        if Path::new(p).is_absolute() {
            return Err(outside());
        }
        // Lexically first (`a/../../x`), then where the links lead, when it exists.
        let mut depth: i64 = 0;
        for c in Path::new(p).components() {
            match c {
                std::path::Component::ParentDir => depth -= 1,
                std::path::Component::Normal(_) => depth += 1,
                _ => {}
            }
            if depth < 0 {
                return Err(outside());
            }
        }
        match std::fs::canonicalize(&resolved) {
            Ok(real) if !real.starts_with(root) => Err(outside()),
            Ok(real) if real.is_dir() => match link_leaving(&real, root) {
                // A policy directory is read whole: no link in it may lead out either.
                Some(link) => Err(self.at(
                    v,
                    format!(
                        "{key}: {:?} holds a symbolic link to a file outside the scanned \
                         repository ({:?}); a configuration file in the repository may only \
                         name files inside it",
                        crate::bounded::excerpt(p),
                        crate::bounded::excerpt(&link.display().to_string())
                    ),
                )),
                None => Ok(resolved),
            },
            _ => Ok(resolved),
        }
    }

    /// `rules.disable` / `rules.only`: drops the packages that must not run.
    pub fn select_rules(&self, policies: &mut PolicySet) -> Result<(), ConfigError> {
        let Some(rules) = &self.rules else {
            return Ok(());
        };
        let globs = |list: &[String]| -> Result<Vec<globset::GlobMatcher>, ConfigError> {
            list.iter()
                .map(|r| crate::triage::waiver::rule_matcher(r).map_err(|e| self.error(None, e)))
                .collect()
        };
        let only = globs(&rules.only)?;
        let disable = globs(&rules.disable)?;
        policies.packages.retain(|p| {
            let id = p.meta.id.as_str();
            (only.is_empty() || only.iter().any(|g| g.is_match(id)))
                && !disable.iter().any(|g| g.is_match(id))
        });
        Ok(())
    }

    /// The `aws:` section as JSON text, and where it was written (`file:line`).
    pub fn aws_section(&self) -> Option<(String, String)> {
        let d = self.aws.as_ref()?;
        Some((
            serde_json::to_string(&d.value).expect("JSON"),
            format!("{}:{}", self.path.display(), line_of(d)),
        ))
    }

    /// The `drift:` section as text for the drift rules, and where it was written
    /// (`file:line`), when there is one.
    pub fn drift_rules(&self) -> Option<(String, String)> {
        let d = self.drift.as_ref()?;
        Some((
            serde_json::to_string(&d.value).expect("JSON"),
            format!("{}:{}", self.path.display(), line_of(d)),
        ))
    }

    /// Checks the `severity` overrides and returns them by rule id.
    pub fn severity_overrides(&self) -> Result<BTreeMap<String, Severity>, ConfigError> {
        let mut out = BTreeMap::new();
        if let Some(map) = &self.severity {
            for (id, v) in &map.value {
                let s = Severity::parse(&v.value).ok_or_else(|| {
                    self.at(
                        v,
                        format!(
                            "severity of {id}: {:?} is not a severity; use CRITICAL, HIGH, \
                             MEDIUM, LOW or INFO",
                            v.value
                        ),
                    )
                })?;
                out.insert(id.clone(), s);
            }
        }
        Ok(out)
    }
}

/// Applies severity overrides to the findings and to the rule catalog of a result.
pub fn override_severity(overrides: &BTreeMap<String, Severity>, result: &mut ScanResult) {
    if overrides.is_empty() {
        return;
    }
    for f in &mut result.findings {
        if let Some(s) = overrides.get(&f.rule_id) {
            f.severity = *s;
        }
    }
    for r in &mut result.rules {
        if let Some(s) = overrides.get(&r.id) {
            r.severity = *s;
        }
    }
}

fn line_of<T>(v: &Spanned<T>) -> u32 {
    u32::try_from(v.referenced.line()).unwrap_or(u32::MAX)
}

/// The configuration file of a scan: `--config FILE`, else `.plumbline.yaml` at the root of
/// the repository containing PATH (or of the directory PATH, or of the current directory
/// for stdin). `None` with `--no-config` or when there is none.
pub fn for_scan(
    path: &str,
    config: Option<&Path>,
    no_config: bool,
) -> Result<Option<Config>, ConfigError> {
    if no_config {
        return Ok(None);
    }
    if let Some(path) = config {
        return load(path).map(Some);
    }
    let target = if path == "-" {
        Path::new(".")
    } else {
        Path::new(path)
    };
    let root = match crate::source::git::discover(target) {
        Some(located) => located.root,
        // A file, or a FIFO or device (refused by the scan, by name): not a directory.
        None if target.exists() && !target.is_dir() => target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf(),
        None => target.to_path_buf(),
    };
    let path = if root == Path::new(".") {
        PathBuf::from(FILE_NAME)
    } else {
        root.join(FILE_NAME)
    };
    let shown = path.display().to_string();
    let refuse = |message: String| ConfigError {
        file: shown.clone(),
        line: None,
        message,
    };
    // A link is followed only to a file inside the repository: a dangling or looping link,
    // or one leading out of the tree, is an error, never silently no configuration.
    let meta = match std::fs::symlink_metadata(&path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(refuse(format!("cannot read the configuration file: {e}"))),
    };
    let canonical_root = std::fs::canonicalize(&root)
        .map_err(|e| refuse(format!("cannot resolve the repository root: {e}")))?;
    if meta.file_type().is_symlink() {
        let real = std::fs::canonicalize(&path).map_err(|e| {
            refuse(format!(
                "the configuration file is a symbolic link that cannot be followed ({e}): \
                 it is dangling or part of a loop; fix or remove the link"
            ))
        })?;
        if !real.starts_with(&canonical_root) {
            return Err(refuse(
                "the configuration file is a symbolic link to a file outside the scanned \
                 repository; a repository's configuration must be inside it (an operator's \
                 configuration is given with --config)"
                    .to_string(),
            ));
        }
    }
    if std::fs::metadata(&path).is_ok_and(|m| !m.is_file()) {
        return Err(refuse(
            "the configuration file is not a regular file; remove it or give --no-config".into(),
        ));
    }
    let mut config = load(&path)?;
    config.trust = Trust::Repository {
        root: canonical_root,
    };
    Ok(Some(config))
}

/// Reads and checks a configuration file.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let shown = path.display().to_string();
    let text = crate::bounded::read_to_string(path, crate::bounded::CONFIG_BYTES).map_err(|e| {
        ConfigError {
            file: shown.clone(),
            line: None,
            message: format!("cannot read the configuration file: {e}"),
        }
    })?;
    let config: Option<Config> = serde_saphyr::from_str(&text).map_err(|e| {
        let (line, mut message) = crate::load::yaml_error(&e);
        if message.contains("unknown field") {
            message.push_str(" (see \"Configuration file\" in the README)");
        }
        ConfigError {
            file: shown.clone(),
            line,
            message,
        }
    })?;
    let mut config = config.unwrap_or_default();
    config.path = path.to_path_buf();
    config.severity_overrides()?;
    Ok(config)
}

/// The scan settings of a configuration file, checked and converted to the values the
/// command line's flags take. A field is set when the file gives the key and the flag was not
/// given on the command line (the command line wins); the command line copies the set ones
/// into its arguments. `vars` always apply, before the command line's `--var`s.
#[derive(Debug, Default)]
pub struct ScanSettings {
    pub rev: Option<String>,
    pub worktree: Option<bool>,
    pub include: Option<Vec<String>>,
    pub exclude: Option<Vec<String>>,
    pub policy: Option<Vec<PathBuf>>,
    pub no_builtin: Option<bool>,
    pub rego_v0: Option<bool>,
    pub policy_timeout: Option<f64>,
    pub max_file_size: Option<u64>,
    pub var_files: Option<Vec<String>>,
    /// Terraform variables of the file, as `--var NAME=VALUE` texts.
    pub vars: Vec<(String, String)>,
    pub helm_values: Option<Vec<String>>,
    pub helm_set: Option<Vec<String>>,
    pub helm_charts: Option<BTreeMap<String, crate::load::ChartValues>>,
    pub download_modules: Option<bool>,
    pub module_cache: Option<PathBuf>,
    pub module_timeout: Option<f64>,
    pub pss_version: Option<crate::policy::pss::Version>,
    pub pss_level: Option<crate::policy::pss::Level>,
    pub pss_admission_config: Option<PathBuf>,
    pub format: Option<Format>,
    pub output: Option<PathBuf>,
    pub fail_on: Option<FailOn>,
    pub category: Option<String>,
    pub color: Option<ColorChoice>,
    pub timings: Option<bool>,
    pub waivers: Option<PathBuf>,
    pub base: Option<String>,
    pub baseline: Option<PathBuf>,
    pub show_preexisting: Option<bool>,
    pub link_base: Option<String>,
    pub shard: Option<Shard>,
    pub quiet: Option<bool>,
    pub live_snapshot: Option<PathBuf>,
    pub unmanaged: Option<bool>,
    pub unmanaged_namespace: Option<Vec<String>>,
    pub unmanaged_selector: Option<String>,
    pub clusters: Option<Vec<String>>,
    pub kubeconfig: Option<PathBuf>,
    pub default_namespace: Option<String>,
    pub tfstates: Option<Vec<String>>,
    pub aws_profile: Option<String>,
    pub aws_regions: Option<Vec<String>>,
    pub aws_endpoint_url: Option<String>,
    pub aws_max_calls: Option<u64>,
    pub aws_unmanaged: Option<bool>,
    pub aws_unmanaged_type: Option<Vec<String>>,
    pub aws_unmanaged_tag: Option<String>,
}

impl Config {
    /// The file's scan settings, each checked and converted; `given(id)` says whether the
    /// flag with clap id `id` was given on the command line (its key then does not apply).
    /// An error names the key's line.
    pub fn scan_settings(&self, given: impl Fn(&str) -> bool) -> Result<ScanSettings, ConfigError> {
        self.check_trust()?;
        let config = self;
        let mut out = ScanSettings::default();
        // One line per key: (config value, clap id of the flag) → how to convert it.
        macro_rules! set {
            ($key:ident, $id:literal, $field:ident, |$v:ident| $conv:expr) => {
                if let Some(spanned) = &config.$key {
                    if !given($id) {
                        let $v = &spanned.value;
                        #[allow(clippy::redundant_closure_call)]
                        let converted: Result<_, String> = (|| $conv)();
                        match converted {
                            Ok(value) => out.$field = Some(value),
                            Err(m) => {
                                return Err(config.at(spanned, format!("{}: {m}", stringify!($key))))
                            }
                        }
                    }
                }
            };
        }
        set!(rev, "rev", rev, |v| Ok(v.clone()));
        // `--rev` on the command line asks for a revision: the file's `worktree` yields.
        if !given("rev") {
            set!(worktree, "worktree", worktree, |v| Ok(*v));
        }
        set!(include, "include", include, |v| Ok(v.clone()));
        set!(exclude, "exclude", exclude, |v| Ok(v.clone()));
        if let Some(spanned) = &config.policy {
            if !given("policy") {
                out.policy = Some(
                    spanned
                        .value
                        .iter()
                        .map(|p| config.resolve_inside("policy", spanned, p))
                        .collect::<Result<_, _>>()?,
                );
            }
        }
        set!(builtin, "no_builtin", no_builtin, |v| Ok(!*v));
        set!(rego_v0, "rego_v0", rego_v0, |v| Ok(*v));
        set!(policy_timeout, "policy_timeout", policy_timeout, |v| Ok(*v));
        set!(max_file_size, "max_file_size", max_file_size, |v| {
            crate::bounded::parse_size(v)
        });
        if let Some(spanned) = &config.var_files {
            if !given("var_files") {
                // Paths as on the command line (in the scanned tree, else on disk); a
                // repository's file may name only files inside the repository.
                for p in &spanned.value {
                    config.resolve_inside("var_files", spanned, p)?;
                }
                out.var_files = Some(spanned.value.clone());
            }
        }
        if let Some(spanned) = &config.helm_values {
            if !given("helm_values") {
                for p in &spanned.value {
                    config.resolve_inside("helm_values", spanned, p)?;
                }
                out.helm_values = Some(spanned.value.clone());
            }
        }
        set!(helm_set, "helm_set", helm_set, |v| {
            for e in v {
                crate::load::helm::values::parse_set(e)?;
            }
            Ok(v.clone())
        });
        if let Some(spanned) = &config.helm_charts {
            let mut charts = BTreeMap::new();
            for (dir, c) in &spanned.value {
                for p in &c.values {
                    config.resolve_inside("helm_charts", spanned, p)?;
                }
                for e in &c.set {
                    crate::load::helm::values::parse_set(e).map_err(|m| {
                        config.at(spanned, format!("helm_charts: {dir}: set {e}: {m}"))
                    })?;
                }
                let dir = dir.trim_start_matches("./").trim_end_matches('/');
                charts.insert(
                    dir.to_string(),
                    crate::load::ChartValues {
                        values: c.values.clone(),
                        set: c.set.clone(),
                    },
                );
            }
            out.helm_charts = Some(charts);
        }
        // Variables of the file come first, so a `--var` on the command line wins, as the
        // last value does in Terraform.
        if let Some(vars) = &config.vars {
            out.vars = vars
                .value
                .iter()
                .map(|(k, v)| {
                    // Strings as they are; numbers, bools, lists and maps as literals, which
                    // the Terraform loader parses as `--var` values.
                    let text = match v {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    (k.clone(), text)
                })
                .collect();
        }
        // An `--output` on the command line implies its format: the file's `format` yields.
        if !given("output") {
            set!(format, "format", format, |v| {
                Format::from_str(v, true)
                    .map_err(|_| format!("{v:?} is not a format: use {}", names::<Format>()))
            });
        }
        set!(output, "output", output, |v| Ok(config.resolve(v)));
        set!(fail_on, "fail_on", fail_on, |v| v.parse::<FailOn>());
        set!(category, "category", category, |v| Ok(v.clone()));
        set!(color, "color", color, |v| {
            ColorChoice::from_str(v, true).map_err(|_| {
                format!(
                    "{v:?} is not a colour choice: use {}",
                    names::<ColorChoice>()
                )
            })
        });
        set!(timings, "timings", timings, |v| Ok(*v));
        set!(
            download_modules,
            "download_modules",
            download_modules,
            |v| Ok(*v)
        );
        set!(module_cache, "module_cache", module_cache, |v| Ok(
            config.resolve(v)
        ));
        set!(module_timeout, "module_timeout", module_timeout, |v| Ok(*v));
        set!(pss_version, "pss_version", pss_version, |v| {
            crate::policy::pss::Version::parse(v)
        });
        set!(pss_level, "pss_level", pss_level, |v| {
            match crate::policy::pss::Level::parse(v)? {
                crate::policy::pss::Level::Privileged => {
                    Err("privileged checks nothing: use baseline or restricted".to_string())
                }
                level => Ok(level),
            }
        });
        set!(
            pss_admission_config,
            "pss_admission_config",
            pss_admission_config,
            |v| Ok(config.resolve(v))
        );
        if let Some(spanned) = &config.waivers {
            if !given("waivers") {
                out.waivers = Some(config.resolve_inside("waivers", spanned, &spanned.value)?);
            }
        }
        // `--base` and `--baseline` exclude each other: one given on the command line silences
        // the other in the file, and the file cannot give both.
        if let (Some(base), Some(_)) = (&config.base, &config.baseline) {
            if !given("base") && !given("baseline") {
                return Err(config.at(
                    base,
                    "base and baseline cannot both be given: compare with a Git revision (base) \
                     or with an earlier report (baseline)",
                ));
            }
        }
        if !given("baseline") {
            set!(base, "base", base, |v| Ok(v.clone()));
        }
        if !given("base") {
            set!(baseline, "baseline", baseline, |v| Ok(config.resolve(v)));
        }
        set!(
            show_preexisting,
            "show_preexisting",
            show_preexisting,
            |v| Ok(*v)
        );
        // The command line's `--show-preexisting` requires its `--base`; the file's needs a
        // base from the file or the command line.
        if out.show_preexisting == Some(true) && out.base.is_none() && !given("base") {
            if let Some(v) = &config.show_preexisting {
                return Err(config.at(
                    v,
                    "show_preexisting needs base (a merge base to compare with)",
                ));
            }
        }
        set!(link_base, "link_base", link_base, |v| Ok(v.clone()));
        set!(shard, "shard", shard, |v| v.parse::<Shard>());
        set!(quiet, "quiet", quiet, |v| Ok(*v));
        set!(live_snapshot, "live_snapshot", live_snapshot, |v| Ok(
            config.resolve(v)
        ));
        set!(unmanaged, "unmanaged", unmanaged, |v| Ok(*v));
        set!(
            unmanaged_namespace,
            "unmanaged_namespace",
            unmanaged_namespace,
            |v| Ok(v.clone())
        );
        set!(
            unmanaged_selector,
            "unmanaged_selector",
            unmanaged_selector,
            |v| {
                crate::drift::check::Unmanaged::parse_selector(v)?;
                Ok(v.clone())
            }
        );
        set!(clusters, "clusters", clusters, |v| Ok(v.clone()));
        set!(kubeconfig, "kubeconfig", kubeconfig, |v| Ok(
            config.resolve(v)
        ));
        set!(
            default_namespace,
            "default_namespace",
            default_namespace,
            |v| Ok(v.clone())
        );
        set!(tfstate, "tfstates", tfstates, |v| {
            Ok(v.iter()
                .map(|p| {
                    if p.starts_with("s3://") {
                        p.clone()
                    } else {
                        config.resolve(p).display().to_string()
                    }
                })
                .collect())
        });
        set!(aws_profile, "aws_profile", aws_profile, |v| Ok(v.clone()));
        set!(aws_regions, "aws_regions", aws_regions, |v| Ok(v.clone()));
        set!(
            aws_endpoint_url,
            "aws_endpoint_url",
            aws_endpoint_url,
            |v| Ok(v.clone())
        );
        set!(aws_max_calls, "aws_max_calls", aws_max_calls, |v| Ok(*v));
        set!(aws_unmanaged, "aws_unmanaged", aws_unmanaged, |v| Ok(*v));
        set!(
            aws_unmanaged_type,
            "aws_unmanaged_type",
            aws_unmanaged_type,
            |v| Ok(v.clone())
        );
        set!(
            aws_unmanaged_tag,
            "aws_unmanaged_tag",
            aws_unmanaged_tag,
            |v| {
                crate::drift::check::Unmanaged::parse_selector(v)?;
                Ok(v.clone())
            }
        );
        Ok(out)
    }
}

/// The first entry under `dir` (a canonical directory inside `root`) that is a symbolic link
/// leading outside `root`, or that cannot be followed; the walk is bounded in entries.
fn link_leaving(dir: &Path, root: &Path) -> Option<PathBuf> {
    const MAX_ENTRIES: usize = 100_000;
    let mut stack = vec![dir.to_path_buf()];
    let mut seen = 0;
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            seen += 1;
            if seen > MAX_ENTRIES {
                return None;
            }
            let p = e.path();
            let Ok(kind) = e.file_type() else { continue };
            if kind.is_symlink() {
                match std::fs::canonicalize(&p) {
                    Ok(real) if real.starts_with(root) => {}
                    _ => return Some(p),
                }
            } else if kind.is_dir() {
                stack.push(p);
            }
        }
    }
    None
}

/// The command-line flag of a configuration key, for messages.
fn flag_of(key: &str) -> String {
    match key {
        "clusters" => "--cluster".to_string(),
        "aws_regions" => "--aws-region".to_string(),
        "tfstate" => "--tfstate".to_string(),
        k => format!("--{}", k.replace('_', "-")),
    }
}

/// The accepted values of a clap value enum, for messages.
fn names<T: ValueEnum>() -> String {
    T::value_variants()
        .iter()
        .filter_map(|v| v.to_possible_value())
        .map(|p| p.get_name().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
