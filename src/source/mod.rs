//! Where declared files come from: a Git revision read from the object database (no
//! checkout, no `git` process), a working tree or plain directory, or standard input.

pub mod diff;
pub mod git;
pub(crate) mod links;
pub mod modules;
pub mod shard;
pub mod stdin;
pub mod worktree;

use crate::model::{NoteLevel, Notification};
use globset::{Glob, GlobSet, GlobSetBuilder};
use std::path::PathBuf;

/// Errors that stop a scan before it starts (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{0}")]
    Usage(String),
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// How one candidate file's bytes are obtained.
#[derive(Debug, Clone)]
pub enum Origin {
    /// A blob in the Git object database.
    Blob(gix::ObjectId),
    /// A file on disk.
    Disk(PathBuf),
    /// Bytes already in memory (standard input).
    Memory(std::sync::Arc<Vec<u8>>),
}

/// One file to load: the path reports show, and where its bytes are.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub path: String,
    pub origin: Origin,
    /// Size when known before reading (lets huge files be skipped without reading them).
    pub size: Option<u64>,
}

/// The files of a scan, plus what the source itself had to say (symlinks not followed…).
#[derive(Debug, Default)]
pub struct Listing {
    pub candidates: Vec<Candidate>,
    pub notifications: Vec<Notification>,
    /// What was scanned, for the report (`git:<rev> (<sha>)`, a directory, `stdin`).
    pub description: String,
    /// Commit SHA when reading a revision.
    pub commit: Option<String>,
    /// The commit's committer time, ISO 8601 UTC (`2024-05-01T12:34:56Z`), when reading a
    /// revision: the date of the declared state, and deterministic (unlike the scan time).
    pub commit_time: Option<String>,
    /// The repository root on disk, when there is one (for SARIF `originalUriBaseIds`).
    pub root: Option<PathBuf>,
    /// Whether the candidates were narrowed down to part of the tree after listing (the
    /// merge-request gate keeps only the changed files).
    pub narrowed: bool,
}

/// `--include` / `--exclude` globs, matched against the reported path and against the path
/// relative to the scanned directory.
#[derive(Debug, Clone, Default)]
pub struct PathFilter {
    include: Option<GlobSet>,
    exclude: Option<GlobSet>,
    /// The directory each `--include` glob is confined to (its literal leading directories:
    /// `k8s/**` → `k8s`, `**/*.yaml` → everywhere), to tell whether a directory may hold
    /// included files.
    include_dirs: Vec<String>,
}

impl PathFilter {
    pub fn new(include: &[String], exclude: &[String]) -> Result<Self, SourceError> {
        let build = |globs: &[String], flag: &str| -> Result<Option<GlobSet>, SourceError> {
            if globs.is_empty() {
                return Ok(None);
            }
            let mut b = GlobSetBuilder::new();
            for g in globs {
                let glob = Glob::new(g).map_err(|e| {
                    SourceError::Usage(format!("{flag} {g:?} is not a valid glob: {e}"))
                })?;
                b.add(glob);
                // `dir/` or `dir` also means everything below it, as users expect.
                let below = format!("{}/**", g.trim_end_matches('/'));
                if let Ok(glob) = Glob::new(&below) {
                    b.add(glob);
                }
            }
            b.build()
                .map(Some)
                .map_err(|e| SourceError::Usage(format!("{flag}: {e}")))
        };
        Ok(Self {
            include: build(include, "--include")?,
            exclude: build(exclude, "--exclude")?,
            include_dirs: include.iter().map(|g| literal_dir(g)).collect(),
        })
    }

