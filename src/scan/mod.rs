//! The static pipeline, end to end: source → load → policy → findings.

pub mod base;
mod pss;

use crate::findings::{parse_rule, sort_findings, ScanResult, Stats, PARSE_RULE_ID};
use crate::load::{self, Document, LoadOptions, SourceFile};
use crate::model::{fingerprint, Finding, FindingLevel, NoteLevel, Notification, Severity};
use crate::policy::eval::Mode;
use crate::policy::{self, PolicySet};
use crate::progress::Counters;
use crate::source::shard::Shard;
use crate::source::{self, git, stdin, Candidate, Listing, Origin, PathFilter, SourceError};
use crate::triage::waiver::{self, Waiver};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What to scan.
#[derive(Debug, Clone)]
pub enum Target {
    Path(PathBuf),
    /// A multi-document stream read from standard input.
    Stdin(Vec<u8>),
}

#[derive(Debug, Clone)]
pub struct ScanOptions {
    pub target: Target,
    /// Revision to read when the target is inside a Git repository.
    pub rev: String,
    /// Read files from disk even inside a repository.
    pub worktree: bool,
    pub filter: PathFilter,
    pub load: LoadOptions,
    /// Also measure each rule's evaluation time (a second, per-rule pass; `--timings`).
    pub profile_rules: bool,
    /// Inline waivers, the waiver file, and the date expiry is checked against.
    pub waivers: waiver::Options,
    /// `--shard I/N`: scan only this part of the listed files.
    pub shard: Option<Shard>,
    /// Terraform variables (`--var-file`, `--var`).
    pub iac: load::IacOptions,
    /// Counters for the progress display, when one is shown.
    pub progress: Option<Arc<Counters>>,
    /// Compare the declared Kubernetes objects with live state (`--live-snapshot`). Their
    /// documents are then kept until the scan ends, and `load.keep_kinds` must be `None`.
    pub drift: Option<Arc<crate::drift::check::DriftOptions>>,
    /// Compare Terraform states with live AWS (`--tfstate`). Its reading starts before the
    /// scan (the states say what to read), so it overlaps the policy evaluation.
    pub aws: Option<Arc<crate::drift::aws::AwsDriftOptions>>,
}

/// How many entries the slowest-files and slowest-rules lists keep.
const SLOWEST: usize = 8;

fn slowest(mut items: Vec<(String, Duration)>) -> Vec<(String, Duration)> {
    items.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    items.truncate(SLOWEST);
    items
}

/// Errors that stop the scan before it starts (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("{0}; fix the waiver file (see \"Waivers and suppressions\" in the README)")]
    Waivers(#[from] waiver::file::WaiverFileError),
    /// The AWS reader could not be started.
    #[error("{0}")]
    AwsRead(String),
}

/// Lists the files of the target.
pub fn list(opts: &ScanOptions) -> Result<(Listing, Option<gix::ThreadSafeRepository>), ScanError> {
    match &opts.target {
        Target::Stdin(bytes) => Ok((stdin::list(bytes.clone()), None)),
        Target::Path(path) => {
            if !path.exists() {
                return Err(SourceError::Usage(format!(
                    "{}: no such file or directory",
                    path.display()
                ))
                .into());
            }
            match git::discover(path) {
                Some(located) if !opts.worktree => {
                    let listing = git::list(&located, &opts.rev, &opts.filter)?;
                    Ok((listing, Some(located.repo.into_sync())))
                }
                Some(located) => {
                    let report_root = located.root.clone();
                    Ok((
                        source::worktree::list(path, &report_root, &opts.filter)?,
                        None,
                    ))
                }
                None => {
                    if opts.rev != "HEAD" {
                        return Err(SourceError::Usage(format!(
                            "--rev {} needs a Git repository, and {} is not inside one",
                            opts.rev,
                            path.display()
                        ))
                        .into());
                    }
                    let root = if path.is_file() {
                        match path.parent() {
                            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                            _ => PathBuf::from("."),
                        }
                    } else {
                        path.clone()
                    };
                    Ok((source::worktree::list(path, &root, &opts.filter)?, None))
                }
            }
        }
    }
}

fn read(candidate: &Candidate, repo: Option<&gix::Repository>) -> Result<Vec<u8>, String> {
    match &candidate.origin {
        Origin::Blob(id) => match repo {
            Some(r) => git::read_blob(r, *id),
            None => Err("internal: blob without repository".into()),
        },
        Origin::Disk(p) => std::fs::read(p).map_err(|e| e.to_string()),
        Origin::Memory(b) => Ok(b.to_vec()),
    }
}

