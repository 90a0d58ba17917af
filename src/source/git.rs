//! Reading a Git revision straight from the object database with gix.

use super::{resolve_inside, symlink_outside, Candidate, Listing, Origin, PathFilter, SourceError};
use crate::load::Format;
use gix::objs::tree::EntryKind;
use std::path::{Path, PathBuf};

/// The repository containing `path`, and `path` relative to its work tree (`""` = root).
pub struct Located {
    pub repo: gix::Repository,
    pub prefix: String,
    pub root: PathBuf,
}

/// Finds the repository that contains `path` (a work tree, or a bare repository itself).
pub fn discover(path: &Path) -> Option<Located> {
    let abs = std::fs::canonicalize(path).ok()?;
    let repo = gix::discover(&abs).ok()?;
    let root = match repo.workdir() {
        Some(wd) => std::fs::canonicalize(wd).ok()?,
        None => std::fs::canonicalize(repo.git_dir()).ok()?,
    };
    let prefix = if repo.workdir().is_some() {
        abs.strip_prefix(&root)
            .ok()?
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/")
    } else {
        String::new()
    };
    Some(Located { repo, prefix, root })
}

/// Lists the YAML/JSON files of `rev` under `prefix`.
pub fn list(located: &Located, rev: &str, filter: &PathFilter) -> Result<Listing, SourceError> {
    let repo = &located.repo;
    let commit = resolve_commit(repo, rev)?;
    let tree = commit.tree().map_err(|e| {
        SourceError::Usage(format!(
            "cannot read the tree of {rev} ({}): {e}; the clone may be shallow or incomplete — \
             fetch more history (`git fetch --deepen` or `--unshallow`)",
            commit.id
        ))
    })?;
    let mut recorder = gix::traverse::tree::Recorder::default();
    tree.traverse().breadthfirst(&mut recorder).map_err(|e| {
        SourceError::Usage(format!(
            "cannot walk the tree of {rev}: {e}; objects are missing — fetch the full history"
        ))
    })?;
    let prefix = located.prefix.as_str();
    let mut listing = Listing {
        description: format!("git revision {rev} ({})", commit.id),
        commit: Some(commit.id.to_string()),
        commit_time: commit
            .time()
            .ok()
            .map(|t| crate::date::iso8601_utc(t.seconds)),
        root: Some(located.root.clone()),
        ..Listing::default()
    };
    for entry in recorder.records {
        let path = entry.filepath.to_string();
        let Some(rel) = relative_to(&path, prefix) else {
            continue;
        };
        match entry.mode.kind() {
            EntryKind::Blob | EntryKind::BlobExecutable => {
                if Format::of_path(&path).is_none() || !filter.accepts(&[&path, rel]) {
                    continue;
                }
                // The size is looked up by the parallel readers (it costs an object lookup).
                listing.candidates.push(Candidate {
                    path,
                    origin: Origin::Blob(entry.oid),
                    size: None,
                });
            }
            EntryKind::Link => {
                if Format::of_path(&path).is_none() || !filter.accepts(&[&path, rel]) {
                    continue;
                }
                let target = repo
                    .find_object(entry.oid)
                    .map(|o| String::from_utf8_lossy(&o.data).into_owned())
                    .unwrap_or_default();
                let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
                // A link inside the tree is scanned at its target; one that leaves is reported.
                if resolve_inside(dir, &target).is_none() {
                    listing.notifications.push(symlink_outside(&path, &target));
                }
            }
            EntryKind::Tree | EntryKind::Commit => {}
        }
    }
    listing.candidates.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(listing)
}

fn relative_to<'a>(path: &'a str, prefix: &str) -> Option<&'a str> {
    if prefix.is_empty() {
        return Some(path);
    }
    if path == prefix {
        return Some(path.rsplit('/').next().unwrap_or(path));
    }
    path.strip_prefix(prefix)?.strip_prefix('/')
}

pub(crate) fn resolve_commit<'r>(
    repo: &'r gix::Repository,
    rev: &str,
) -> Result<gix::Commit<'r>, SourceError> {
    let shallow = repo.is_shallow().unwrap_or(false);
    let shallow_hint = if shallow {
        " This is a shallow clone: the revision may be outside the fetched history — fetch it \
         (`git fetch --deepen=N`, `git fetch --unshallow`, or `fetch-depth: 0` in CI)."
    } else {
        ""
    };
    if rev == "HEAD" {
        if let Ok(head) = repo.head() {
            if head.is_unborn() {
                return Err(SourceError::Usage(
                    "the repository has no commits yet, so there is no HEAD to scan: commit \
                     the files, or scan the working tree with --worktree"
                        .to_string(),
                ));
            }
        }
    }
    let id = repo.rev_parse_single(rev).map_err(|e| {
        SourceError::Usage(format!(
            "unknown revision {rev:?}: {e}. Give a branch, tag, commit SHA or an expression \
             such as HEAD~2.{shallow_hint}"
        ))
    })?;
    let object = id.object().map_err(|e| {
        SourceError::Usage(format!(
            "revision {rev:?} names object {id}, which is not in this clone: {e}.{shallow_hint}"
        ))
    })?;
    object.peel_to_commit().map_err(|e| {
        SourceError::Usage(format!(
            "revision {rev:?} does not name a commit: {e}.{shallow_hint}"
        ))
    })
}

/// Reads blobs on rayon workers, one thread-local repository handle per worker.
pub fn read_blob(repo: &gix::Repository, id: gix::ObjectId) -> Result<Vec<u8>, String> {
    repo.find_object(id)
        .map(|o| o.detach().data)
        .map_err(|e| format!("cannot read blob {id}: {e}"))
}
