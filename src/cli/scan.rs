//! `plumbline scan`: the configuration merged under the flags, the options of each stage,
//! the pipeline run, the report written, and the exit code.

use super::args::*;
use super::{fail, fail_lines, policy_settings};
use crate::config;
use crate::findings::{self, exit, ScanResult};
use crate::load::LoadOptions;
use crate::policy::{self, PolicySet};
use crate::progress;
use crate::report::{self, ColorChoice, Format};
use crate::scan::{self, ScanOptions, Target};
use crate::source::PathFilter;
use crate::textsafe;
use crate::triage::{self, waiver};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

pub(super) fn run_scan(mut args: ScanArgs, matches: &clap::ArgMatches) -> i32 {
    let started = std::time::Instant::now();
    let config = match config::for_scan(&args.path, args.config.as_deref(), args.no_config) {
        Ok(c) => c,
        Err(e) => return fail(format!("configuration {e}")),
    };
    let mut severity_overrides = Default::default();
    if let Some(c) = &config {
        if let Err(e) = super::settings::apply(c, matches, &mut args) {
            return fail(format!("configuration {e}"));
        }
        match c.severity_overrides() {
            Ok(o) => severity_overrides = o,
            Err(e) => return fail(format!("configuration {e}")),
        }
    }
    let today = match crate::date::Date::today() {
        Ok(d) => d,
        Err(e) => return fail(e),
    };
    let policies = match policies_for(&args, config.as_ref()) {
        Ok(p) => p,
        Err(code) => return code,
    };
    // Plumbline's own files are configuration, not declared infrastructure.
    let exclude: Vec<String> = args
        .source
        .exclude
        .iter()
        .cloned()
        .chain([config::FILE_NAME.to_string(), ".plumbline".to_string()])
        .collect();
    let filter = match PathFilter::new(&args.source.include, &exclude) {
        Ok(f) => f,
        Err(e) => return fail(e),
    };
    let target = if args.path == "-" {
        match crate::bounded::read_stream(std::io::stdin().lock(), args.max_file_size) {
            Ok(buf) => Target::Stdin(buf),
            Err(e) => {
                return fail(format!(
                    "cannot read standard input: {e} (raise --max-file-size to read more)"
                ))
            }
        }
    } else {
        Target::Path(PathBuf::from(&args.path))
    };
    let snapshot = match args.live_snapshot.as_deref() {
        Some(path) => match crate::drift::snapshot::read_all(path) {
            Ok(s) => Some(s),
            Err(e) => return fail(e),
        },
        None => None,
    };
    let key = snapshot
        .as_ref()
        .map_or_else(crate::drift::secret::HashKey::random, |s| s.key.clone());
    if !args.aws.tfstates.is_empty() && args.shard.is_some() {
        return fail(
            "--tfstate cannot be used with --shard: every shard would compare the whole state; \
             compare with AWS in an unsharded scan",
        );
    }
    if !args.aws.tfstates.is_empty() && args.base.is_some() {
        return fail(
            "--tfstate cannot be used with --base: the gate scans only the changed files, and \
             drift is about every resource in the state; compare with AWS in a scheduled scan, \
             or use --baseline",
        );
    }
    let aws = match crate::cli::aws::setup(
        &args.aws,
        config.as_ref().and_then(config::Config::aws_section),
        (args.path != "-").then(|| std::path::Path::new(&args.path)),
        snapshot.as_ref().map(|s| s.aws.clone()),
        &key,
    ) {
        Ok(a) => a,
        Err(e) => return fail(e),
    };
    let drift = match drift_options(&args, config.as_ref(), snapshot, key, aws.is_some()) {
        Ok(d) => d,
        Err(e) => return fail(e),
    };
    let modules = match args.modules.fetcher() {
        Ok(m) => m,
        Err(e) => return fail(e),
    };
    let opts = ScanOptions {
        target,
        rev: args.source.rev.clone(),
        worktree: args.source.worktree,
        filter,
        load: LoadOptions {
            max_file_bytes: args.max_file_size,
            // Drift compares whole documents: no body may be skipped.
            keep_kinds: if drift.is_some() {
                None
            } else {
                policies.kinds_read().map(std::sync::Arc::new)
            },
            ..LoadOptions::default()
        },
        profile_rules: args.timings,
        waivers: waiver::Options {
            today,
            file: args.waivers.clone(),
            filtered: !(args.source.include.is_empty() && args.source.exclude.is_empty()),
        },
        shard: args.shard,
        iac: crate::load::IacOptions {
            var_files: args.var_files.clone(),
            helm_values: args.helm_values.clone(),
            helm_set: args.helm_set.clone(),
            helm_charts: args.helm_charts.clone(),
            vars: args.vars.clone(),
            skip_related: false,
            modules,
        },
        progress: progress::wanted(args.quiet).then(Default::default),
        drift: drift.map(std::sync::Arc::new),
        aws: aws.map(std::sync::Arc::new),
    };
    let display = opts
        .progress
        .as_ref()
        .map(|c| progress::Display::start(std::sync::Arc::clone(c)));
    let scanned = match &args.base {
        Some(base) => scan::base::scan_against_base(&opts, &policies, base, args.show_preexisting),
        None => scan::run(&opts, &policies),
    };
    // The progress line is erased before anything else is printed.
    if let Some(d) = display {
        d.finish();
    }
    let mut result = match scanned {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    if let Some(file) = &args.baseline {
        if let Err(e) = scan::base::apply_baseline(&mut result, file, &args.category) {
            return fail(e);
        }
    }
    config::override_severity(&severity_overrides, &mut result);
    let gate_summary = triage::summary::render(&result, args.fail_on);
    let format = args
        .format
        .or_else(|| args.output.as_deref().and_then(Format::from_extension))
        .unwrap_or(Format::Text);
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => to_terminal && std::env::var_os("NO_COLOR").is_none(),
    };
    let reporting = std::time::Instant::now();
    let rendered = match render(&result, &args, format, color) {
        Ok(r) => r,
        Err(code) => return code,
    };
    if args.timings {
        textsafe::eprint_block(&timings(
            &result.stats,
            reporting.elapsed(),
            started.elapsed(),
        ));
    }
    if let Err(code) = deliver(&result, &args, &rendered, format, gate_summary.as_deref()) {
        return code;
    }
    findings::exit_code(&result.findings, result.incomplete(), args.fail_on)
}