/// Reads and parses one file (the size is checked first, so a huge file is never read).
fn load_one(
    c: &Candidate,
    repo: Option<&gix::Repository>,
    opts: &LoadOptions,
    files: &dyn load::Files,
) -> load::Loaded {
    let size = match (&c.origin, repo) {
        (Origin::Blob(id), Some(r)) => r.find_header(*id).ok().map(|h| h.size()),
        _ => c.size,
    };
    if let Some(size) = size {
        if size > opts.max_file_bytes {
            return load::too_large(&c.path, size, opts.max_file_bytes);
        }
    }
    let reading = Instant::now();
    match read(c, repo) {
        Ok(bytes) => {
            let read_time = reading.elapsed();
            let parsing = Instant::now();
            let mut loaded = load::load_single(&c.path, &bytes, opts, files);
            loaded.read_time = read_time;
            loaded.parse_time = parsing.elapsed();
            loaded
        }
        Err(e) => load::Loaded {
            notifications: vec![Notification::new(
                NoteLevel::Error,
                "read-error",
                format!("{}: cannot read the file: {e}", c.path),
            )
            .at(c.path.clone(), None)],
            ..Default::default()
        },
    }
}

/// The files of a scan, for the loaders whose unit is several files (Terraform modules,
/// Kustomize overlays). Files are decoded once and shared.
struct ScanFiles<'a> {
    paths: Vec<String>,
    by_path: std::collections::HashMap<&'a str, &'a Candidate>,
    repo: Option<&'a gix::ThreadSafeRepository>,
    max_bytes: u64,
    cache: std::sync::Mutex<std::collections::HashMap<String, Arc<SourceFile>>>,
    /// Where files the listing left out are read from (Kustomize generator sources): the
    /// scanned commit, or the directory on disk.
    root: Option<PathBuf>,
    commit: Option<String>,
}

impl<'a> ScanFiles<'a> {
    fn new(
        candidates: &'a [Candidate],
        repo: Option<&'a gix::ThreadSafeRepository>,
        max_bytes: u64,
    ) -> Self {
        let mut paths: Vec<String> = candidates.iter().map(|c| c.path.clone()).collect();
        paths.sort();
        Self {
            paths,
            by_path: candidates.iter().map(|c| (c.path.as_str(), c)).collect(),
            repo,
            max_bytes,
            cache: Default::default(),
            root: None,
            commit: None,
        }
    }

    fn read_unlisted_bytes(&self, path: &str) -> Option<Result<Vec<u8>, String>> {
        if let (Some(repo), Some(commit)) = (self.repo, &self.commit) {
            let repo = repo.to_thread_local();
            let id = gix::ObjectId::from_hex(commit.as_bytes()).ok()?;
            let tree = repo.find_commit(id).ok()?.tree().ok()?;
            let entry = tree.lookup_entry_by_path(path).ok()??;
            if entry.mode().is_link() {
                return Some(Err(format!(
                    "{path} is a symbolic link in the revision; a file read outside the scan's \
                     listing is read only when it is a regular file, so replace the link with \
                     the file"
                )));
            }
            if !entry.mode().is_blob() {
                return Some(Err(format!(
                    "{path} is a directory or a submodule in the revision, not a file; fix the \
                     path"
                )));
            }
            let header = repo.find_header(entry.oid()).ok()?;
            if header.size() > self.max_bytes {
                return Some(Err(format!(
                    "{path}: {} bytes is above the {}-byte limit, so it was not read",
                    header.size(),
                    self.max_bytes
                )));
            }
            return Some(
                repo.find_object(entry.oid())
                    .map(|o| o.data.clone())
                    .map_err(|e| format!("{path}: cannot read the file: {e}")),
            );
        }
        let root = std::fs::canonicalize(self.root.as_ref()?).ok()?;
        let joined = root.join(path);
        let full = match std::fs::canonicalize(&joined) {
            Ok(full) => full,
            // A link that leads nowhere (or in a loop) is not "missing": say what it is.
            Err(_) if std::fs::symlink_metadata(&joined).is_ok() => {
                return Some(Err(format!(
                    "{path} is a symbolic link that leads nowhere (dangling, or a loop); fix \
                     the link or replace it with the file"
                )));
            }
            Err(_) => return None,
        };
        // Never read through a link that leaves the tree.
        if !full.starts_with(&root) {
            return Some(Err(format!(
                "{path} leads outside the repository (through `..` or a symbolic link), so it \
                 was not read; keep the file inside the repository"
            )));
        }
        let meta = std::fs::metadata(&full).ok()?;
        if meta.is_dir() {
            return Some(Err(format!(
                "{path} is a directory, not a file; fix the path"
            )));
        }
        if !meta.is_file() {
            return Some(Err(format!(
                "{path} is not a regular file (a FIFO, socket or device), so it was not read; \
                 replace it with a regular file"
            )));
        }
        let size = meta.len();
        if size > self.max_bytes {
            return Some(Err(format!(
                "{path}: {size} bytes is above the {}-byte limit, so it was not read",
                self.max_bytes
            )));
        }
        Some(std::fs::read(&full).map_err(|e| format!("{path}: cannot read the file: {e}")))
    }
}

