//! What changed between two states of a repository, for the merge-request gate: the merge
//! base of two revisions (computed with gix, no `git` process) and the paths whose content
//! differs, found by comparing path → blob id listings.

use super::git::resolve_commit;
use super::{Candidate, Origin, SourceError};
use gix::objs::tree::EntryKind;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

/// What to tell a user whose clone lacks the history joining two revisions.
const FETCH_HINT: &str = "In CI, fetch the full history (`fetch-depth: 0` with \
     actions/checkout, `GIT_DEPTH: 0` in GitLab CI) or at least the base branch \
     (`git fetch origin main`), and give the base as the remote branch, e.g. `--base origin/main`.";

/// The scanned commit and the merge base it is compared with.
#[derive(Debug, Clone)]
pub struct MergeBase {
    /// The scanned revision (`--rev`, or `HEAD` for `--worktree`).
    pub head: gix::ObjectId,
    /// The best common ancestor of `head` and the base revision.
    pub base: gix::ObjectId,
}

/// The merge base of `head_rev` and `base_rev`, like `git merge-base`.
pub fn merge_base(
    repo: &gix::Repository,
    head_rev: &str,
    base_rev: &str,
) -> Result<MergeBase, SourceError> {
    let head = resolve_commit(repo, head_rev)?.id;
    let base = resolve_commit(repo, base_rev)
        .map_err(|e| SourceError::Usage(format!("--base {base_rev}: {e} {FETCH_HINT}")))?
        .id;
    let shallow = if repo.is_shallow().unwrap_or(false) {
        " This is a shallow clone, so the history that joins them is probably missing."
    } else {
        ""
    };
    match repo.merge_base(head, base) {
        Ok(Some(id)) => Ok(MergeBase {
            head,
            base: id.detach(),
        }),
        Ok(None) => Err(SourceError::Usage(format!(
            "{head_rev} ({head}) and --base {base_rev} ({base}) have no common ancestor, so \
             there is no merge base to compare with.{shallow} {FETCH_HINT}"
        ))),
        Err(e) => Err(SourceError::Usage(format!(
            "cannot compute the merge base of {head_rev} and --base {base_rev}: {e}.{shallow} \
             {FETCH_HINT}"
        ))),
    }
}

/// Every file of a commit's tree (blobs and symbolic links) as path → blob id, and every
/// submodule as path → commit id (a submodule moved to another commit is a change, whose
/// files the scan reports it cannot read).
pub fn tree_blobs(
    repo: &gix::Repository,
    commit: gix::ObjectId,
) -> Result<BTreeMap<String, gix::ObjectId>, SourceError> {
    let commit = repo.find_commit(commit).map_err(|e| {
        SourceError::Usage(format!(
            "cannot read commit {commit}: {e}; it may be missing from this clone. {FETCH_HINT}"
        ))
    })?;
    let root = super::git::root_tree(&commit, &commit.id.to_string())?;
    let walked = super::git::walk(repo, root);
    if let Some((path, problem)) = walked.unreadable.first() {
        let shown = if path.is_empty() { "." } else { path.as_str() };
        let tree = walked
            .entries
            .get(path)
            .map_or_else(|| root.to_string(), |e| e.oid.to_string());
        return Err(SourceError::Usage(format!(
            "cannot compare with commit {}: in directory {shown}, {}. {FETCH_HINT}",
            commit.id,
            match problem {
                super::git::Problem::Missing => format!("the tree object {tree} is missing"),
                super::git::Problem::Corrupt(e) => format!(
                    "the tree object {tree} is corrupt ({e}); check the repository with \
                     `git fsck` and clone it again"
                ),
            }
        )));
    }
    Ok(walked
        .entries
        .into_iter()
        .filter(|(_, e)| {
            matches!(
                e.kind,
                EntryKind::Blob | EntryKind::BlobExecutable | EntryKind::Link | EntryKind::Commit
            )
        })
        .map(|(path, e)| (path, e.oid))
        .collect())
}

/// Paths added or modified from `old` to `new` (deleted paths have nothing left to scan).
pub fn changed_paths(
    old: &BTreeMap<String, gix::ObjectId>,
    new: &BTreeMap<String, gix::ObjectId>,
) -> BTreeSet<String> {
    new.iter()
        .filter(|(path, id)| old.get(*path) != Some(*id))
        .map(|(path, _)| path.clone())
        .collect()
}

/// The blob ids files on disk would have if committed as they are (no filters such as
/// `core.autocrlf` applied: a file they would change only counts as changed, which costs a
/// scan, never a missed finding). Files that cannot be read count as changed.
pub fn worktree_blobs(
    candidates: &[Candidate],
    kind: gix::hash::Kind,
) -> BTreeMap<String, Option<gix::ObjectId>> {
    candidates
        .par_iter()
        .map(|c| {
            let id = match &c.origin {
                Origin::Disk(p) => std::fs::read(p).ok().and_then(|bytes| {
                    gix::objs::compute_hash(kind, gix::objs::Kind::Blob, &bytes).ok()
                }),
                Origin::Blob(id) => Some(*id),
                Origin::Memory(_) => None,
            };
            (c.path.clone(), id)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_added_and_modified_paths_change() {
        let id = |n: u8| gix::ObjectId::from_bytes_or_panic(&[n; 20]);
        let old = BTreeMap::from([
            ("same.yaml".to_string(), id(1)),
            ("edited.yaml".to_string(), id(2)),
            ("deleted.yaml".to_string(), id(3)),
        ]);
        let new = BTreeMap::from([
            ("same.yaml".to_string(), id(1)),
            ("edited.yaml".to_string(), id(4)),
            ("added.yaml".to_string(), id(5)),
        ]);
        let changed: Vec<_> = changed_paths(&old, &new).into_iter().collect();
        assert_eq!(changed, ["added.yaml", "edited.yaml"]);
    }
}