/// The policies of a scan: the flags' directories and the built-in library, narrowed by the
/// configuration's rule selection. `Err` is the exit code, the error printed.
fn policies_for(args: &ScanArgs, config: Option<&config::Config>) -> Result<PolicySet, i32> {
    if !(args.policy_timeout > 0.0 && args.policy_timeout.is_finite()) {
        return Err(fail(
            "--policy-timeout must be a positive number of seconds",
        ));
    }
    let timeout = Duration::from_secs_f64(args.policy_timeout);
    let mut policies = match policy::load(&policy_settings(&args.policies, timeout)) {
        Ok(p) => p,
        Err(e) => return Err(fail_lines(format!("policy {e}"))),
    };
    if let Some(c) = &config {
        if let Err(e) = c.select_rules(&mut policies) {
            return Err(fail(format!("configuration {e}")));
        }
    }
    policies.set_pss(pss_settings(args)?);
    if policies.packages.is_empty() && args.live_snapshot.is_none() && !args.quiet {
        eprintln!(
            "plumbline: warning: no policy rules are loaded (--no-builtin without --policy): \
             files are only parsed"
        );
    }
    Ok(policies)
}

/// The Pod Security Standards' level, version and admission configuration of the scan
/// (`--pss-level`, `--pss-version`, `--pss-admission-config`). `Err` is the exit code, the
/// error printed.
fn pss_settings(args: &ScanArgs) -> Result<crate::policy::admission::Settings, i32> {
    let admission = match &args.pss_admission_config {
        Some(path) => {
            let shown = path.display().to_string();
            let text = crate::bounded::read_to_string(path, 1 << 20)
                .map_err(|e| fail(format!("--pss-admission-config {shown}: {e}")))?;
            let parsed = crate::policy::pss::AdmissionConfig::parse(&shown, &text)
                .map_err(|e| fail(format!("--pss-admission-config {e}")))?;
            Some(std::sync::Arc::new(parsed))
        }
        None => None,
    };
    Ok(crate::policy::admission::Settings {
        level: args.pss_level,
        version: args.pss_version,
        admission,
    })
}

