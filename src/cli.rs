//! Command-line arguments (clap derive) and running the commands; `main` maps the result to
//! the exit code.

use crate::config;

use crate::findings::{self, exit, FailOn};
use crate::load::LoadOptions;
use crate::policy::{self, test::Status};
use crate::progress;
use crate::report::{self, ColorChoice, Format};
use crate::scan::{self, ScanOptions, Target};
use crate::source::shard::Shard;
use crate::source::PathFilter;
use crate::textsafe;
use crate::triage::{self, waiver};
pub mod aws;
pub mod docs;
mod settings;

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(
    name = "plumbline",
    version,
    about = "Check declared infrastructure in Git against Rego policies; report as SARIF.",
    long_about = None,
    after_help = "Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it, \
                  2 usage or configuration error, 3 scan incomplete."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan manifests from a Git revision (default), a working tree, or stdin.
    Scan(Box<ScanArgs>),
    /// Work with policies: run their tests, list the rule catalog.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Build one self-contained HTML page for a security team from JSON and SARIF reports.
    Report(ReportArgs),
    /// Combine plumbline JSON and SARIF reports (shards, repositories, clusters) into one,
    /// deduplicated by fingerprint.
    Merge(MergeArgs),
    /// Read the live state of clusters (the kinds a repository declares) into a redacted
    /// snapshot file, for `scan --live-snapshot FILE` without cluster access.
    Snapshot(Box<SnapshotArgs>),
    /// Print the IAM policy (read-only actions only) that `scan --tfstate` needs to read AWS,
    /// generated from the reader registry.
    AwsPolicy(AwsPolicyArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish) on stdout.
    Completions(crate::cli::docs::CompletionsArgs),
    /// Print the manual page (roff) on stdout, or write one page per command into a directory.
    Man(crate::cli::docs::ManArgs),
}

#[derive(Debug, Args)]
pub struct AwsPolicyArgs {
    /// Only the actions for these Terraform resource types (repeatable; default: every
    /// type plumbline reads).
    #[arg(long = "type", value_name = "TYPE")]
    pub types: Vec<String>,
    /// Also allow reading the Terraform states at these S3 locations (s3://bucket/key, the
    /// key may hold a glob): s3:GetObject on them, s3:ListBucket on their buckets.
    #[arg(long = "tfstate", value_name = "S3_URL")]
    pub tfstates: Vec<String>,
}