impl ScanFiles<'_> {
    /// The files under `dir` in the scanned commit or on disk (see
    /// [`load::Files::unlisted_under`]); links and special files are left out.
    fn files_under(&self, dir: &str) -> Vec<String> {
        const MAX: usize = 20_000;
        let mut out = Vec::new();
        if let (Some(repo), Some(commit)) = (self.repo, &self.commit) {
            let repo = repo.to_thread_local();
            let Ok(id) = gix::ObjectId::from_hex(commit.as_bytes()) else {
                return out;
            };
            let Some(tree) = repo.find_commit(id).ok().and_then(|c| c.tree().ok()) else {
                return out;
            };
            let sub = if dir.is_empty() {
                Some(tree.id)
            } else {
                match tree.lookup_entry_by_path(dir) {
                    Ok(Some(e)) if e.mode().is_tree() => Some(e.oid().to_owned()),
                    _ => None,
                }
            };
            let Some(sub) = sub else {
                return out;
            };
            let walked = crate::source::git::walk(&repo, sub);
            for (path, entry) in walked.entries {
                if entry.kind == gix::objs::tree::EntryKind::Blob
                    || entry.kind == gix::objs::tree::EntryKind::BlobExecutable
                {
                    out.push(if dir.is_empty() {
                        path
                    } else {
                        format!("{dir}/{path}")
                    });
                }
                if out.len() >= MAX {
                    break;
                }
            }
            out.sort();
            return out;
        }
        let Some(root) = self.root.as_ref() else {
            return out;
        };
        let mut pending = vec![(dir.to_string(), root.join(dir))];
        while let Some((rel, path)) = pending.pop() {
            let Ok(entries) = std::fs::read_dir(&path) else {
                continue;
            };
            for e in entries.flatten() {
                let Ok(kind) = e.file_type() else { continue };
                let name = e.file_name().to_string_lossy().into_owned();
                let child = if rel.is_empty() {
                    name
                } else {
                    format!("{rel}/{name}")
                };
                if kind.is_dir() {
                    if child.rsplit('/').next() != Some(".git") {
                        pending.push((child, e.path()));
                    }
                } else if kind.is_file() {
                    out.push(child);
                }
                if out.len() >= MAX {
                    out.sort();
                    return out;
                }
            }
        }
        out.sort();
        out
    }
}

impl load::Files for ScanFiles<'_> {
    fn paths(&self) -> &[String] {
        &self.paths
    }

    fn read(&self, path: &str) -> Option<Result<Arc<SourceFile>, String>> {
        let result = self.peek(path)?;
        if let (Ok(file), Ok(mut cache)) = (&result, self.cache.lock()) {
            cache.insert(path.to_string(), Arc::clone(file));
        }
        Some(result)
    }

    fn peek(&self, path: &str) -> Option<Result<Arc<SourceFile>, String>> {
        let c = self.by_path.get(path)?;
        if let Some(file) = self.cache.lock().ok()?.get(path) {
            return Some(Ok(Arc::clone(file)));
        }
        let repo = self.repo.map(|r| r.to_thread_local());
        let size = match (&c.origin, &repo) {
            (Origin::Blob(id), Some(r)) => r.find_header(*id).ok().map(|h| h.size()),
            _ => c.size,
        };
        if let Some(size) = size {
            if size > self.max_bytes {
                return Some(Err(format!(
                    "{path}: {size} bytes is above the {}-byte limit, so it was not read; raise \
                     --max-file-size or exclude the file with --exclude",
                    self.max_bytes
                )));
            }
        }
        let result = read(c, repo.as_ref())
            .map_err(|e| format!("{path}: cannot read the file: {e}"))
            .and_then(|bytes| load::decode_text(path, &bytes))
            .map(|text| Arc::new(SourceFile::new(path.to_string(), text)));
        Some(result)
    }

    fn unlisted_under(&self, dir: &str) -> Vec<String> {
        self.files_under(dir)
            .into_iter()
            .filter(|p| !self.by_path.contains_key(p.as_str()))
            .collect()
    }

    fn read_bytes(&self, path: &str) -> Option<Result<Vec<u8>, String>> {
        self.read_unlisted_bytes(path)
    }

    fn read_unlisted(&self, path: &str) -> Option<Result<Arc<SourceFile>, String>> {
        let result = self
            .read_unlisted_bytes(path)?
            .and_then(|bytes| load::decode_text(path, &bytes))
            .map(|text| Arc::new(SourceFile::new(path.to_string(), text)));
        Some(result)
    }
}

/// The groups (Terraform root modules, kustomizations) among the files of a listing.
pub fn plan_listing(
    listing: &Listing,
    repo: Option<&gix::ThreadSafeRepository>,
    opts: &ScanOptions,
) -> load::Plan {
    load::plan(&scan_files(listing, repo, opts))
}

/// The files of a listing, for the loaders.
fn scan_files<'a>(
    listing: &'a Listing,
    repo: Option<&'a gix::ThreadSafeRepository>,
    opts: &ScanOptions,
) -> ScanFiles<'a> {
    let mut files = ScanFiles::new(&listing.candidates, repo, opts.load.max_file_bytes);
    files.root = listing.root.clone();
    files.commit = listing.commit.clone();
    files
}

/// One unit of work: a file loaded on its own, or a group of files loaded together.
enum Unit<'a> {
    File(&'a Candidate),
    Group(load::Group),
}