/// The report of `result` in `format`. `Err` is the exit code, the error printed.
fn render(
    result: &ScanResult,
    args: &ScanArgs,
    format: Format,
    color: bool,
) -> Result<String, i32> {
    Ok(match format {
        Format::Text => report::text::render(result, color),
        Format::Json => report::json::render(result, &args.category),
        Format::Sarif => report::sarif::render(result, &args.category),
        Format::Markdown => {
            let links = report::markdown::link_base(
                args.link_base.as_deref(),
                result.commit.as_deref(),
                |k| std::env::var(k).ok(),
            );
            report::markdown::render(result, links.as_deref())
        }
        Format::GitlabSast => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64);
            let time = report::gitlab::scan_time(
                std::env::var("SOURCE_DATE_EPOCH").ok().as_deref(),
                result.commit_time.as_deref(),
                now,
            );
            match time {
                Ok(t) => report::gitlab::render(result, &t),
                Err(e) => return Err(fail(e)),
            }
        }
        Format::Codeclimate => report::codeclimate::render(result),
    })
}

/// Writes the report to `--output` (atomically) or stdout, and the summaries to the log.
/// `Err` is the exit code.
fn deliver(
    result: &ScanResult,
    args: &ScanArgs,
    rendered: &str,
    format: Format,
    gate_summary: Option<&str>,
) -> Result<(), i32> {
    match &args.output {
        Some(path) => {
            if let Err(e) = crate::bounded::write_atomic(path, rendered.as_bytes()) {
                return Err(fail(format!("cannot write {}: {e}", path.display())));
            }
            // The summary still goes to the log when the report goes to a file.
            if !args.quiet {
                textsafe::eprintln_escaped(&report::text::summary(result));
                if let Some(g) = gate_summary {
                    textsafe::eprint_block(g);
                }
            }
        }
        None => {
            let mut out = std::io::stdout().lock();
            if out
                .write_all(rendered.as_bytes())
                .and_then(|_| out.flush())
                .is_err()
            {
                return Err(exit::USAGE);
            }
            // The merge-request summary goes with text output, and to the log otherwise.
            if let Some(g) = gate_summary {
                if format == Format::Text {
                    let g = textsafe::escape_lines(g);
                    let _ = out.write_all(format!("\n{g}").as_bytes());
                } else if !args.quiet {
                    textsafe::eprint_block(g);
                }
            }
        }
    }
    Ok(())
}