#[derive(Debug, Args)]
pub struct PolicyArgs {
    /// Add the policies in DIR (a directory of .rego files, or one file). Repeatable.
    #[arg(long = "policy", short = 'p', value_name = "DIR")]
    pub policy: Vec<PathBuf>,
    /// Do not load the built-in policy library.
    #[arg(long)]
    pub no_builtin: bool,
    /// Parse the user's policies as Rego v0 (pre-1.0 OPA syntax, e.g. `deny[msg] { … }`).
    #[arg(long)]
    pub rego_v0: bool,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Directory or file to scan, or `-` for a YAML stream on stdin.
    #[arg(default_value = ".")]
    pub path: String,
    /// Git revision to read inside a repository: branch, tag, SHA, HEAD~2…
    #[arg(long, default_value = "HEAD", conflicts_with = "worktree")]
    pub rev: String,
    /// Scan files as they are on disk (uncommitted changes included), respecting .gitignore.
    #[arg(long)]
    pub worktree: bool,
    /// Only scan files matching GLOB (repeatable), e.g. 'deploy/**'.
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,
    /// Do not scan files matching GLOB (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    #[command(flatten)]
    pub policies: PolicyArgs,
    /// Time limit for one policy rule on one document, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0)]
    pub policy_timeout: f64,
    /// Skip (and report) files larger than SIZE (bytes, or with K/M/G suffix).
    #[arg(long, value_name = "SIZE", default_value = "50M", value_parser = crate::bounded::parse_size)]
    pub max_file_size: u64,
    /// Terraform variable file applied to every root module after `terraform.tfvars` and
    /// `*.auto.tfvars` (repeatable; a path in the scanned tree, else on disk).
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<String>,
    /// Terraform variable `NAME=VALUE`, applied last (repeatable; VALUE is parsed as HCL when
    /// it is a number, bool, list or object, as `terraform -var` does).
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    pub vars: Vec<(String, String)>,
    /// Output format (default: text, or from the --output file extension; gitlab-sast and
    /// codeclimate are JSON files, so only --format selects them).
    #[arg(long, short = 'f', value_enum)]
    pub format: Option<Format>,
    /// Write the report to FILE (atomically) instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit 1 when a finding is at or above SEVERITY (critical, high, medium, low, info, never).
    #[arg(long, value_name = "SEVERITY", default_value = "low")]
    pub fail_on: FailOn,
    /// SARIF automationDetails category (one per analysis in GitHub code scanning).
    #[arg(long, default_value = "plumbline")]
    pub category: String,
    /// Colour in text output.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorChoice,
    /// Print the time spent in each stage to stderr.
    #[arg(long)]
    pub timings: bool,
    // Merge-request gate
    /// Merge-request gate: scan only the files changed since the merge base of the scanned
    /// revision (or the working tree's HEAD) and REV, and report only the findings the change
    /// introduces.
    #[arg(long, value_name = "REV", conflicts_with = "baseline")]
    pub base: Option<String>,
    /// With --base, also report the findings already present at the merge base (unchanged or
    /// updated) and those the change fixed (absent).
    #[arg(long, requires = "base")]
    pub show_preexisting: bool,
    /// Compare with an earlier JSON or SARIF report: findings become new, unchanged or
    /// updated, and gone ones are listed as absent. Only new findings fail the run.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Markdown links to findings: URL of the scanned revision's files, e.g.
    /// https://github.com/org/repo/blob/<sha> (`{commit}` becomes the scanned commit).
    /// Default: from GitHub Actions or GitLab CI variables.
    #[arg(long, value_name = "URL")]
    pub link_base: Option<String>,
    // Waivers and configuration
    /// Read waivers from FILE (on disk) instead of .plumbline/waivers.yaml at the root of the
    /// scanned repository (read from the scanned revision).
    #[arg(long, value_name = "FILE")]
    pub waivers: Option<PathBuf>,
    /// Read the configuration from FILE instead of .plumbline.yaml at the root of the scanned
    /// repository or directory.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Ignore .plumbline.yaml.
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,
    // Large fleets and terminals
    /// Scan only part I of N (1 ≤ I ≤ N) of the files, chosen by a stable hash of each path,
    /// e.g. 2/4 in the second job of a four-job CI matrix; `plumbline merge` joins the parts.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<Shard>,
    /// Nothing on stderr but errors: no progress line, warnings or summaries (--timings still
    /// prints when asked).
    #[arg(long, short = 'q')]
    pub quiet: bool,
    // Drift (Kubernetes)
    /// Compare the declared Kubernetes objects with the clusters in FILE, a snapshot written
    /// by `plumbline snapshot`: missing objects (PL-DRIFT-0001) and changed fields
    /// (PL-DRIFT-0002) become findings at their lines in Git.
    #[arg(long, value_name = "FILE", conflicts_with = "base")]
    pub live_snapshot: Option<PathBuf>,
    /// With --live-snapshot: also report live objects that nothing in Git declares
    /// (PL-DRIFT-0003), in the namespaces Git declares objects in unless
    /// --unmanaged-namespace or --unmanaged-selector says where.
    #[arg(long)]
    pub unmanaged: bool,
    /// With --unmanaged: look for undeclared objects in namespace NS (repeatable).
    #[arg(long, value_name = "NS")]
    pub unmanaged_namespace: Vec<String>,
    /// With --unmanaged: look for undeclared objects carrying these labels (key=value,…).
    #[arg(long, value_name = "SELECTOR")]
    pub unmanaged_selector: Option<String>,
    /// Compare the declared Kubernetes objects with the live cluster of kubeconfig context
    /// CONTEXT (repeatable; `in-cluster` for the service account of the pod plumbline runs
    /// in). Read-only: only GET requests (and access reviews) are sent.
    #[arg(long = "cluster", value_name = "CONTEXT", conflicts_with = "base")]
    pub clusters: Vec<String>,
    /// The kubeconfig file for --cluster (default: $KUBECONFIG, else ~/.kube/config).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Namespace of namespaced objects declared without one, as `kubectl apply` defaults it
    /// (default: the first --cluster context's namespace, else `default`).
    #[arg(long, value_name = "NS")]
    pub default_namespace: Option<String>,
    // Drift (AWS)
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// Where the Terraform states are and how to reach the AWS accounts they describe (shared by
/// `scan` and `snapshot`).
#[derive(Debug, Clone, Default, Args)]
pub struct AwsArgs {
    /// Compare the Terraform state at PATH (a local file, a glob such as
    /// `states/*.tfstate`, or `s3://bucket/key`, whose key may hold a glob) with live AWS:
    /// missing resources (PL-DRIFT-0101) and changed attributes (PL-DRIFT-0102) become
    /// findings at their resource blocks in the scanned `.tf` files. Repeatable. Read-only:
    /// only List/Get/Describe calls are sent.
    #[arg(long = "tfstate", value_name = "PATH")]
    pub tfstates: Vec<String>,
    /// The AWS profile (of ~/.aws/config and ~/.aws/credentials) to read with; default: the
    /// SDK's chain (environment, AWS_PROFILE, SSO, web identity, instance role).
    #[arg(long, value_name = "NAME")]
    pub aws_profile: Option<String>,
    /// AWS region to read (repeatable); default: the profile's or AWS_REGION. Global services
    /// (IAM, the S3 bucket list) are read once.
    #[arg(long = "aws-region", value_name = "REGION")]
    pub aws_regions: Vec<String>,
    /// Send every AWS call to URL (an emulator or an S3-compatible store; S3 then uses
    /// path-style addressing). The SDK's AWS_ENDPOINT_URL variables work too.
    #[arg(long, value_name = "URL")]
    pub aws_endpoint_url: Option<String>,
    /// At most N AWS calls in one scan (retries included); past it the rest is not read and
    /// the scan is reported incomplete (exit 3).
    #[arg(long, value_name = "N", default_value_t = 20_000)]
    pub aws_max_calls: u64,
    /// Also report AWS resources that no given state manages (PL-DRIFT-0103), for the
    /// resource types the states hold (or --aws-unmanaged-type).
    #[arg(long)]
    pub aws_unmanaged: bool,
    /// With --aws-unmanaged: look for unmanaged resources of this Terraform type (repeatable),
    /// e.g. aws_s3_bucket.
    #[arg(long, value_name = "TYPE", requires = "aws_unmanaged")]
    pub aws_unmanaged_type: Vec<String>,
    /// With --aws-unmanaged: only resources carrying these tags (key=value,…).
    #[arg(long, value_name = "TAGS", requires = "aws_unmanaged")]
    pub aws_unmanaged_tag: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Run every `test_*` rule (like `opa test`); without DIR, the built-in library's tests.
    Test(TestArgs),
    /// Print the rule catalog.
    List(ListArgs),
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Directories (or files) of .rego policies and their _test.rego files.
    pub dirs: Vec<PathBuf>,
    /// Only run tests whose `data.<package>.<rule>` contains TEXT.
    #[arg(long, value_name = "TEXT")]
    pub run: Option<String>,
    /// Print every test, not only failures.
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// Parse the policies as Rego v0.
    #[arg(long)]
    pub rego_v0: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub policies: PolicyArgs,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "text")]
    pub format: ListFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Text,
    Json,
}