    /// Whether a directory (a submodule, a link that may lead to one) may hold files in
    /// scope: it is not excluded, and some `--include` can match below it. `paths` are the
    /// forms of its path, as for [`PathFilter::accepts`].
    pub fn may_hold(&self, paths: &[&str]) -> bool {
        if let Some(ex) = &self.exclude {
            if paths
                .iter()
                .any(|p| ex.is_match(p) || ex.is_match(format!("{p}/")))
            {
                return false;
            }
        }
        if self.include.is_none() {
            return true;
        }
        paths.iter().any(|p| {
            self.include_dirs.iter().any(|d| {
                d.is_empty()
                    || p == d
                    || p.starts_with(&format!("{d}/"))
                    || d.starts_with(&format!("{p}/"))
            })
        })
    }

    /// Whether a file is in scope; `paths` are the forms of its path to match against.
    pub fn accepts(&self, paths: &[&str]) -> bool {
        if let Some(ex) = &self.exclude {
            if paths.iter().any(|p| ex.is_match(p)) {
                return false;
            }
        }
        match &self.include {
            Some(inc) => paths.iter().any(|p| inc.is_match(p)),
            None => true,
        }
    }
}

/// `path` relative to the directory `prefix` (both from the root), when it is below it; a
/// path equal to the prefix (a single scanned file) is its own name.
pub(crate) fn below<'a>(path: &'a str, prefix: &str) -> Option<&'a str> {
    if prefix.is_empty() {
        return Some(path);
    }
    if path == prefix {
        return Some(path.rsplit('/').next().unwrap_or(path));
    }
    path.strip_prefix(prefix)?.strip_prefix('/')
}

/// Resolves one symbolic link of a listed tree — a revision's or a work tree's, which report
/// the same things the same way — and records what it gives: a link to a file is scanned
/// once, at its target when the target is listed itself, or else at the link's path (the
/// target is not named like YAML, is excluded or ignored, or is outside the scanned
/// directory); a directory link is never followed (its files are listed where they are);
/// anything else is a notification naming the link. `path` is from the root, `rel` from the
/// scanned directory `scan_prefix`; `origin_of` says where a target file's bytes are.
pub(crate) fn follow_link<T: links::Tree>(
    resolver: &mut links::Resolver<T>,
    (path, rel): (&str, &str),
    scan_prefix: &str,
    filter: &PathFilter,
    listing: &mut Listing,
    origin_of: impl FnOnce(&mut T, &str) -> Option<(Origin, Option<u64>)>,
) {
    use links::End;
    // Named like a scanned file, or (a link may lead to a directory) a place that may hold
    // some: only then does a link that cannot be followed deserve a word.
    let as_file = Format::of_path(path).is_some() && filter.accepts(&[path, rel]);
    let in_scope = as_file || filter.may_hold(&[path, rel]);
    let end = resolver.resolve(path);
    let target = match resolver.tree().node(path) {
        links::Node::Link(t) => t,
        _ => String::new(),
    };
    let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
    let too_deep = || {
        format!(
            "more than {} links in a row, or a target longer than {} bytes",
            links::MAX_FOLLOWS,
            links::MAX_TARGET
        )
    };
    let note = match end {
        End::File(file) => {
            let listed = listing.candidates.iter().any(|c| c.path == file);
            if as_file && !listed {
                if let Some((origin, size)) = origin_of(resolver.tree(), &file) {
                    listing.candidates.push(Candidate {
                        path: path.to_string(),
                        origin,
                        size,
                    });
                }
            }
            None
        }
        End::Dir(d) if links::is_ancestor(&d, dir) => {
            let to = if d.is_empty() {
                "the root of the tree"
            } else {
                d.as_str()
            };
            let why = format!("it leads to {to}, a directory that contains the link");
            in_scope.then(|| symlink_loop(path, &target, &why))
        }
        End::Dir(d) => (in_scope && below(&d, scan_prefix).is_none())
            .then(|| symlink_elsewhere(path, &target, &d)),
        End::Special(_, kind) => as_file.then(|| special_file(path, kind, Some(&target))),
        End::Submodule(sub) => in_scope.then(|| symlink_into_submodule(path, &target, &sub)),
        End::Outside => in_scope.then(|| symlink_outside(path, &target)),
        End::Loop => in_scope.then(|| symlink_loop(path, &target, "it leads back to itself")),
        End::TooDeep => in_scope.then(|| symlink_loop(path, &target, &too_deep())),
        End::Dangling(missing) => in_scope.then(|| symlink_dangling(path, &target, &missing)),
        End::Unreadable(message) => Some(
            Notification::new(NoteLevel::Error, "read-error", format!("{path}: {message}"))
                .at(path, None),
        ),
    };
    listing.notifications.extend(note);
}