/// The drift check `--live-snapshot` asks for, or `None`; errors are usage errors.
/// The Kubernetes drift check of a scan: with `--cluster`, or a snapshot that holds clusters
/// (or, when no AWS state is compared, any snapshot: it then must cover the declared kinds).
fn drift_options(
    args: &ScanArgs,
    config: Option<&config::Config>,
    snapshot: Option<crate::drift::snapshot::Snapshot>,
    key: crate::drift::secret::HashKey,
    aws: bool,
) -> Result<Option<crate::drift::check::DriftOptions>, String> {
    use crate::drift::check::{DriftOptions, Unmanaged};
    let clusters = snapshot.map(|s| s.clusters);
    let from_snapshot = clusters.as_ref().is_some_and(|c| !c.is_empty() || !aws);
    if !from_snapshot && args.cluster.clusters.is_empty() {
        if args.unmanaged
            || !args.unmanaged_namespace.is_empty()
            || args.unmanaged_selector.is_some()
        {
            return Err(
                "--unmanaged and its options need --cluster CONTEXT or --live-snapshot FILE: \
                 they report live objects that Git does not declare"
                    .into(),
            );
        }
        if args.cluster.kubeconfig.is_some() {
            return Err("--kubeconfig needs --cluster CONTEXT".into());
        }
        return Ok(None);
    }
    if !args.unmanaged
        && (!args.unmanaged_namespace.is_empty() || args.unmanaged_selector.is_some())
    {
        return Err("--unmanaged-namespace and --unmanaged-selector need --unmanaged".into());
    }
    if args.base.is_some() {
        return Err(
            "--cluster and --live-snapshot cannot be used with --base: the gate scans only the changed \
                    files, and drift is about every declared object; compare with the cluster \
                    in a scheduled scan, or use --baseline"
                .into(),
        );
    }
    if args.unmanaged && args.shard.is_some() {
        return Err(
            "--unmanaged cannot be used with --shard: objects declared in the other \
                    shards would be reported as undeclared; run it in an unsharded scan"
                .into(),
        );
    }
    let clusters = clusters.unwrap_or_default();
    let mut rules = crate::drift::rules::Rules::builtin();
    if let Some((text, origin)) = config.and_then(config::Config::drift_rules) {
        rules = rules
            .with_user_yaml(&text, &origin)
            .map_err(|e| format!("configuration {e}"))?;
    }
    let unmanaged = if args.unmanaged {
        Some(Unmanaged {
            namespaces: args.unmanaged_namespace.iter().cloned().collect(),
            selector: match &args.unmanaged_selector {
                Some(s) => Unmanaged::parse_selector(s)
                    .map_err(|e| format!("--unmanaged-selector: {e}"))?,
                None => Vec::new(),
            },
        })
    } else {
        None
    };
    let targets = args.cluster.targets();
    let default_namespace = match (&args.cluster.default_namespace, targets.first()) {
        (Some(ns), _) => ns.clone(),
        (None, Some(first)) => crate::live::kubernetes::context_namespace(first)?,
        (None, None) => "default".to_string(),
    };
    Ok(Some(DriftOptions {
        clusters,
        read: targets,
        key,
        rules,
        default_namespace,
        unmanaged,
    }))
}

/// `--timings`: wall time per stage, CPU time summed over workers, slowest files and rules.
fn timings(stats: &crate::findings::Stats, report: Duration, total: Duration) -> String {
    use std::fmt::Write;
    let s = |d: Duration| format!("{:.3}s", d.as_secs_f64());
    let mut out = format!(
        "timings (wall): list {}, read+parse+evaluate {} (one parallel pass), report {}, total \
         {} (policy loading and the per-rule pass included)\ntimings (summed over {} threads): \
         read {}, parse {}, evaluate {}; {} rule evaluations on {} documents\n",
        s(stats.list),
        s(stats.process),
        s(report),
        s(total),
        rayon::current_num_threads(),
        s(stats.read_cpu),
        s(stats.parse_cpu),
        s(stats.eval_cpu),
        stats.evaluations,
        stats.documents,
    );
    if !stats.namespace.is_zero() {
        let _ = writeln!(
            out,
            "timings (wall): namespace rules {} (after the pass: objects compared within their \
             namespace)",
            s(stats.namespace)
        );
    }
    if !stats.drift.is_zero() {
        let _ = writeln!(
            out,
            "timings (wall): drift check {} (declared vs live, policies on drifted live objects)",
            s(stats.drift)
        );
    }
    let _ = writeln!(out, "slowest files (read+parse):");
    for (f, d) in &stats.slowest_files {
        let _ = writeln!(out, "  {:>9}  {}", s(*d), textsafe::Escaped(f));
    }
    let _ = writeln!(
        out,
        "slowest rules (a separate pass, one query per rule, summed over documents):"
    );
    for (r, d) in &stats.slowest_rules {
        let _ = writeln!(out, "  {:>9}  {}", s(*d), textsafe::Escaped(r));
    }
    out
}
