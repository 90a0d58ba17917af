//! The configuration file, `.plumbline.yaml` at the root of the scanned repository or
//! directory (or `--config FILE`; `--no-config` ignores it).
//!
//! Every `scan` flag has a key of the same name in snake_case (`--fail-on` → `fail_on`,
//! `--no-builtin` → `builtin: false`), plus `rules` (`disable`, `only`) and `severity`
//! overrides. The command line wins: a key applies only when its flag was not given on the
//! command line ([`clap::ArgMatches::value_source`] tells a given flag from its default).
//! Relative paths in the file are relative to the file's directory.
//!
//! The file is read from disk, not from the scanned revision: it says how to scan (which
//! revision, which policies), and the same configuration must apply to every revision a job
//! compares. Waivers, which are part of the reviewed content, are read from the revision.
//!
//! Adding a key for a new flag is mechanical: a field in [`Config`] (an `Option<Spanned<_>>`
//! named like the flag's clap id), a line in [`apply`], a row in the README's table.

use crate::cli::{ColorChoice, ScanArgs};
use crate::findings::FailOn;
use crate::findings::ScanResult;
use crate::model::Severity;
use crate::policy::PolicySet;
use crate::report::Format;
use clap::parser::ValueSource;
use clap::{ArgMatches, ValueEnum};
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
pub fn for_scan(args: &ScanArgs) -> Result<Option<Config>, ConfigError> {
    if args.no_config {
        return Ok(None);
    }
    if let Some(path) = &args.config {
        return load(path).map(Some);
    }
    let target = if args.path == "-" {
        Path::new(".")
    } else {
        Path::new(&args.path)
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

/// Whether the flag with clap id `id` was given on the command line.
fn on_command_line(matches: &ArgMatches, id: &str) -> bool {
    matches.value_source(id) == Some(ValueSource::CommandLine)
}

/// Fills `args` from `config` wherever the flag was not given on the command line.
pub fn apply(
    config: &Config,
    matches: &ArgMatches,
    args: &mut ScanArgs,
) -> Result<(), ConfigError> {
    config.check_trust()?;
    let cli = |id: &str| on_command_line(matches, id);
    // One line per key: (config value, clap id of the flag) → how to set the argument.
    macro_rules! set {
        ($key:ident, $id:literal, |$v:ident| $conv:expr) => {
            if let Some(spanned) = &config.$key {
                if !cli($id) {
                    let $v = &spanned.value;
                    #[allow(clippy::redundant_closure_call)]
                    let converted: Result<_, String> = (|| $conv)();
                    match converted {
                        Ok(()) => {}
                        Err(m) => {
                            return Err(config.at(spanned, format!("{}: {m}", stringify!($key))))
                        }
                    }
                }
            }
        };
    }
    set!(rev, "rev", |v| {
        args.rev = v.clone();
        Ok(())
    });
    // `--rev` on the command line asks for a revision: the file's `worktree` yields.
    if !cli("rev") {
        set!(worktree, "worktree", |v| {
            args.worktree = *v;
            Ok(())
        });
    }
    set!(include, "include", |v| {
        args.include = v.clone();
        Ok(())
    });
    set!(exclude, "exclude", |v| {
        args.exclude = v.clone();
        Ok(())
    });
    if let Some(spanned) = &config.policy {
        if !cli("policy") {
            args.policies.policy = spanned
                .value
                .iter()
                .map(|p| config.resolve_inside("policy", spanned, p))
                .collect::<Result<_, _>>()?;
        }
    }
    set!(builtin, "no_builtin", |v| {
        args.policies.no_builtin = !*v;
        Ok(())
    });
    set!(rego_v0, "rego_v0", |v| {
        args.policies.rego_v0 = *v;
        Ok(())
    });
    set!(policy_timeout, "policy_timeout", |v| {
        args.policy_timeout = *v;
        Ok(())
    });
    set!(max_file_size, "max_file_size", |v| {
        args.max_file_size = crate::cli::parse_size(v)?;
        Ok(())
    });
    if let Some(spanned) = &config.var_files {
        if !cli("var_files") {
            // Paths as on the command line (in the scanned tree, else on disk); a
            // repository's file may name only files inside the repository.
            for p in &spanned.value {
                config.resolve_inside("var_files", spanned, p)?;
            }
            args.var_files = spanned.value.clone();
        }
    }
    // Variables of the file come first, so a `--var` on the command line wins, as the
    // last value does in Terraform.
    if let Some(vars) = &config.vars {
        let mut all: Vec<(String, String)> = vars
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
        all.append(&mut args.vars);
        args.vars = all;
    }
    // An `--output` on the command line implies its format: the file's `format` yields.
    if !cli("output") {
        set!(format, "format", |v| {
            args.format = Some(
                Format::from_str(v, true)
                    .map_err(|_| format!("{v:?} is not a format: use {}", names::<Format>()))?,
            );
            Ok(())
        });
    }
    set!(output, "output", |v| {
        args.output = Some(config.resolve(v));
        Ok(())
    });
    set!(fail_on, "fail_on", |v| {
        args.fail_on = v.parse::<FailOn>()?;
        Ok(())
    });
    set!(category, "category", |v| {
        args.category = v.clone();
        Ok(())
    });
    set!(color, "color", |v| {
        args.color = ColorChoice::from_str(v, true).map_err(|_| {
            format!(
                "{v:?} is not a colour choice: use {}",
                names::<ColorChoice>()
            )
        })?;
        Ok(())
    });
    set!(timings, "timings", |v| {
        args.timings = *v;
        Ok(())
    });
    if let Some(spanned) = &config.waivers {
        if !cli("waivers") {
            args.waivers = Some(config.resolve_inside("waivers", spanned, &spanned.value)?);
        }
    }
    // `--base` and `--baseline` exclude each other: one given on the command line silences
    // the other in the file, and the file cannot give both.
    if let (Some(base), Some(_)) = (&config.base, &config.baseline) {
        if !cli("base") && !cli("baseline") {
            return Err(config.at(
                base,
                "base and baseline cannot both be given: compare with a Git revision (base) \
                 or with an earlier report (baseline)",
            ));
        }
    }
    if !cli("baseline") {
        set!(base, "base", |v| {
            args.base = Some(v.clone());
            Ok(())
        });
    }
    if !cli("base") {
        set!(baseline, "baseline", |v| {
            args.baseline = Some(config.resolve(v));
            Ok(())
        });
    }
    set!(show_preexisting, "show_preexisting", |v| {
        args.show_preexisting = *v;
        Ok(())
    });
    if args.show_preexisting && args.base.is_none() {
        if let Some(v) = &config.show_preexisting {
            return Err(config.at(
                v,
                "show_preexisting needs base (a merge base to compare with)",
            ));
        }
    }
    set!(link_base, "link_base", |v| {
        args.link_base = Some(v.clone());
        Ok(())
    });
    set!(shard, "shard", |v| {
        args.shard = Some(v.parse()?);
        Ok(())
    });
    set!(quiet, "quiet", |v| {
        args.quiet = *v;
        Ok(())
    });
    set!(live_snapshot, "live_snapshot", |v| {
        args.live_snapshot = Some(config.resolve(v));
        Ok(())
    });
    set!(unmanaged, "unmanaged", |v| {
        args.unmanaged = *v;
        Ok(())
    });
    set!(unmanaged_namespace, "unmanaged_namespace", |v| {
        args.unmanaged_namespace = v.clone();
        Ok(())
    });
    set!(unmanaged_selector, "unmanaged_selector", |v| {
        crate::drift::check::Unmanaged::parse_selector(v)?;
        args.unmanaged_selector = Some(v.clone());
        Ok(())
    });
    set!(clusters, "clusters", |v| {
        args.clusters = v.clone();
        Ok(())
    });
    set!(kubeconfig, "kubeconfig", |v| {
        args.kubeconfig = Some(config.resolve(v));
        Ok(())
    });
    set!(default_namespace, "default_namespace", |v| {
        args.default_namespace = Some(v.clone());
        Ok(())
    });
    set!(tfstate, "tfstates", |v| {
        args.aws.tfstates = v
            .iter()
            .map(|p| {
                if p.starts_with("s3://") {
                    p.clone()
                } else {
                    config.resolve(p).display().to_string()
                }
            })
            .collect();
        Ok(())
    });
    set!(aws_profile, "aws_profile", |v| {
        args.aws.aws_profile = Some(v.clone());
        Ok(())
    });
    set!(aws_regions, "aws_regions", |v| {
        args.aws.aws_regions = v.clone();
        Ok(())
    });
    set!(aws_endpoint_url, "aws_endpoint_url", |v| {
        args.aws.aws_endpoint_url = Some(v.clone());
        Ok(())
    });
    set!(aws_max_calls, "aws_max_calls", |v| {
        args.aws.aws_max_calls = *v;
        Ok(())
    });
    set!(aws_unmanaged, "aws_unmanaged", |v| {
        args.aws.aws_unmanaged = *v;
        Ok(())
    });
    set!(aws_unmanaged_type, "aws_unmanaged_type", |v| {
        args.aws.aws_unmanaged_type = v.clone();
        Ok(())
    });
    set!(aws_unmanaged_tag, "aws_unmanaged_tag", |v| {
        crate::drift::check::Unmanaged::parse_selector(v)?;
        args.aws.aws_unmanaged_tag = Some(v.clone());
        Ok(())
    });
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::{CommandFactory, FromArgMatches};

    fn scan_args(argv: &[&str]) -> (ScanArgs, ArgMatches) {
        let matches = Cli::command()
            .try_get_matches_from(argv)
            .expect("valid arguments");
        let cli = Cli::from_arg_matches(&matches).unwrap();
        let Command::Scan(args) = cli.command else {
            panic!("not scan")
        };
        let sub = matches.subcommand_matches("scan").unwrap().clone();
        (*args, sub)
    }

    fn config(text: &str) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(FILE_NAME);
        std::fs::write(&p, text).unwrap();
        load(&p)
    }

    #[test]
    fn every_key_has_a_flag() {
        let (_, m) = scan_args(&["plumbline", "scan"]);
        for id in [
            "rev",
            "worktree",
            "include",
            "exclude",
            "policy",
            "no_builtin",
            "rego_v0",
            "policy_timeout",
            "max_file_size",
            "var_files",
            "vars",
            "format",
            "output",
            "fail_on",
            "category",
            "color",
            "timings",
            "waivers",
            "base",
            "show_preexisting",
            "baseline",
            "link_base",
            "shard",
            "quiet",
            "live_snapshot",
            "unmanaged",
            "unmanaged_namespace",
            "unmanaged_selector",
            "clusters",
            "kubeconfig",
            "default_namespace",
            "tfstates",
            "aws_profile",
            "aws_regions",
            "aws_endpoint_url",
            "aws_max_calls",
            "aws_unmanaged",
            "aws_unmanaged_type",
            "aws_unmanaged_tag",
        ] {
            assert!(
                m.try_contains_id(id).is_ok(),
                "config key mapped to unknown flag id {id}"
            );
        }
    }

    #[test]
    fn the_command_line_wins() {
        let c =
            config("fail_on: never\ncategory: k8s\nmax_file_size: 1K\nbuiltin: false\n").unwrap();
        let tf =
            config("var_files: [env/prod.tfvars]\nvars:\n  region: eu-west-1\n  replicas: 3\n")
                .unwrap();
        let (mut tf_args, tf_m) = scan_args(&["plumbline", "scan", "--var", "region=us-east-1"]);
        apply(&tf, &tf_m, &mut tf_args).unwrap();
        assert!(
            tf_args.var_files[0].ends_with("env/prod.tfvars"),
            "{:?}",
            tf_args.var_files
        );
        assert_eq!(
            tf_args.vars,
            [
                ("region".to_string(), "eu-west-1".to_string()),
                ("replicas".to_string(), "3".to_string()),
                ("region".to_string(), "us-east-1".to_string()),
            ],
            "the file's variables first, the command line's last (it wins)"
        );
        let (mut args, m) = scan_args(&["plumbline", "scan", "--fail-on", "low"]);
        apply(&c, &m, &mut args).unwrap();
        assert_eq!(args.fail_on, FailOn::Severity(Severity::Low));
        assert_eq!(args.category, "k8s");
        assert_eq!(args.max_file_size, 1024);
        assert!(args.policies.no_builtin);
    }

    #[test]
    fn bad_values_name_their_line() {
        let c = config("category: x\nfail_on: sometimes\n").unwrap();
        let (mut args, m) = scan_args(&["plumbline", "scan"]);
        let e = apply(&c, &m, &mut args).unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        assert!(e.message.starts_with("fail_on:"), "{e}");
        let e = config("severity:\n  PL-1: SEVERE\n").unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        let e = config("category: x\nfail-on: high\n").unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        assert!(e.message.contains("fail_on"), "lists the valid keys: {e}");
        let e = config("rules:\n  disabled: [X]\n").unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
    }

    #[test]
    fn shard_and_quiet_keys() {
        let c = config("shard: 2/4\nquiet: true\n").unwrap();
        let (mut args, m) = scan_args(&["plumbline", "scan"]);
        apply(&c, &m, &mut args).unwrap();
        assert_eq!(args.shard.map(|s| s.to_string()).as_deref(), Some("2/4"));
        assert!(args.quiet);
        // The command line wins.
        let (mut args, m) = scan_args(&["plumbline", "scan", "--shard", "1/4"]);
        apply(&c, &m, &mut args).unwrap();
        assert_eq!(args.shard.map(|s| s.to_string()).as_deref(), Some("1/4"));
        // A bad shard names its line.
        let c = config("category: x\nshard: 5/4\n").unwrap();
        let (mut args, m) = scan_args(&["plumbline", "scan"]);
        let e = apply(&c, &m, &mut args).unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        assert!(e.message.starts_with("shard:"), "{e}");
    }

    #[test]
    fn drift_keys() {
        let c = config(
            "live_snapshot: snaps/prod.json\nunmanaged: true\nunmanaged_namespace: [shop]\n\
             unmanaged_selector: team=web\ndefault_namespace: shop\ndrift:\n  ignore:\n  - \
             {kind: Deployment, path: spec.replicas}\n",
        )
        .unwrap();
        let (mut args, m) = scan_args(&["plumbline", "scan"]);
        apply(&c, &m, &mut args).unwrap();
        let snap = args.live_snapshot.unwrap();
        assert!(snap.is_absolute() && snap.ends_with("snaps/prod.json"));
        assert!(args.unmanaged);
        assert_eq!(args.unmanaged_namespace, ["shop"]);
        assert_eq!(args.unmanaged_selector.as_deref(), Some("team=web"));
        assert_eq!(args.default_namespace.as_deref(), Some("shop"));
        let (text, origin) = c.drift_rules().unwrap();
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["ignore"][0]["path"], "spec.replicas");
        assert!(
            origin.ends_with(".plumbline.yaml:7"),
            "where the section starts: {origin}"
        );
        let (mut args, m) = scan_args(&["plumbline", "scan", "--default-namespace", "cli"]);
        apply(&c, &m, &mut args).unwrap();
        assert_eq!(
            args.default_namespace.as_deref(),
            Some("cli"),
            "the command line wins"
        );
        let c = config("category: x\nunmanaged_selector: team\n").unwrap();
        let (mut args, m) = scan_args(&["plumbline", "scan"]);
        let e = apply(&c, &m, &mut args).unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
    }

    #[test]
    fn gate_keys_apply_and_yield_to_the_command_line() {
        let c = config(
            "base: origin/main\nshow_preexisting: true\nlink_base: https://example.test/b\n",
        )
        .unwrap();
        let (mut args, m) = scan_args(&["plumbline", "scan"]);
        apply(&c, &m, &mut args).unwrap();
        assert_eq!(args.base.as_deref(), Some("origin/main"));
        assert!(args.show_preexisting);
        assert_eq!(args.link_base.as_deref(), Some("https://example.test/b"));

        // --baseline on the command line silences the file's base (they exclude each other).
        let (mut args, m) = scan_args(&["plumbline", "scan", "--baseline", "old.json"]);
        let c = config("base: origin/main\n").unwrap();
        apply(&c, &m, &mut args).unwrap();
        assert_eq!(args.base, None);
        assert_eq!(args.baseline.as_deref(), Some(Path::new("old.json")));

        // The file may not give both.
        let c = config("base: main\nbaseline: old.sarif\n").unwrap();
        let (mut args, m) = scan_args(&["plumbline", "scan"]);
        let e = apply(&c, &m, &mut args).unwrap_err();
        assert_eq!(e.line, Some(1), "{e}");
        // A baseline from the file is relative to the file.
        let c = config("baseline: reports/old.sarif\n").unwrap();
        let (mut args, m) = scan_args(&["plumbline", "scan"]);
        apply(&c, &m, &mut args).unwrap();
        let b = args.baseline.unwrap();
        assert!(
            b.ends_with("reports/old.sarif") && b.is_absolute(),
            "{}",
            b.display()
        );
    }

    /// A repository's `.plumbline.yaml`, found as a scan finds it.
    fn repository_config(text: &str) -> (tempfile::TempDir, Result<Option<Config>, ConfigError>) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE_NAME), text).unwrap();
        let path = dir.path().to_str().unwrap();
        let (args, _) = scan_args(&["plumbline", "scan", path]);
        let c = for_scan(&args);
        (dir, c)
    }

    #[test]
    fn a_repository_may_not_set_operator_keys() {
        let (_d, c) = repository_config(
            "include: ['k8s/**']\nclusters: [prod]\nkubeconfig: kc.yaml\noutput: ../../x\n",
        );
        let c = c.unwrap().unwrap();
        assert!(matches!(c.trust, Trust::Repository { .. }));
        let (mut args, m) = scan_args(&["plumbline", "scan"]);
        let e = apply(&c, &m, &mut args).unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        for key in [
            "clusters (line 2, --cluster)",
            "kubeconfig (line 3, --kubeconfig)",
            "output (line 4, --output)",
        ] {
            assert!(e.message.contains(key), "{key} named: {e}");
        }
        assert!(args.clusters.is_empty() && args.output.is_none());
        // The same keys from an operator's file (--config) apply.
        let op = config("clusters: [prod]\noutput: out.sarif\n").unwrap();
        let (mut args, m) = scan_args(&["plumbline", "scan"]);
        apply(&op, &m, &mut args).unwrap();
        assert_eq!(args.clusters, ["prod"]);
    }

    #[test]
    fn every_operator_key_is_refused_from_a_repository() {
        for (key, value) in [
            ("rev", "HEAD~1"),
            ("base", "HEAD"),
            ("baseline", "old.json"),
            ("policy_timeout", "100000"),
            ("max_file_size", "10G"),
            ("live_snapshot", "s.json"),
            ("tfstate", "[s3://b/k]"),
            ("aws_endpoint_url", "http://127.0.0.1:1"),
            ("aws_profile", "admin"),
            ("quiet", "true"),
            ("shard", "1/2"),
        ] {
            let (_d, c) = repository_config(&format!("{key}: {value}\n"));
            let c = c.unwrap().unwrap();
            let (mut args, m) = scan_args(&["plumbline", "scan"]);
            let e = apply(&c, &m, &mut args).unwrap_err();
            assert!(e.message.starts_with(&format!("{key} (line 1, --")), "{e}");
        }
    }

    #[test]
    fn repository_paths_stay_inside_the_repository() {
        for (key, value) in [
            ("policy", "[/proc/self/environ]"),
            ("policy", "[../outside]"),
            ("var_files", "[/dev/zero]"),
            ("var_files", "[a/../../x.tfvars]"),
            ("waivers", "/etc/passwd"),
        ] {
            let (_d, c) = repository_config(&format!("{key}: {value}\n"));
            let c = c.unwrap().unwrap();
            let (mut args, m) = scan_args(&["plumbline", "scan"]);
            let e = apply(&c, &m, &mut args).unwrap_err();
            assert!(
                e.message.contains("outside the scanned repository"),
                "{key}: {e}"
            );
            assert_eq!(e.line, Some(1));
        }
        // Inside is fine.
        let (d, c) = repository_config("policy: [policies]\nvar_files: [env/prod.tfvars]\n");
        std::fs::create_dir(d.path().join("policies")).unwrap();
        let c = c.unwrap().unwrap();
        let (mut args, m) = scan_args(&["plumbline", "scan"]);
        apply(&c, &m, &mut args).unwrap();
        assert!(args.policies.policy[0].ends_with("policies"));
    }

    #[cfg(unix)]
    #[test]
    fn a_link_leading_out_of_the_repository_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("policies")).unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("policies/ext")).unwrap();
        std::fs::write(dir.path().join(FILE_NAME), "policy: [policies/ext]\n").unwrap();
        let (args0, _) = scan_args(&["plumbline", "scan", dir.path().to_str().unwrap()]);
        let c = for_scan(&args0).unwrap().unwrap();
        let (mut args, m) = scan_args(&["plumbline", "scan"]);
        let e = apply(&c, &m, &mut args).unwrap_err();
        assert!(e.message.contains("outside the scanned repository"), "{e}");
        // A directory inside whose links lead out.
        std::fs::write(dir.path().join(FILE_NAME), "policy: [policies]\n").unwrap();
        let c = for_scan(&args0).unwrap().unwrap();
        let (mut args, m) = scan_args(&["plumbline", "scan"]);
        let e = apply(&c, &m, &mut args).unwrap_err();
        assert!(e.message.contains("holds a symbolic link"), "{e}");

        // The configuration file itself: a link out of the tree, and a dangling link.
        let other = outside.path().join("c.yaml");
        std::fs::write(&other, "include: [x]\n").unwrap();
        std::fs::remove_file(dir.path().join(FILE_NAME)).unwrap();
        std::os::unix::fs::symlink(&other, dir.path().join(FILE_NAME)).unwrap();
        let e = for_scan(&args0).unwrap_err();
        assert!(e.message.contains("outside the scanned repository"), "{e}");
        std::fs::remove_file(dir.path().join(FILE_NAME)).unwrap();
        std::os::unix::fs::symlink(dir.path().join("nowhere"), dir.path().join(FILE_NAME)).unwrap();
        let e = for_scan(&args0).unwrap_err();
        assert!(e.message.contains("dangling"), "{e}");
    }
}