pub fn parse_var(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_string(), value.to_string()))
        }
        _ => Err(format!("expected NAME=VALUE, got {s:?}")),
    }
}

/// Prints an error the way every command does, and returns the usage exit code. Escaped on
/// one line: errors name files and values from the scanned repository.
fn fail(msg: impl std::fmt::Display) -> i32 {
    textsafe::eprintln_escaped(&format!("plumbline: error: {msg}"));
    exit::USAGE
}

/// [`fail`] for an error that spans lines by design (a Rego error shows the policy line and
/// a caret): its lines are kept, indented, and escaped otherwise.
fn fail_lines(msg: impl std::fmt::Display) -> i32 {
    let text = textsafe::indented_block(&msg.to_string(), "  ");
    eprintln!("plumbline: error: {text}");
    exit::USAGE
}

/// Parses the command line, keeping clap's matches: the configuration file needs them to
/// tell a flag given on the command line from its default.
pub fn parse() -> (Cli, clap::ArgMatches) {
    use clap::{CommandFactory, FromArgMatches};
    let matches = Cli::command().get_matches();
    match Cli::from_arg_matches(&matches) {
        Ok(cli) => (cli, matches),
        Err(e) => e.exit(),
    }
}

pub fn run(cli: Cli, matches: &clap::ArgMatches) -> i32 {
    match cli.command {
        Command::Scan(args) => match matches.subcommand_matches("scan") {
            Some(m) => run_scan(*args, m),
            None => fail("internal: scan arguments without their matches"),
        },
        Command::Policy(PolicyCommand::Test(args)) => run_policy_test(args),
        Command::Policy(PolicyCommand::List(args)) => run_policy_list(args),
        Command::Report(args) => run_report(args),
        Command::Merge(args) => run_merge(args),
        Command::Snapshot(args) => run_snapshot(*args),
        Command::AwsPolicy(args) => crate::cli::aws::run_aws_policy(&args),
        Command::Completions(args) => crate::cli::docs::run_completions(&args),
        Command::Man(args) => crate::cli::docs::run_man(&args),
    }
}