impl Unit<'_> {
    fn path(&self) -> &str {
        match self {
            Unit::File(c) => &c.path,
            Unit::Group(g) => g.path(),
        }
    }
}

/// What one file produced. Its documents are dropped on the worker once evaluated, so memory
/// holds only the files being worked on, plus the text of files that have findings.
#[derive(Default)]
struct FileOutcome {
    findings: Vec<Finding>,
    notifications: Vec<Notification>,
    documents: usize,
    resources: usize,
    evaluations: usize,
    read_time: Duration,
    parse_time: Duration,
    eval_time: Duration,
    /// The text of the files that have findings (source lines in text output).
    sources: Vec<Arc<SourceFile>>,
    /// The documents themselves, kept only for `--timings`' per-rule pass.
    kept: Vec<Document>,
    /// Waivers written in the file (comments, annotations).
    waivers: Vec<Waiver>,
}

/// Documents of one unit from which its evaluation is split across the workers.
const PARALLEL_DOCS: usize = 64;

/// Reads and parses one unit: a file, or a group of files loaded together.
fn load_unit(
    unit: &Unit,
    repo: Option<&gix::Repository>,
    files: &dyn load::Files,
    opts: &ScanOptions,
) -> load::Loaded {
    match unit {
        Unit::File(c) => load_one(c, repo, &opts.load, files),
        Unit::Group(g) => {
            let started = Instant::now();
            let mut loaded = load::load_group(files, g, &opts.load, &opts.iac);
            loaded.parse_time = started.elapsed();
            loaded
        }
    }
}

/// Read → parse → evaluate for one unit, on one worker (a large unit's documents are
/// evaluated in parallel).
fn process_unit(
    unit: &Unit,
    repo: Option<&gix::Repository>,
    files: &dyn load::Files,
    engine: &mut regorus::Engine,
    policies: &PolicySet,
    opts: &ScanOptions,
    namespace_pass: bool,
) -> FileOutcome {
    let loaded = load_unit(unit, repo, files, opts);
    let mut out = FileOutcome {
        notifications: loaded.notifications,
        documents: loaded.documents.len(),
        resources: loaded
            .documents
            .iter()
            // A Kubernetes object a Terraform resource describes (both set) is that resource,
            // already counted.
            .filter(|d| d.is_kubernetes() != d.subject.is_some())
            .count(),
        read_time: loaded.read_time,
        parse_time: loaded.parse_time,
        ..FileOutcome::default()
    };
    let (waivers, waiver_notes) = waiver::inline::collect(&loaded.documents);
    out.waivers = waivers;
    out.notifications.extend(waiver_notes);
    if let Some((file, pos, message)) = loaded.parse_error {
        out.findings.push(parse_finding(&file, pos, &message));
    }
    if !policies.packages.is_empty() {
        let evaluating = Instant::now();
        // A large group (a Terraform root module of hundreds of resources, each with the
        // others as `related`) is evaluated across the workers, in document order.
        let outcomes: Vec<policy::eval::Outcome> = if loaded.documents.len() >= PARALLEL_DOCS {
            use rayon::prelude::*;
            loaded
                .documents
                .par_iter()
                .map_init(
                    || policies.engine.clone(),
                    |engine, doc| policy::eval::evaluate(engine, policies, doc, Mode::Batched),
                )
                .collect()
        } else {
            loaded
                .documents
                .iter()
                .map(|doc| policy::eval::evaluate(engine, policies, doc, Mode::Batched))
                .collect()
        };
        for o in outcomes {
            out.evaluations += o.evaluations;
            out.findings.extend(o.findings);
            out.notifications.extend(o.notifications);
        }
        out.eval_time = evaluating.elapsed();
    }
    if !out.findings.is_empty() {
        let wanted: std::collections::BTreeSet<&str> =
            out.findings.iter().map(|f| f.file.as_str()).collect();
        let mut seen = std::collections::BTreeSet::new();
        for doc in &loaded.documents {
            let origin = doc.module_origin.as_ref().map(|o| &o.file);
            for file in std::iter::once(&doc.file)
                .chain(&doc.extra_files)
                .chain(origin)
            {
                if wanted.contains(file.path.as_str()) && seen.insert(file.path.clone()) {
                    out.sources.push(Arc::clone(file));
                }
            }
        }
    }
    if opts.profile_rules {
        out.kept = loaded.documents;
    } else if opts.drift.is_some() {
        out.kept = loaded
            .documents
            .into_iter()
            .filter(Document::is_kubernetes)
            .collect();
    } else if namespace_pass || policy::admission::active(policies) {
        // The namespace rules' objects, and the pods and Namespaces of the admission pass.
        let admission = policy::admission::active(policies);
        out.kept = loaded
            .documents
            .into_iter()
            .filter(|d| {
                (namespace_pass && policy::namespace::wanted(policies, d))
                    || (admission && policy::admission::wanted(d))
            })
            .collect();
    }
    out
}

