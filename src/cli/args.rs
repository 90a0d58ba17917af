//! The command line's arguments (clap derive): the commands and their flags. `scan` and
//! `snapshot` share the flags that say what to read and where the clusters and AWS accounts
//! are.

use crate::bounded::parse_size;
use crate::findings::FailOn;
use crate::report::{self, ColorChoice, Format};
use crate::source::shard::Shard;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

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
    /// Print what the policies see, as YAML documents: Helm charts and Kustomize overlays
    /// rendered, Terraform and CloudFormation resources in the policy input model (like
    /// `conftest parse`).
    Render(Box<RenderArgs>),
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
    #[command(flatten)]
    pub source: SourceArgs,
    #[command(flatten)]
    pub policies: PolicyArgs,
    /// Time limit for one policy rule on one document, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0)]
    pub policy_timeout: f64,
    /// Skip (and report) files larger than SIZE (bytes, or with K/M/G suffix).
    #[arg(long, value_name = "SIZE", default_value = "50M", value_parser = parse_size)]
    pub max_file_size: u64,
    /// Terraform variable file applied to every root module after `terraform.tfvars` and
    /// `*.auto.tfvars` (repeatable; a path in the scanned tree, else on disk).
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<String>,
    /// Terraform variable `NAME=VALUE`, applied last (repeatable; VALUE is parsed as HCL when
    /// it is a number, bool, list or object, as `terraform -var` does).
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    pub vars: Vec<(String, String)>,
    /// Values file every Helm chart of the scan renders with, as `helm template -f FILE`
    /// (repeatable, in order; a path in the scanned tree, else on disk).
    #[arg(long = "helm-values", value_name = "FILE")]
    pub helm_values: Vec<String>,
    /// Value every Helm chart of the scan renders with, in Helm's `--set` syntax
    /// (`image.tag=1.2,ports[0]=80`; repeatable; applied after --helm-values).
    #[arg(long = "helm-set", value_name = "KEY=VALUE", value_parser = parse_helm_set)]
    pub helm_set: Vec<String>,
    /// Values for one chart, by directory (`helm_charts` in `.plumbline.yaml`; no flag).
    #[arg(skip)]
    pub helm_charts: std::collections::BTreeMap<String, crate::load::ChartValues>,
    /// Version of the Pod Security Standards, as the API server of that version enforces
    /// them: `latest` (default, v1.37) or `v1.N`; a namespace label's `latest` means it.
    #[arg(long = "pss-version", value_name = "VERSION", value_parser = parse_pss_version)]
    pub pss_version: Option<crate::policy::pss::Version>,
    /// Pod Security Standards level to report: `baseline`, or `restricted` (default, which
    /// includes the baseline).
    #[arg(long = "pss-level", value_name = "LEVEL", value_parser = parse_pss_level)]
    pub pss_level: Option<crate::policy::pss::Level>,
    /// Pod Security admission configuration (a PodSecurityConfiguration, or an
    /// AdmissionConfiguration with the PodSecurity plugin): defaults for namespaces without
    /// labels, and exempt namespaces, users and runtime classes.
    #[arg(long = "pss-admission-config", value_name = "FILE")]
    pub pss_admission_config: Option<PathBuf>,
    #[command(flatten)]
    pub modules: ModuleArgs,
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
    #[arg(long, value_name = "REV", conflicts_with_all = ["baseline", "clusters"])]
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
    #[command(flatten)]
    pub cluster: ClusterArgs,
    // Drift (AWS)
    #[command(flatten)]
    pub aws: AwsArgs,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Directory or file to render.
    #[arg(default_value = ".")]
    pub path: String,
    #[command(flatten)]
    pub source: SourceArgs,
    /// Values file for every Helm chart, as `helm template -f FILE` (repeatable).
    #[arg(long = "helm-values", value_name = "FILE")]
    pub helm_values: Vec<String>,
    /// Value for every Helm chart, in Helm's `--set` syntax (repeatable).
    #[arg(long = "helm-set", value_name = "KEY=VALUE", value_parser = parse_helm_set)]
    pub helm_set: Vec<String>,
    /// Terraform variable file (repeatable).
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<String>,
    /// Terraform variable `NAME=VALUE` (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    pub vars: Vec<(String, String)>,
    /// Print each document's whole policy input (`input`, with `related` and `module` where
    /// the document has them) as one JSON object per line, instead of YAML.
    #[arg(long)]
    pub input_json: bool,
    #[command(flatten)]
    pub modules: ModuleArgs,
    /// Skip (and report) files larger than SIZE.
    #[arg(long, value_name = "SIZE", default_value = "50M", value_parser = parse_size)]
    pub max_file_size: u64,
}

/// What to read from the scanned path: a Git revision or the working tree, and which files
/// (shared by `scan` and `snapshot`).
#[derive(Debug, Clone, Args)]
pub struct SourceArgs {
    /// Git revision to read inside a repository: branch, tag, SHA, HEAD~2…
    #[arg(long, default_value = "HEAD", conflicts_with = "worktree")]
    pub rev: String,
    /// Read files as they are on disk (uncommitted changes included), respecting .gitignore.
    #[arg(long)]
    pub worktree: bool,
    /// Only read files matching GLOB (repeatable), e.g. 'deploy/**'.
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,
    /// Do not read files matching GLOB (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
}