/// The leading directories of a glob that hold no wildcard (`k8s/apps/*.yaml` → `k8s/apps`;
/// a glob without wildcards is its own directory).
fn literal_dir(glob: &str) -> String {
    let glob = glob.trim_end_matches('/');
    match glob.find(['*', '?', '[', '{']) {
        Some(i) => glob[..i]
            .rsplit_once('/')
            .map_or("", |(d, _)| d)
            .to_string(),
        None => glob.to_string(),
    }
}

/// A symlink whose target leaves the scanned tree: never followed, always reported.
pub(crate) fn symlink_outside(path: &str, target: &str) -> Notification {
    Notification::new(
        NoteLevel::Warning,
        "symlink-outside",
        format!(
            "{path}: symbolic link to {target:?} points outside the scanned tree and was not \
             followed (nothing outside the tree is read); commit the files themselves if they \
             should be scanned"
        ),
    )
    .at(path, None)
}

/// A symlink into the repository but out of the scanned directory, to a directory: its
/// files are not part of this scan (directory links are never followed).
pub(crate) fn symlink_elsewhere(path: &str, target: &str, dir: &str) -> Notification {
    Notification::new(
        NoteLevel::Warning,
        "symlink-outside",
        format!(
            "{path}: symbolic link to {target:?} points to {dir}, outside the scanned \
             directory, and was not followed; scan {dir} itself if its files should be scanned"
        ),
    )
    .at(path, None)
}

/// A symlink into a submodule: the files there are another repository's.
pub(crate) fn symlink_into_submodule(path: &str, target: &str, sub: &str) -> Notification {
    Notification::new(
        NoteLevel::Warning,
        "symlink-outside",
        format!(
            "{path}: symbolic link to {target:?} points into the submodule {sub}, outside the \
             scanned tree (its files are another repository's), and was not followed"
        ),
    )
    .at(path, None)
}

/// A symlink that leads back to itself (`a → b → a`) or to a directory containing it
/// (`a → .`): nothing to read, and following it would never end.
pub(crate) fn symlink_loop(path: &str, target: &str, why: &str) -> Notification {
    Notification::new(
        NoteLevel::Warning,
        "symlink-loop",
        format!(
            "{path}: symbolic link to {target:?} is a symlink loop ({why}); it was not followed"
        ),
    )
    .at(path, None)
}

/// A symlink to nothing: there is no content to scan.
pub(crate) fn symlink_dangling(path: &str, target: &str, missing: &str) -> Notification {
    Notification::new(
        NoteLevel::Warning,
        "symlink-dangling",
        format!(
            "{path}: symbolic link to {target:?} points to nothing ({missing} does not exist \
             in the scanned tree); fix or remove the link"
        ),
    )
    .at(path, None)
}

/// A FIFO, socket or device node named like a scanned file (directly or through a link):
/// never opened — opening a FIFO blocks until someone writes, a device may never end — so
/// whatever it would give is not scanned.
pub(crate) fn special_file(path: &str, kind: &str, via: Option<&str>) -> Notification {
    let what = match via {
        Some(target) => format!("symbolic link to {target:?}, which is a {kind}"),
        None => format!("a {kind}"),
    };
    Notification::new(
        NoteLevel::Error,
        "special-file",
        format!(
            "{path}: {what}, not a regular file; it was not opened (reading it could block or \
             never end), so nothing of it is scanned: replace it with a regular file, or \
             leave it out with --exclude {path}"
        ),
    )
    .at(path, None)
}