/// Runs the whole static scan: one parallel pass over the files, each read, parsed and
/// evaluated by the same worker (one engine clone per worker), with no barrier between
/// stages.
pub fn run(opts: &ScanOptions, policies: &PolicySet) -> Result<ScanResult, ScanError> {
    run_with_live(opts, policies).map(|(result, _)| result)
}

/// [`run`], also returning the clusters its live stage read (redacted), for
/// `plumbline snapshot`.
pub fn run_with_live(
    opts: &ScanOptions,
    policies: &PolicySet,
) -> Result<(ScanResult, Vec<crate::live::LiveCluster>), ScanError> {
    let listing_started = Instant::now();
    let (listing, repo) = list(opts)?;
    run_stages(listing, repo, listing_started.elapsed(), opts, policies)
}

/// The scan of files already listed (by [`list`], possibly narrowed down, as the
/// merge-request gate does), or of the shard of them that `opts.shard` names; `list_time` is
/// the time the listing took, for `--timings`.
pub fn run_listed(
    listing: Listing,
    repo: Option<gix::ThreadSafeRepository>,
    list_time: Duration,
    opts: &ScanOptions,
    policies: &PolicySet,
) -> Result<ScanResult, ScanError> {
    run_stages(listing, repo, list_time, opts, policies).map(|(result, _)| result)
}

/// The stages in order: plan, load and evaluate (one parallel pass), namespace rules, the
/// live read and the drift checks, waivers. Returns the result and the clusters read.
fn run_stages(
    mut listing: Listing,
    repo: Option<gix::ThreadSafeRepository>,
    list_time: Duration,
    opts: &ScanOptions,
    policies: &PolicySet,
) -> Result<(ScanResult, Vec<crate::live::LiveCluster>), ScanError> {
    // AWS is read on its own thread from the start, so that the reading overlaps the scan;
    // the AWS drift check waits for it.
    let aws_read = match opts.aws.as_ref().and_then(|a| a.read.clone()) {
        Some(plan) => Some(crate::live::aws::start(plan).map_err(ScanError::AwsRead)?),
        None => None,
    };
    // Groups (Terraform root modules, kustomizations) are found among all the listed files,
    // so that a shard keeps each group whole.
    let mut plan = plan_listing(&listing, repo.as_ref(), opts);
    // Namespace rules need every object of a namespace. A scan of the changed files alone
    // (the merge-request gate) does not see them all: there they are left out, and a note
    // says so. Sharded, the first shard evaluates them over every file (it also parses the
    // other shards' Kubernetes objects, without checking them otherwise), and the other
    // shards leave them to it.
    let namespace_possible = policies.has_namespace_rules() && !listing.narrowed;
    let namespace_pass = namespace_possible && opts.shard.is_none_or(|s| s.index == 1);
    let outside = (namespace_pass && opts.shard.is_some()).then(|| Outside {
        candidates: listing.candidates.clone(),
        groups: plan.groups.clone(),
        consumed: plan.consumed.clone(),
    });
    // Sharding comes after --include/--exclude and the gate's narrowing: a shard of the
    // units this scan would otherwise load (a group goes by its directory).
    let elsewhere = match opts.shard {
        Some(shard) => keep_shard(&mut listing, &mut plan, shard),
        None => Vec::new(),
    };
    let mut waivers = waiver::file::load(&opts.waivers, &listing, repo.as_ref())?;
    waiver::file::set_scope(
        &mut waivers,
        &listing
            .candidates
            .iter()
            .map(|c| c.path.as_str())
            .collect::<Vec<_>>(),
        &elsewhere,
        whole_tree(opts, &listing),
    );
    if let Some(p) = &opts.progress {
        p.add_files(listing.candidates.len());
    }
    let started = Instant::now();
    let listing_notes = std::mem::take(&mut listing.notifications);
    let files = scan_files(&listing, repo.as_ref(), opts);
    let mut units: Vec<Unit> = plan.groups.into_iter().map(Unit::Group).collect();
    units.extend(
        listing
            .candidates
            .iter()
            .filter(|c| !plan.consumed.contains(&c.path))
            .map(Unit::File),
    );
    let outcomes = process_units(
        &units,
        repo.as_ref(),
        &files,
        policies,
        opts,
        namespace_pass,
    );
    let mut stats = Stats {
        files: listing.candidates.len(),
        rules: policies.packages.len(),
        list: list_time,
        process: started.elapsed(),
        ..Stats::default()
    };
    let mut file_times = Vec::with_capacity(outcomes.len());
    let mut notifications = listing_notes;
    notifications.extend(plan.notifications);
    let mut findings = Vec::new();
    let mut sources = BTreeMap::new();
    let mut documents: Vec<Document> = Vec::new();
    for (o, unit) in outcomes.into_iter().zip(&units) {
        stats.read_cpu += o.read_time;
        stats.parse_cpu += o.parse_time;
        stats.eval_cpu += o.eval_time;
        stats.documents += o.documents;
        stats.resources += o.resources;
        stats.evaluations += o.evaluations;
        file_times.push((unit.path().to_string(), o.read_time + o.parse_time));
        notifications.extend(o.notifications);
        findings.extend(o.findings);
        for src in o.sources {
            sources.insert(src.path.clone(), src);
        }
        documents.extend(o.kept);
        waivers.extend(o.waivers);
    }
    stats.slowest_files = slowest(file_times);
    if namespace_pass {
        if let (Some(outside), Some(shard)) = (&outside, opts.shard) {
            let loading = Instant::now();
            let (docs, found) =
                load_outside(outside, shard, repo.as_ref(), &listing, opts, policies);
            stats.parse_cpu += loading.elapsed();
            documents.extend(docs);
            waivers.extend(found);
        }
        let evaluating = Instant::now();
        let (o, files) = policy::namespace::run(&mut documents, policies);
        stats.namespace = evaluating.elapsed();
        stats.evaluations += o.evaluations;
        findings.extend(o.findings);
        notifications.extend(o.notifications);
        for file in files {
            sources.insert(file.path.clone(), file);
        }
    } else if policies.has_namespace_rules() && !namespace_possible {
        notifications.push(namespace_rules_skipped(policies));
    }
    if opts.profile_rules && !policies.packages.is_empty() {
        stats.slowest_rules = profile_rules(&documents, policies);
    }
    let mut rules = policies.rules();
    if namespace_possible && !namespace_pass {
        // Another shard (the first) evaluates the namespace rules and lists them.
        let ids = policies.namespace_rule_ids();
        rules.retain(|r| !ids.contains(&r.id.as_str()));
    }
    let mut live_read = Vec::new();
    if opts.drift.is_some() || opts.aws.is_some() {
        let checking = Instant::now();
        let (outcomes, read) = drift_stage(&documents, &files, opts, policies, aws_read);
        stats.drift = checking.elapsed();
        live_read = read;
        for checked in outcomes {
            findings.extend(checked.findings);
            notifications.extend(checked.notifications);
            stats.rules += checked.rules.len();
            rules.extend(checked.rules);
            for file in checked.files {
                sources.insert(file.path.clone(), file);
            }
        }
    }
    if policy::admission::active(policies) {
        // Pod Security admission per namespace, with the live namespaces' labels when a
        // cluster was read.
        let checked = pss::admission_stage(&documents, policies, opts, &live_read);
        stats.evaluations += checked.evaluations;
        findings.retain(|f| !checked.replaced.contains(&f.fingerprint));
        findings.extend(checked.findings);
        notifications.extend(checked.notifications);
        rules.extend(checked.rules);
        for file in checked.files {
            sources.insert(file.path.clone(), file);
        }
    }
    documents.into_par_iter().for_each(drop);
    if findings.iter().any(|f| f.rule_id == PARSE_RULE_ID) {
        rules.push(parse_rule());
    }
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    notifications.extend(waiver::apply(
        &mut findings,
        &waivers,
        opts.waivers.today,
        &rules,
    ));
    finish(&mut findings, &mut notifications);
    let result = ScanResult {
        description: listing.description,
        commit: listing.commit,
        commit_time: listing.commit_time,
        shard: opts.shard,
        rules,
        findings,
        notifications,
        stats,
        sources,
    };
    Ok((result, live_read))
}