fn policy_settings(args: &PolicyArgs, timeout: Duration) -> policy::Settings {
    policy::Settings {
        builtin: !args.no_builtin,
        dirs: args.policy.clone(),
        rego_v0: args.rego_v0,
        include_tests: false,
        timeout,
    }
}

fn run_scan(mut args: ScanArgs, matches: &clap::ArgMatches) -> i32 {
    let started = std::time::Instant::now();
    let config = match config::for_scan(&args.path, args.config.as_deref(), args.no_config) {
        Ok(c) => c,
        Err(e) => return fail(format!("configuration {e}")),
    };
    let mut severity_overrides = Default::default();
    if let Some(c) = &config {
        if let Err(e) = settings::apply(c, matches, &mut args) {
            return fail(format!("configuration {e}"));
        }
        match c.severity_overrides() {
            Ok(o) => severity_overrides = o,
            Err(e) => return fail(format!("configuration {e}")),
        }
    }
    let today = match waiver::Date::today() {
        Ok(d) => d,
        Err(e) => return fail(e),
    };
    if !(args.policy_timeout > 0.0 && args.policy_timeout.is_finite()) {
        return fail("--policy-timeout must be a positive number of seconds");
    }
    let timeout = Duration::from_secs_f64(args.policy_timeout);
    let mut policies = match policy::load(&policy_settings(&args.policies, timeout)) {
        Ok(p) => p,
        Err(e) => return fail_lines(format!("policy {e}")),
    };
    if let Some(c) = &config {
        if let Err(e) = c.select_rules(&mut policies) {
            return fail(format!("configuration {e}"));
        }
    }
    if policies.packages.is_empty() && args.live_snapshot.is_none() && !args.quiet {
        eprintln!(
            "plumbline: warning: no policy rules are loaded (--no-builtin without --policy): \
             files are only parsed"
        );
    }
    // Plumbline's own files are configuration, not declared infrastructure.
    let exclude: Vec<String> = args
        .exclude
        .iter()
        .cloned()
        .chain([config::FILE_NAME.to_string(), ".plumbline".to_string()])
        .collect();
    let filter = match PathFilter::new(&args.include, &exclude) {
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
    let opts = ScanOptions {
        target,
        rev: args.rev.clone(),
        worktree: args.worktree,
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
            filtered: !(args.include.is_empty() && args.exclude.is_empty()),
        },
        shard: args.shard,
        iac: crate::load::IacOptions {
            var_files: args.var_files.clone(),
            vars: args.vars.clone(),
            skip_related: false,
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
    let rendered = match format {
        Format::Text => report::text::render(&result, color),
        Format::Json => report::json::render(&result, &args.category),
        Format::Sarif => report::sarif::render(&result, &args.category),
        Format::Markdown => {
            let links = report::markdown::link_base(
                args.link_base.as_deref(),
                result.commit.as_deref(),
                |k| std::env::var(k).ok(),
            );
            report::markdown::render(&result, links.as_deref())
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
                Ok(t) => report::gitlab::render(&result, &t),
                Err(e) => return fail(e),
            }
        }
        Format::Codeclimate => report::codeclimate::render(&result),
    };
    if args.timings {
        textsafe::eprint_block(&timings(
            &result.stats,
            reporting.elapsed(),
            started.elapsed(),
        ));
    }
    match &args.output {
        Some(path) => {
            if let Err(e) = crate::bounded::write_atomic(path, rendered.as_bytes()) {
                return fail(format!("cannot write {}: {e}", path.display()));
            }
            // The summary still goes to the log when the report goes to a file.
            if !args.quiet {
                textsafe::eprintln_escaped(&report::text::summary(&result));
                if let Some(g) = &gate_summary {
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
                return exit::USAGE;
            }
            // The merge-request summary goes with text output, and to the log otherwise.
            if let Some(g) = &gate_summary {
                if format == Format::Text {
                    let g = textsafe::escape_lines(g);
                    let _ = out.write_all(format!("\n{g}").as_bytes());
                } else if !args.quiet {
                    textsafe::eprint_block(g);
                }
            }
        }
    }
    findings::exit_code(&result.findings, result.incomplete(), args.fail_on)
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
    if !from_snapshot && args.clusters.is_empty() {
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
        if args.kubeconfig.is_some() {
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
    let targets = cluster_targets(&args.clusters, args.kubeconfig.as_deref());
    let default_namespace = match (&args.default_namespace, targets.first()) {
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

/// `--cluster` values as reader targets (`in-cluster` is the pod's service account).
fn cluster_targets(
    contexts: &[String],
    kubeconfig: Option<&std::path::Path>,
) -> Vec<crate::live::kubernetes::ClusterTarget> {
    contexts
        .iter()
        .map(|c| crate::live::kubernetes::ClusterTarget {
            context: Some(c.clone()),
            kubeconfig: kubeconfig.map(std::path::Path::to_path_buf),
        })
        .collect()
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

fn run_policy_test(args: TestArgs) -> i32 {
    let settings = policy::Settings {
        builtin: args.dirs.is_empty(),
        dirs: args.dirs.clone(),
        rego_v0: args.rego_v0,
        include_tests: true,
        ..policy::Settings::default()
    };
    let set = match policy::load(&settings) {
        Ok(s) => s,
        Err(e) => return fail_lines(format!("policy {e}")),
    };
    if set.tests.is_empty() {
        return fail("no test_* rules found: name test rules `test_…` in *_test.rego files");
    }
    let results = policy::test::run(&set, args.run.as_deref());
    let mut passed = 0;
    let mut failed = 0;
    let mut current_file = "";
    for r in &results {
        let ok = r.status == Status::Pass;
        if ok {
            passed += 1;
        } else {
            failed += 1;
        }
        if !ok || args.verbose {
            if r.file != current_file {
                println!("{}:", textsafe::Escaped(&r.file));
                current_file = &r.file;
            }
            let status = match &r.status {
                Status::Pass => "PASS".to_string(),
                Status::Fail => "FAIL".to_string(),
                Status::Error(e) => format!("ERROR: {}", textsafe::indented_block(e, "    ")),
            };
            println!(
                "data.{}.{}: {status} ({:.1}ms)",
                textsafe::Escaped(&r.package),
                textsafe::Escaped(&r.name),
                r.duration.as_secs_f64() * 1000.0
            );
            if !ok {
                for line in &r.output {
                    println!("    {}", textsafe::Escaped(line));
                }
            }
        }
    }
    println!("{}", "-".repeat(80));
    if failed == 0 {
        println!("PASS: {passed}/{}", results.len());
    } else {
        println!("FAIL: {failed}/{}", results.len());
    }
    println!("{passed} passed, {failed} failed");
    if failed == 0 {
        exit::OK
    } else {
        exit::FINDINGS
    }
}

fn run_policy_list(args: ListArgs) -> i32 {
    let set = match policy::load(&policy_settings(&args.policies, Duration::from_secs(5))) {
        Ok(s) => s,
        Err(e) => return fail_lines(format!("policy {e}")),
    };
    let rules = set.rules();
    match args.format {
        ListFormat::Json => {
            println!("{}", serde_json::to_string_pretty(&rules).expect("JSON"));
        }
        ListFormat::Text => {
            for r in &rules {
                println!(
                    "{:<14} {:<8} {:<55} {}",
                    textsafe::Escaped(&r.id),
                    r.severity.as_str(),
                    textsafe::Escaped(&r.title),
                    textsafe::Escaped(&r.frameworks.join(","))
                );
            }
            println!("{} rules", rules.len());
        }
    }
    exit::OK
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Reports written by `scan --format json` or `--format sarif` (other tools' SARIF too).
    #[arg(required = true, value_name = "FILES")]
    pub files: Vec<PathBuf>,
    /// Write the HTML page to FILE (atomically) instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Date of a report that carries none (no endTimeUtc, no commitTime). Repeatable.
    #[arg(long = "date", value_name = "FILE=YYYY-MM-DD")]
    pub dates: Vec<report::html::DateOverride>,
}

fn run_report(args: ReportArgs) -> i32 {
    let loaded = match report::html::load(&args.files, &args.dates) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let page = report::html::render(&loaded.reports);
    match &args.output {
        Some(path) => {
            if let Err(e) = crate::bounded::write_atomic(path, page.as_bytes()) {
                return fail(format!("cannot write {}: {e}", path.display()));
            }
            eprintln!(
                "plumbline: wrote {} from {} report(s)",
                path.display(),
                loaded.reports.len()
            );
        }
        None => {
            let mut out = std::io::stdout().lock();
            if out
                .write_all(page.as_bytes())
                .and_then(|_| out.flush())
                .is_err()
            {
                return exit::USAGE;
            }
        }
    }
    exit::OK
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Reports written by `plumbline scan --format json` or `--format sarif`.
    #[arg(required = true, value_name = "FILES")]
    pub files: Vec<PathBuf>,
    /// Write the merged report to FILE (atomically) instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Output format (default: from the --output file extension, else sarif).
    #[arg(long, short = 'f', value_enum)]
    pub format: Option<MergeFormat>,
    /// Exit 1 when an active finding is at or above SEVERITY (critical, high, medium, low,
    /// info, never).
    #[arg(long, value_name = "SEVERITY", default_value = "never")]
    pub fail_on: FailOn,
    /// Merge every report into one analysis named NAME, whatever their categories.
    #[arg(long, value_name = "NAME")]
    pub category: Option<String>,
    /// Nothing on stderr but errors (no summary line with --output).
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MergeFormat {
    Json,
    Sarif,
}

/// `shop: 3 report(s); active findings: 12 (2 high, 10 low); waived: 1`.
fn merge_summary(a: &report::merge::Analysis) -> String {
    let active = a.result.findings.iter().filter(|f| f.is_active());
    let waived = a
        .result
        .findings
        .iter()
        .filter(|f| f.is_suppressed())
        .count();
    format!(
        "{}: {} report(s); active findings: {}; waived: {waived}{}",
        a.category,
        a.reports,
        crate::findings::count_by_severity(active.map(|f| f.severity)),
        if a.result.incomplete() {
            "; INCOMPLETE (see the notifications)"
        } else {
            ""
        }
    )
}

fn run_merge(args: MergeArgs) -> i32 {
    let format = match (
        args.format,
        args.output.as_deref().map(Format::from_extension),
    ) {
        (Some(f), _) => f,
        (None, Some(Some(Format::Json))) => MergeFormat::Json,
        (None, Some(Some(Format::Sarif)) | Some(None) | None) => MergeFormat::Sarif,
        (None, Some(Some(_))) => {
            return fail("merge writes json or sarif: give --format json or --format sarif")
        }
    };
    let mut reports = Vec::new();
    for file in &args.files {
        match report::read::read(file) {
            Ok(r) => reports.extend(r),
            Err(e) => return fail(e),
        }
    }
    let analyses = match report::merge::merge(reports, args.category.as_deref()) {
        Ok(a) => a,
        Err(e) => return fail(e),
    };
    if format == MergeFormat::Json && analyses.len() > 1 {
        let names: Vec<&str> = analyses.iter().map(|a| a.category.as_str()).collect();
        return fail(format!(
            "the reports hold {} analyses ({}), and a JSON report holds one: write SARIF \
             (--format sarif, one run per analysis), or merge them into one analysis with \
             --category NAME",
            analyses.len(),
            names.join(", ")
        ));
    }
    let rendered = match format {
        MergeFormat::Sarif => report::sarif::render_runs(
            &analyses
                .iter()
                .map(|a| (&a.result, a.category.as_str()))
                .collect::<Vec<_>>(),
        ),
        MergeFormat::Json => match analyses.first() {
            Some(a) => report::json::render(&a.result, &a.category),
            None => return fail("the reports hold no analysis (a SARIF log without runs)"),
        },
    };
    match &args.output {
        Some(path) => {
            if let Err(e) = crate::bounded::write_atomic(path, rendered.as_bytes()) {
                return fail(format!("cannot write {}: {e}", path.display()));
            }
            if !args.quiet {
                eprintln!("plumbline: wrote {}", path.display());
                for a in &analyses {
                    textsafe::eprintln_escaped(&format!("  {}", merge_summary(a)));
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
                return exit::USAGE;
            }
        }
    }
    // The most serious verdict of any analysis: incomplete (3) outranks findings (1).
    analyses
        .iter()
        .map(|a| findings::exit_code(&a.result.findings, a.result.incomplete(), args.fail_on))
        .max()
        .unwrap_or(exit::OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// Repository or directory whose declared Kubernetes objects say which kinds and
    /// namespaces to read.
    #[arg(default_value = ".")]
    pub path: String,
    /// Git revision to read the declared objects from.
    #[arg(long, default_value = "HEAD", conflicts_with = "worktree")]
    pub rev: String,
    /// Read the declared objects from the files on disk.
    #[arg(long)]
    pub worktree: bool,
    /// Only files matching GLOB (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,
    /// Not the files matching GLOB (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Kubeconfig context to read (repeatable; `in-cluster` for the pod's service account).
    #[arg(
        long = "cluster",
        value_name = "CONTEXT",
        required_unless_present = "tfstates"
    )]
    pub clusters: Vec<String>,
    /// The AWS accounts the Terraform states describe (--tfstate; with --aws-unmanaged, every
    /// resource of the states' types, for a later `scan --aws-unmanaged`).
    #[command(flatten)]
    pub aws: AwsArgs,
    /// The kubeconfig file (default: $KUBECONFIG, else ~/.kube/config).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Namespace of namespaced objects declared without one (default: the first context's
    /// namespace, else `default`).
    #[arg(long, value_name = "NS")]
    pub default_namespace: Option<String>,
    /// Also read the declared kinds in namespace NS (repeatable), for a later
    /// `scan --unmanaged --unmanaged-namespace NS`.
    #[arg(long, value_name = "NS")]
    pub unmanaged_namespace: Vec<String>,
    /// The snapshot file to write (atomically; readable by its owner only).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: PathBuf,
    /// Nothing on stderr but errors.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// `plumbline snapshot`: the declared objects say what to read; the clusters are read
/// exactly as a `scan --cluster` reads them, and the AWS accounts of `--tfstate` as a
/// `scan --tfstate` reads them, redacted, and written. Exit 0, or 3 when something could not
/// be read (the snapshot is written all the same and says what is missing), 2 on usage
/// errors.
fn run_snapshot(args: SnapshotArgs) -> i32 {
    let key = crate::drift::secret::HashKey::random();
    // AWS reading starts first, in the background: it needs only the states.
    let aws = match crate::cli::aws::setup(
        &args.aws,
        None,
        Some(std::path::Path::new(&args.path)),
        None,
        &key,
    ) {
        Ok(a) => a,
        Err(e) => return fail(e),
    };
    let aws_read = match aws.as_ref().and_then(|a| a.read.clone()) {
        Some(plan) => match crate::live::aws::start(plan) {
            Ok(pending) => Some(pending),
            Err(e) => return fail(e),
        },
        None => None,
    };
    let mut problems: Vec<String> = Vec::new();
    let clusters = if args.clusters.is_empty() {
        Vec::new()
    } else {
        match snapshot_clusters(&args, &key, &mut problems) {
            Ok(c) => c,
            Err(code) => return code,
        }
    };
    let mut accounts = Vec::new();
    if let Some(aws) = aws {
        problems.extend(
            aws.notifications
                .iter()
                .filter(|n| n.level == crate::model::NoteLevel::Error)
                .map(|n| n.message.clone()),
        );
        accounts = aws.accounts;
        if let Some(pending) = aws_read {
            accounts.extend(pending.wait());
        }
        for a in &accounts {
            problems.extend(
                a.notifications
                    .iter()
                    .filter(|n| n.level == crate::model::NoteLevel::Error)
                    .map(|n| n.message.clone()),
            );
        }
    }
    for p in &problems {
        textsafe::eprintln_escaped(&format!("plumbline: error: {p}"));
    }
    let objects: usize = clusters.iter().map(|c| c.objects.len()).sum();
    let kinds: usize = clusters.iter().map(|c| c.complete.len()).sum();
    let requests: usize = clusters.iter().map(|c| c.requests).sum();
    let resources: usize = accounts.iter().map(|a| a.resources.len()).sum();
    let calls: u64 = accounts.iter().flat_map(|a| a.calls.values()).sum();
    let (n, m) = (clusters.len(), accounts.len());
    if let Err(e) = crate::drift::snapshot::write_all(&args.output, clusters, accounts, &key) {
        return fail(e);
    }
    if !args.quiet {
        let k8s = format!(
            "{n} cluster(s), {objects} objects, {kinds} kind scopes read completely, \
             {requests} requests"
        );
        let aws = format!("{m} AWS account(s), {resources} resources, {calls} API calls");
        let what = match (n > 0, m > 0) {
            (true, true) => format!("{k8s}; {aws}"),
            (false, true) => aws,
            _ => k8s,
        };
        eprintln!(
            "snapshot: {what}; written to {}{}",
            args.output.display(),
            if problems.is_empty() {
                ""
            } else {
                " (INCOMPLETE: see the errors above)"
            }
        );
    }
    if problems.is_empty() {
        exit::OK
    } else {
        exit::INCOMPLETE
    }
}

/// The Kubernetes part of a snapshot: the declared objects of `args.path` say which kinds
/// and namespaces to read. Problems are added to `problems`; `Err` is the exit code of a
/// usage error.
fn snapshot_clusters(
    args: &SnapshotArgs,
    key: &crate::drift::secret::HashKey,
    problems: &mut Vec<String>,
) -> Result<Vec<crate::live::LiveCluster>, i32> {
    use crate::drift::check::{DriftOptions, Unmanaged};
    use std::sync::Arc;
    let filter = PathFilter::new(&args.include, &args.exclude).map_err(fail)?;
    let today = waiver::Date::today().map_err(fail)?;
    let targets = cluster_targets(&args.clusters, args.kubeconfig.as_deref());
    let default_namespace = match (&args.default_namespace, targets.first()) {
        (Some(ns), _) => ns.clone(),
        (None, Some(first)) => crate::live::kubernetes::context_namespace(first).map_err(fail)?,
        (None, None) => "default".to_string(),
    };
    let rules = crate::drift::rules::Rules::builtin();
    let policies = policy::load(&policy::Settings {
        builtin: false,
        dirs: Vec::new(),
        rego_v0: false,
        include_tests: false,
        timeout: Duration::from_secs(5),
    })
    .map_err(|e| fail(format!("policy {e}")))?;
    let opts = ScanOptions {
        target: Target::Path(PathBuf::from(&args.path)),
        rev: args.rev.clone(),
        worktree: args.worktree,
        filter,
        load: LoadOptions::default(),
        profile_rules: false,
        waivers: waiver::Options {
            today,
            file: None,
            filtered: true,
        },
        shard: None,
        iac: crate::load::IacOptions::default(),
        progress: progress::wanted(args.quiet).then(Default::default),
        drift: Some(Arc::new(DriftOptions {
            clusters: Vec::new(),
            read: targets,
            key: key.clone(),
            rules,
            default_namespace,
            unmanaged: (!args.unmanaged_namespace.is_empty()).then(|| Unmanaged {
                namespaces: args.unmanaged_namespace.iter().cloned().collect(),
                selector: Vec::new(),
            }),
        })),
        aws: None,
    };
    let display = opts
        .progress
        .as_ref()
        .map(|c| progress::Display::start(Arc::clone(c)));
    let scanned = scan::run_with_live(&opts, &policies);
    if let Some(d) = display {
        d.finish();
    }
    let (result, clusters) = scanned.map_err(fail)?;
    if clusters.is_empty() {
        return Err(fail(format!(
            "{} declares no Kubernetes object at {}: nothing says which kinds to read",
            args.path, result.description
        )));
    }
    // Problems reading the declared files or the clusters: the snapshot lacks them.
    problems.extend(
        result
            .notifications
            .iter()
            .filter(|n| n.level == crate::model::NoteLevel::Error && n.code != "live-not-read")
            .map(|n| n.message.clone()),
    );
    Ok(clusters)
}