/// A Git submodule: its files are another repository's, at the commit this tree records,
/// and are not read. The scan is incomplete until the submodule is scanned on its own or
/// deliberately left out.
pub(crate) fn submodule(path: &str, commit: &str) -> Notification {
    Notification::new(
        NoteLevel::Error,
        "submodule-not-scanned",
        format!(
            "{path}: Git submodule at commit {commit} was not scanned: its files belong to \
             another repository, which this scan does not read; scan the submodule's \
             repository separately at that commit, or leave it out with --exclude {path}"
        ),
    )
    .at(path, None)
}

/// `base/rel` with `.` and `..` resolved lexically (`modules/x` + `../y` → `modules/y`);
/// `None` when it climbs above the top. Empty segments are skipped, so a leading `/` in
/// `rel` does not make it absolute: callers that must refuse absolute paths check first.
pub(crate) fn normalize_join(base: &str, rel: &str) -> Option<String> {
    let mut parts: Vec<&str> = base.split('/').filter(|s| !s.is_empty()).collect();
    for seg in rel.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_include_exclude() {
        let f = PathFilter::new(&["k8s/**".into()], &["k8s/skip".into()]).unwrap();
        assert!(f.accepts(&["k8s/a.yaml"]));
        assert!(!f.accepts(&["k8s/skip/a.yaml"]));
        assert!(!f.accepts(&["other/a.yaml"]));
        assert!(PathFilter::new(&["[".into()], &[]).is_err());
    }

    #[test]
    fn filter_may_hold_directories() {
        let none = PathFilter::new(&[], &[]).unwrap();
        assert!(none.may_hold(&["vendor/sub"]));
        let f = PathFilter::new(&["k8s/apps/**".into()], &["k8s/apps/skip".into()]).unwrap();
        assert!(f.may_hold(&["k8s"]));
        assert!(f.may_hold(&["k8s/apps/sub"]));
        assert!(!f.may_hold(&["vendor/sub"]));
        assert!(!f.may_hold(&["k8s/apps/skip"]));
        let ex = PathFilter::new(&["**/*.yaml".into()], &["vendor/**".into()]).unwrap();
        assert!(ex.may_hold(&["charts/sub"]));
        assert!(!ex.may_hold(&["vendor"]));
        assert!(!ex.may_hold(&["vendor/sub"]));
    }
}

/// The kinds of file a scan reads (and the loader understands), decided from the file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// YAML: Kubernetes manifests, Kustomize, CloudFormation.
    Yaml,
    /// JSON: Kubernetes manifests, CloudFormation, Terraform plans.
    Json,
    /// Terraform configuration (`.tf`, `.tf.json`): loaded per module directory.
    Terraform,
    /// Terraform variable values (`.tfvars`, `.tfvars.json`): read with their module.
    TfVars,
    /// `Dockerfile`, `*.dockerfile`, `Containerfile`.
    Dockerfile,
}

impl Format {
    pub fn of_path(path: &str) -> Option<Self> {
        let name = path.rsplit('/').next().unwrap_or(path);
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".tf") || lower.ends_with(".tf.json") {
            Some(Self::Terraform)
        } else if lower.ends_with(".tfvars") || lower.ends_with(".tfvars.json") {
            Some(Self::TfVars)
        } else if lower.ends_with(".yaml") || lower.ends_with(".yml") || name == "Kustomization" {
            Some(Self::Yaml)
        } else if lower.ends_with(".json") {
            Some(Self::Json)
        } else if lower == "dockerfile"
            || lower == "containerfile"
            || lower.ends_with(".dockerfile")
            || lower.starts_with("dockerfile.")
            || lower.starts_with("containerfile.")
        {
            Some(Self::Dockerfile)
        } else {
            None
        }
    }
}