/// Narrows `listing` and `plan` to the units of `shard` (a group goes by its directory, with
/// all its files); returns the paths left to other shards.
fn keep_shard(listing: &mut Listing, plan: &mut load::Plan, shard: Shard) -> Vec<String> {
    plan.groups.retain(|g| shard.contains(g.path()));
    let mut keep: std::collections::BTreeSet<String> = listing
        .candidates
        .iter()
        .filter(|c| !plan.consumed.contains(&c.path) && shard.contains(&c.path))
        .map(|c| c.path.clone())
        .collect();
    let mut read_only = Vec::new();
    for g in &plan.groups {
        for m in plan.members.get(g).into_iter().flatten() {
            keep.insert(m.clone());
            // A file the group only reads (a release's manifest) that belongs to another
            // shard is checked there, not here too.
            if !plan.consumed.contains(m) && !shard.contains(m) {
                read_only.push(m.clone());
            }
        }
    }
    plan.consumed.extend(read_only);
    listing.keep_paths(&keep, shard)
}

/// The parallel pass: each unit (a file or a group) read, parsed and evaluated by one worker,
/// with one engine clone per worker.
fn process_units(
    units: &[Unit],
    repo: Option<&gix::ThreadSafeRepository>,
    files: &ScanFiles,
    policies: &PolicySet,
    opts: &ScanOptions,
    namespace_pass: bool,
) -> Vec<FileOutcome> {
    units
        .par_iter()
        .map_init(
            || {
                (
                    repo.as_ref().map(|r| r.to_thread_local()),
                    policies.engine.clone(),
                )
            },
            |(repo, engine), unit| {
                let outcome = process_unit(
                    unit,
                    repo.as_ref(),
                    files,
                    engine,
                    policies,
                    opts,
                    namespace_pass,
                );
                if let Some(p) = &opts.progress {
                    p.file_done(outcome.documents, outcome.findings.len());
                }
                outcome
            },
        )
        .collect()
}

