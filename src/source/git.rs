//! Reading a Git revision straight from the object database with gix.

use super::links::{self, Node, Resolver};
use super::Format;
use super::{below, Candidate, Listing, Origin, PathFilter, SourceError};
use crate::model::{NoteLevel, Notification};
use gix::objs::tree::EntryKind;
use std::collections::{BTreeMap, HashMap};
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
    let root = root_tree(&commit, rev)?;
    let walked = walk(repo, root);
    let prefix = located.prefix.as_str();
    // Problems in the scanned directory, or in a directory on the way to it.
    let relevant = |dir: &str| links::is_ancestor(dir, prefix) || below(dir, prefix).is_some();
    if !prefix.is_empty() && !walked.entries.contains_key(prefix) {
        if let Some((dir, problem)) = walked
            .unreadable
            .iter()
            .find(|(dir, _)| links::is_ancestor(dir, prefix))
        {
            return Err(SourceError::Usage(format!(
                "cannot read {prefix} in revision {rev} ({}): {}",
                commit.id,
                problem.describe("tree", walked.entries.get(dir).map_or(root, |e| e.oid))
            )));
        }
        return Err(SourceError::Usage(format!(
            "{prefix} is not in revision {rev} ({}): it has not been committed there; commit \
             it, give the revision that has it with --rev, or scan the files on disk with \
             --worktree",
            commit.id
        )));
    }
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
    for (dir, problem) in &walked.unreadable {
        if relevant(dir) {
            let id = walked.entries.get(dir).map_or(root, |e| e.oid);
            listing.notifications.push(problem.notification(dir, id));
        }
    }
    let mut links = Vec::new();
    for (path, entry) in &walked.entries {
        let Some(rel) = below(path, prefix) else {
            continue;
        };
        match entry.kind {
            EntryKind::Blob | EntryKind::BlobExecutable => {
                if Format::of_path(path).is_none() || !filter.accepts(&[path, rel]) {
                    continue;
                }
                // The size is looked up by the parallel readers (it costs an object lookup).
                listing.candidates.push(Candidate {
                    path: path.clone(),
                    origin: Origin::Blob(entry.oid),
                    size: None,
                });
            }
            EntryKind::Link => links.push((path.clone(), rel.to_string())),
            EntryKind::Commit => {
                if filter.may_hold(&[path, rel]) {
                    listing
                        .notifications
                        .push(super::submodule(path, &entry.oid.to_string()));
                }
            }
            EntryKind::Tree => {}
        }
    }
    let mut resolver = Resolver::new(RevisionTree {
        repo,
        entries: &walked.entries,
        targets: HashMap::new(),
    });
    for (path, rel) in links {
        super::follow_link(
            &mut resolver,
            (&path, &rel),
            prefix,
            filter,
            &mut listing,
            |tree, file| {
                let entry = tree.entries.get(file)?;
                Some((Origin::Blob(entry.oid), None))
            },
        );
    }
    listing.candidates.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(listing)
}

/// The committed tree of a revision, for [`Resolver`]: entries come from the walk, link
/// targets are read on demand (and only up to `PATH_MAX` bytes).
struct RevisionTree<'a> {
    repo: &'a gix::Repository,
    entries: &'a BTreeMap<String, Entry>,
    targets: HashMap<String, Result<String, String>>,
}

impl RevisionTree<'_> {
    fn read_target(&self, id: gix::ObjectId) -> Result<String, String> {
        if let Ok(header) = self.repo.find_header(id) {
            if header.size() > links::MAX_TARGET as u64 {
                // Longer than any path: resolved as too long, without reading it.
                return Ok("x".repeat(links::MAX_TARGET + 1));
            }
        }
        read_object(self.repo, id, gix::objs::Kind::Blob)
            .map(|data| String::from_utf8_lossy(&data).into_owned())
            .map_err(|problem| problem.describe("symbolic link", id))
    }
}

impl links::Tree for RevisionTree<'_> {
    fn node(&mut self, path: &str) -> Node {
        let Some(entry) = self.entries.get(path) else {
            return Node::Missing;
        };
        match entry.kind {
            EntryKind::Tree => Node::Dir,
            EntryKind::Blob | EntryKind::BlobExecutable => Node::File,
            EntryKind::Commit => Node::Submodule,
            EntryKind::Link => {
                let id = entry.oid;
                let target = match self.targets.get(path) {
                    Some(t) => t.clone(),
                    None => {
                        let t = self.read_target(id);
                        self.targets.insert(path.to_string(), t.clone());
                        t
                    }
                };
                match target {
                    Ok(t) => Node::Link(t),
                    Err(e) => Node::Unreadable(e),
                }
            }
        }
    }
}

/// One entry of a committed tree.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry {
    pub kind: EntryKind,
    pub oid: gix::ObjectId,
}

/// Every entry of a committed tree by path, and the subtrees that could not be read.
pub(crate) struct Walked {
    pub entries: BTreeMap<String, Entry>,
    pub unreadable: Vec<(String, Problem)>,
}

/// Why a Git object could not be read: gone from the object database (a shallow or partial
/// clone), or there but damaged.
#[derive(Debug, Clone)]
pub(crate) enum Problem {
    Missing,
    Corrupt(String),
}

impl Problem {
    /// What went wrong with object `id` (a `what`), and what to do about it.
    pub(crate) fn describe(&self, what: &str, id: gix::ObjectId) -> String {
        match self {
            Problem::Missing => format!(
                "the {what} object {id} is missing from this clone (a shallow or partial \
                 clone, or a damaged one); fetch it (`git fetch --unshallow`, or a clone \
                 without --filter) and scan again"
            ),
            Problem::Corrupt(e) => format!(
                "the {what} object {id} is corrupt ({e}); the repository is damaged: check \
                 it with `git fsck` and clone it again"
            ),
        }
    }

