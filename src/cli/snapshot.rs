//! `plumbline snapshot`: the live state the declared objects and Terraform states name,
//! read, redacted and written to a file for a later `scan --live-snapshot`.

use super::args::*;
use super::fail;
use crate::findings::exit;
use crate::load::LoadOptions;
use crate::policy;
use crate::progress;
use crate::scan::{self, ScanOptions, Target};
use crate::source::PathFilter;
use crate::textsafe;
use crate::triage::waiver;
use std::path::PathBuf;
use std::time::Duration;

/// `plumbline snapshot`: the declared objects say what to read; the clusters are read
/// exactly as a `scan --cluster` reads them, and the AWS accounts of `--tfstate` as a
/// `scan --tfstate` reads them, redacted, and written. Exit 0, or 3 when something could not
/// be read (the snapshot is written all the same and says what is missing), 2 on usage
/// errors.
pub(super) fn run_snapshot(args: SnapshotArgs) -> i32 {
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
    let clusters = if args.cluster.clusters.is_empty() {
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
    let filter = PathFilter::new(&args.source.include, &args.source.exclude).map_err(fail)?;
    let today = crate::date::Date::today().map_err(fail)?;
    let targets = args.cluster.targets();
    let default_namespace = match (&args.cluster.default_namespace, targets.first()) {
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
        rev: args.source.rev.clone(),
        worktree: args.source.worktree,
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