/// The live read and the drift checks: clusters and AWS side by side (each waits on its own
/// reading). Returns the outcomes (clusters first) and the clusters read.
fn drift_stage(
    documents: &[Document],
    files: &ScanFiles,
    opts: &ScanOptions,
    policies: &PolicySet,
    aws_read: Option<crate::live::aws::Pending>,
) -> (
    Vec<crate::drift::check::Outcome>,
    Vec<crate::live::LiveCluster>,
) {
    let (k8s, aws) = rayon::join(
        || {
            opts.drift.as_ref().map(|d| {
                let read = read_clusters(d, &crate::drift::check::live_requests(documents, d));
                let kept = read.clone();
                (
                    crate::drift::check::check(documents, read, d, Some(policies)),
                    kept,
                )
            })
        },
        || {
            opts.aws.as_ref().map(|a| {
                let read = aws_read
                    .map(crate::live::aws::Pending::wait)
                    .unwrap_or_default();
                crate::drift::aws::check(documents, files, a, &read, Some(policies))
            })
        },
    );
    let mut live_read = Vec::new();
    let k8s = k8s.map(|(outcome, read)| {
        live_read = read;
        outcome
    });
    (k8s.into_iter().chain(aws).collect(), live_read)
}

/// What the policies see, without evaluating them (`plumbline render`): every document the
/// scan of `opts` loads (charts and kustomizations rendered, Terraform and CloudFormation
/// resources in the policy input model), in file order, with the notifications of loading.
pub fn load_documents(
    opts: &ScanOptions,
) -> Result<(Vec<Document>, Vec<Notification>, String), ScanError> {
    let (listing, repo) = list(opts)?;
    let plan = plan_listing(&listing, repo.as_ref(), opts);
    let files = scan_files(&listing, repo.as_ref(), opts);
    let mut units: Vec<Unit> = plan.groups.iter().cloned().map(Unit::Group).collect();
    units.extend(
        listing
            .candidates
            .iter()
            .filter(|c| !plan.consumed.contains(&c.path))
            .map(Unit::File),
    );
    let loaded: Vec<load::Loaded> = units
        .par_iter()
        .map_init(
            || repo.as_ref().map(|r| r.to_thread_local()),
            |repo, unit| load_unit(unit, repo.as_ref(), &files, opts),
        )
        .collect();
    let mut notifications = listing.notifications.clone();
    notifications.extend(plan.notifications);
    let mut documents = Vec::new();
    for l in loaded {
        notifications.extend(l.notifications);
        if let Some((file, pos, message)) = l.parse_error {
            notifications.push(
                Notification::new(
                    NoteLevel::Error,
                    "parse-error",
                    format!("{file}: {message}"),
                )
                .at(file.clone(), Some(pos)),
            );
        }
        documents.extend(l.documents);
    }
    documents.sort_by(|a, b| a.file.path.cmp(&b.file.path).then(a.index.cmp(&b.index)));
    notifications.sort();
    notifications.dedup();
    Ok((documents, notifications, listing.description))
}

/// The live stage for clusters: reads the kinds and namespaces `requests` names from every
/// cluster of `drift.read` (none: nothing), and hashes their sensitive values at once, so
/// nothing read leaves this function unredacted. A cluster that cannot be read at all comes
/// back with nothing complete and an error notification, so nothing is reported as "no
/// drift".
pub fn read_clusters(
    drift: &crate::drift::check::DriftOptions,
    requests: &[crate::live::KindRequest],
) -> Vec<crate::live::LiveCluster> {
    if drift.read.is_empty() {
        return Vec::new();
    }
    let read_opts = crate::live::kubernetes::ReadOptions::default();
    let read = crate::live::kubernetes::read_clusters(&drift.read, requests, &read_opts);
    let mut clusters: Vec<crate::live::LiveCluster> = drift
        .read
        .iter()
        .zip(read)
        .map(|(target, r)| {
            let name = target.context.clone().unwrap_or_default();
            r.unwrap_or_else(|e| crate::live::LiveCluster {
                name: name.clone(),
                notifications: vec![Notification::new(
                    NoteLevel::Error,
                    "live-unreachable",
                    format!(
                        "cluster {name}: {e}; nothing was compared with it (check the context \
                         with `kubectl --context {name} get ns`)"
                    ),
                )],
                ..Default::default()
            })
        })
        .collect();
    for c in &mut clusters {
        for o in &mut c.objects {
            crate::drift::secret::redact_live_as(
                &mut o.body,
                &o.id.api_version,
                &o.id.kind,
                &drift.rules,
                &drift.key,
            );
        }
    }
    clusters
}

/// Why the namespace rules were not evaluated.
fn namespace_rules_skipped(policies: &PolicySet) -> Notification {
    Notification::new(
        NoteLevel::Note,
        "namespace-rules-skipped",
        format!(
            "{} compare objects across the files of a namespace: not evaluated in a scan of \
             the changed files, which does not see every file; the scheduled scan of the \
             whole tree runs them",
            policies.namespace_rule_ids().join(", ")
        ),
    )
}