/// Terraform modules from outside the scanned tree (shared by `scan` and `render`).
#[derive(Debug, Clone, Default, Args)]
pub struct ModuleArgs {
    /// Download Terraform modules from registries, HTTPS archives and GitHub when
    /// `.terraform/modules` does not hold them (network access; into --module-cache).
    #[arg(long)]
    pub download_modules: bool,
    /// Cache of downloaded modules (default: the user's cache directory,
    /// `~/.cache/plumbline/modules`).
    #[arg(long, value_name = "DIR")]
    pub module_cache: Option<std::path::PathBuf>,
    /// Time limit for downloading one module, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0)]
    pub module_timeout: f64,
}

impl ModuleArgs {
    /// The downloader `--download-modules` asks for (`None` without it: no network access).
    pub fn fetcher(
        &self,
    ) -> Result<Option<std::sync::Arc<crate::source::modules::Fetcher>>, String> {
        use crate::source::modules::{FetchOptions, Fetcher};
        if !self.download_modules {
            return Ok(None);
        }
        if !(self.module_timeout.is_finite() && self.module_timeout > 0.0) {
            return Err(format!(
                "--module-timeout {} is not a positive number of seconds",
                self.module_timeout
            ));
        }
        let cache = match &self.module_cache {
            Some(dir) => dir.clone(),
            None => FetchOptions::default_cache_dir().ok_or(
                "--download-modules needs a cache directory: no user cache directory was found \
                 (HOME, XDG_CACHE_HOME); give one with --module-cache DIR",
            )?,
        };
        let timeout = std::time::Duration::from_secs_f64(self.module_timeout);
        Ok(Some(std::sync::Arc::new(Fetcher::new(FetchOptions::new(
            cache, timeout,
        )))))
    }
}

/// Which live clusters to read, and how (shared by `scan` and `snapshot`).
#[derive(Debug, Clone, Default, Args)]
pub struct ClusterArgs {
    /// Compare the declared Kubernetes objects with (for `snapshot`: read) the live cluster
    /// of kubeconfig context CONTEXT (repeatable; `in-cluster` for the service account of
    /// the pod plumbline runs in). Read-only: only GET requests (and access reviews) are
    /// sent.
    #[arg(long = "cluster", value_name = "CONTEXT")]
    pub clusters: Vec<String>,
    /// The kubeconfig file for --cluster (default: $KUBECONFIG, else ~/.kube/config).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Namespace of namespaced objects declared without one, as `kubectl apply` defaults it
    /// (default: the first --cluster context's namespace, else `default`).
    #[arg(long, value_name = "NS")]
    pub default_namespace: Option<String>,
}

impl ClusterArgs {
    /// The `--cluster` values as reader targets (`in-cluster` is the pod's service account).
    pub fn targets(&self) -> Vec<crate::live::kubernetes::ClusterTarget> {
        self.clusters
            .iter()
            .map(|c| crate::live::kubernetes::ClusterTarget {
                context: Some(c.clone()),
                kubeconfig: self.kubeconfig.clone(),
            })
            .collect()
    }
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

/// A `--helm-set` value, checked with Helm's `--set` parser.
/// `--pss-version`: `latest` or `v1.N`.
pub fn parse_pss_version(s: &str) -> Result<crate::policy::pss::Version, String> {
    crate::policy::pss::Version::parse(s)
}

/// `--pss-level`: `baseline` or `restricted` (`privileged` would report nothing).
pub fn parse_pss_level(s: &str) -> Result<crate::policy::pss::Level, String> {
    match crate::policy::pss::Level::parse(s)? {
        crate::policy::pss::Level::Privileged => {
            Err("privileged checks nothing: use baseline or restricted".to_string())
        }
        level => Ok(level),
    }
}

pub fn parse_helm_set(s: &str) -> Result<String, String> {
    crate::load::helm::values::parse_set(s).map(|_| s.to_string())
}

pub fn parse_var(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_string(), value.to_string()))
        }
        _ => Err(format!("expected NAME=VALUE, got {s:?}")),
    }
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

#[derive(Debug, Args)]
#[command(group(
    clap::ArgGroup::new("live")
        .args(["clusters", "tfstates"])
        .required(true)
        .multiple(true)
))]
pub struct SnapshotArgs {
    /// Repository or directory whose declared Kubernetes objects say which kinds and
    /// namespaces to read.
    #[arg(default_value = ".")]
    pub path: String,
    #[command(flatten)]
    pub source: SourceArgs,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// The AWS accounts the Terraform states describe (--tfstate; with --aws-unmanaged, every
    /// resource of the states' types, for a later `scan --aws-unmanaged`).
    #[command(flatten)]
    pub aws: AwsArgs,
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