    /// A directory of the scanned tree whose tree object `id` could not be read (all of it,
    /// or past an entry that is not valid): the files there are not all scanned.
    fn notification(&self, dir: &str, id: gix::ObjectId) -> Notification {
        let code = match self {
            Problem::Missing => "git-object-missing",
            Problem::Corrupt(_) => "git-object-corrupt",
        };
        let shown = if dir.is_empty() { "." } else { dir };
        let note = Notification::new(
            NoteLevel::Error,
            code,
            format!(
                "{shown}: the files of this directory could not all be listed: {}",
                self.describe("tree", id)
            ),
        );
        if dir.is_empty() {
            note
        } else {
            note.at(dir, None)
        }
    }
}

/// Reads object `id`, which must be of `kind`: a missing object is told from a damaged one
/// (one that does not decompress, decode, or is of another kind than its tree says).
pub(crate) fn read_object(
    repo: &gix::Repository,
    id: gix::ObjectId,
    kind: gix::objs::Kind,
) -> Result<Vec<u8>, Problem> {
    match repo.try_find_object(id) {
        Ok(Some(object)) if object.kind == kind => Ok(object.detach().data),
        Ok(Some(object)) => Err(Problem::Corrupt(format!(
            "it is a {}, not a {kind}",
            object.kind
        ))),
        Ok(None) => Err(Problem::Missing),
        Err(e) => Err(Problem::Corrupt(e.to_string())),
    }
}

/// Whether a name read from a tree object is one Git itself would write: anything else
/// (`..`, a `/`, a NUL) comes from a crafted object and could climb out of the tree.
fn valid_name(name: &[u8]) -> bool {
    !name.is_empty() && name != b"." && name != b".." && !name.contains(&b'/') && !name.contains(&0)
}

/// Walks the tree `root` whole, without recursion; a subtree that cannot be read is
/// recorded and the walk goes on with the others.
pub(crate) fn walk(repo: &gix::Repository, root: gix::ObjectId) -> Walked {
    let hash = repo.object_hash();
    let mut walked = Walked {
        entries: BTreeMap::new(),
        unreadable: Vec::new(),
    };
    let mut pending = vec![(String::new(), root)];
    while let Some((dir, id)) = pending.pop() {
        let data = match read_object(repo, id, gix::objs::Kind::Tree) {
            Ok(data) => data,
            Err(problem) => {
                walked.unreadable.push((dir, problem));
                continue;
            }
        };
        for entry in gix::objs::TreeRefIter::from_bytes(&data, hash) {
            let entry = match entry {
                Ok(e) if valid_name(e.filename) => e,
                Ok(e) => {
                    let name = String::from_utf8_lossy(e.filename).into_owned();
                    walked.unreadable.push((
                        dir.clone(),
                        Problem::Corrupt(format!("it holds an entry named {name:?}")),
                    ));
                    continue;
                }
                Err(e) => {
                    walked
                        .unreadable
                        .push((dir.clone(), Problem::Corrupt(e.to_string())));
                    break;
                }
            };
            let name = String::from_utf8_lossy(entry.filename);
            let path = if dir.is_empty() {
                name.into_owned()
            } else {
                format!("{dir}/{name}")
            };
            let kind = entry.mode.kind();
            let oid = entry.oid.to_owned();
            if kind == EntryKind::Tree {
                pending.push((path.clone(), oid));
            }
            walked.entries.insert(path, Entry { kind, oid });
        }
    }
    walked
}

/// The root tree of a commit: a commit that does not decode, or whose tree is missing or
/// damaged, stops the scan (there is nothing to list).
pub(crate) fn root_tree(commit: &gix::Commit<'_>, rev: &str) -> Result<gix::ObjectId, SourceError> {
    let id = commit.tree_id().map_err(|e| {
        SourceError::Usage(format!(
            "cannot read revision {rev}: the commit object {} is corrupt ({e}); the repository \
             is damaged: check it with `git fsck` and clone it again",
            commit.id
        ))
    })?;
    match read_object(commit.repo, id.detach(), gix::objs::Kind::Tree) {
        Ok(_) => Ok(id.detach()),
        Err(problem) => Err(SourceError::Usage(format!(
            "cannot read the tree of {rev} ({}): {}",
            commit.id,
            problem.describe("tree", id.detach())
        ))),
    }
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
    let object = match repo.try_find_object(id) {
        Ok(Some(object)) => object,
        Ok(None) => {
            return Err(SourceError::Usage(format!(
                "revision {rev:?} names object {id}, which is not in this clone.{shallow_hint}"
            )))
        }
        Err(e) => {
            return Err(SourceError::Usage(format!(
                "revision {rev:?} names object {id}, which is corrupt ({e}); the repository is \
                 damaged: check it with `git fsck` and clone it again"
            )))
        }
    };
    if object.kind == gix::objs::Kind::Commit {
        return Ok(object.into_commit());
    }
    let kind = object.kind;
    object.peel_to_commit().map_err(|e| {
        SourceError::Usage(format!(
            "revision {rev:?} names a {kind} ({id}) that does not lead to a commit: {e}.\
             {shallow_hint}"
        ))
    })
}

/// Reads blobs on rayon workers, one thread-local repository handle per worker. The error
/// says whether the blob is missing (a partial clone) or corrupt.
pub fn read_blob(repo: &gix::Repository, id: gix::ObjectId) -> Result<Vec<u8>, String> {
    read_object(repo, id, gix::objs::Kind::Blob).map_err(|problem| problem.describe("blob", id))
}