/// What the listing held before it was narrowed to a shard.
struct Outside {
    candidates: Vec<Candidate>,
    groups: Vec<load::Group>,
    consumed: std::collections::BTreeSet<String>,
}

/// For the first shard's namespace pass: the documents of the other shards' files and groups
/// that the namespace rules read, and their in-place waivers of those rules (the other
/// shards report everything else about these files).
fn load_outside(
    outside: &Outside,
    shard: Shard,
    repo: Option<&gix::ThreadSafeRepository>,
    listing: &Listing,
    opts: &ScanOptions,
    policies: &PolicySet,
) -> (Vec<Document>, Vec<Waiver>) {
    let mut files = ScanFiles::new(&outside.candidates, repo, opts.load.max_file_bytes);
    files.root = listing.root.clone();
    files.commit = listing.commit.clone();
    let mut units: Vec<Unit> = outside
        .groups
        .iter()
        .filter(|g| !shard.contains(g.path()))
        .cloned()
        .map(Unit::Group)
        .collect();
    units.extend(
        outside
            .candidates
            .iter()
            .filter(|c| !outside.consumed.contains(&c.path) && !shard.contains(&c.path))
            .map(Unit::File),
    );
    let ids = policies.namespace_rule_ids();
    let loaded: Vec<(Vec<Document>, Vec<Waiver>)> = units
        .par_iter()
        .map_init(
            || repo.map(|r| r.to_thread_local()),
            |repo, unit| {
                let loaded = load_unit(unit, repo.as_ref(), &files, opts);
                let documents: Vec<Document> = loaded
                    .documents
                    .into_iter()
                    .filter(|d| policy::namespace::wanted(policies, d))
                    .collect();
                let (found, _) = waiver::inline::collect(&documents);
                let found = found
                    .into_iter()
                    .filter(|w| ids.iter().any(|id| w.covers_rule(id)))
                    .collect();
                (documents, found)
            },
        )
        .collect();
    let mut documents = Vec::new();
    let mut waivers = Vec::new();
    for (d, w) in loaded {
        documents.extend(d);
        waivers.extend(w);
    }
    (documents, waivers)
}

/// Whether the scan covers the whole repository or directory (no `--include`/`--exclude`,
/// the root itself as the target): then an unused waiver-file entry is stale wherever it
/// points.
fn whole_tree(opts: &ScanOptions, listing: &Listing) -> bool {
    let Target::Path(path) = &opts.target else {
        return false;
    };
    !opts.waivers.filtered
        && !listing.narrowed
        && listing
            .root
            .as_ref()
            .is_some_and(|root| std::fs::canonicalize(path).is_ok_and(|p| &p == root))
}

/// Evaluation time per rule, from a separate per-rule pass (the real pass is batched).
fn profile_rules(documents: &[Document], policies: &PolicySet) -> Vec<(String, Duration)> {
    let per_doc: Vec<Vec<Duration>> = documents
        .par_iter()
        .map_init(
            || policies.engine.clone(),
            |engine, doc| {
                policy::eval::evaluate(engine, policies, doc, Mode::PerRule).package_times
            },
        )
        .collect();
    let mut totals = vec![Duration::ZERO; policies.packages.len()];
    for times in per_doc {
        for (total, t) in totals.iter_mut().zip(times) {
            *total += t;
        }
    }
    slowest(
        policies
            .packages
            .iter()
            .zip(totals)
            .map(|(p, t)| (p.meta.id.clone(), t))
            .collect(),
    )
}

/// Sorts for deterministic output and keeps fingerprints unique within the report.
fn finish(findings: &mut Vec<Finding>, notifications: &mut Vec<Notification>) {
    sort_findings(findings);
    findings.dedup_by(|a, b| a.fingerprint == b.fingerprint && a.message == b.message);
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for f in findings.iter_mut() {
        let n = seen.entry(f.fingerprint.clone()).or_default();
        if *n > 0 {
            // Same rule, resource and field with another message: tell them apart by it.
            f.fingerprint = fingerprint(
                &f.rule_id,
                &f.file,
                f.resource.as_ref(),
                f.subject.as_ref(),
                f.document,
                &[],
                &format!(
                    "{}\0{}",
                    crate::model::render_path(&f.field_path),
                    f.message
                ),
            );
        }
        *n += 1;
    }
    notifications.sort();
    notifications.dedup();
}

fn parse_finding(file: &str, pos: crate::model::Pos, message: &str) -> Finding {
    Finding {
        rule_id: PARSE_RULE_ID.to_string(),
        severity: Severity::Medium,
        level: FindingLevel::Error,
        message: format!("The file could not be parsed, so nothing in it was checked: {message}"),
        file: file.to_string(),
        region: crate::model::Region {
            start: pos,
            end: crate::model::Pos::new(pos.line, pos.column + 1),
        },
        resource: None,
        subject: None,
        document: 0,
        field_path: Vec::new(),
        fingerprint: fingerprint(PARSE_RULE_ID, file, None, None, 0, &[], "parse-error"),
        suppressions: Vec::new(),
        related: Vec::new(),
        live: None,
        baseline_state: None,
    }
}
