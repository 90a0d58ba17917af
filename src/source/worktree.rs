//! Files as they are on disk: a Git work tree with uncommitted changes, or a plain directory.
//! `.gitignore` is respected; symlinks are never followed out of the scanned tree.
//!
//! The tree is untrusted, so a listing reports what it does not read, the same way a
//! revision scan does: links that leave the tree, loop or dangle, submodules (another
//! repository's files), and FIFOs, sockets and device nodes — which are never opened, since
//! opening a FIFO blocks until someone writes to it.

use super::links::{self, Node, Resolver};
use super::Format;
use super::{below, Candidate, Listing, Origin, PathFilter, SourceError};
use crate::model::{NoteLevel, Notification};
use std::collections::{BTreeMap, HashMap};
use std::fs::FileType;
use std::path::{Path, PathBuf};

/// Lists the YAML/JSON files below `path`. Reported paths are relative to `report_root`
/// (the repository root inside a repository, so fingerprints match revision scans).
pub fn list(path: &Path, report_root: &Path, filter: &PathFilter) -> Result<Listing, SourceError> {
    refuse_special_target(path)?;
    let scan_root = std::fs::canonicalize(path).map_err(|e| SourceError::Io {
        path: path.display().to_string(),
        source: e,
    })?;
    let report_root = std::fs::canonicalize(report_root).unwrap_or_else(|_| scan_root.clone());
    let mut listing = Listing {
        description: format!("working tree {}", path.display()),
        root: Some(report_root.clone()),
        ..Listing::default()
    };
    let scan_prefix = rel_string(&scan_root, &report_root);
    let submodules = submodules(&report_root);
    for (sub, commit) in &submodules {
        let Some(rel) = below(sub, &scan_prefix) else {
            continue;
        };
        if filter.may_hold(&[sub, rel]) {
            listing.notifications.push(super::submodule(sub, commit));
        }
    }
    let pruned: Vec<PathBuf> = submodules.keys().map(|s| report_root.join(s)).collect();
    let walker = ignore::WalkBuilder::new(&scan_root)
        .hidden(false)
        .git_ignore(true)
        .git_global(false)
        .git_exclude(true)
        .require_git(false)
        .ignore(false)
        .parents(true)
        .follow_links(false)
        // A submodule's files are another repository's: reported above, as a revision
        // scan reports it, and not read.
        .filter_entry(move |e| e.file_name() != ".git" && !pruned.iter().any(|p| p == e.path()))
        .build();
    let mut links = Vec::new();
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(err) => {
                let note = Notification::new(
                    NoteLevel::Error,
                    "read-error",
                    format!("cannot read part of the tree: {err}"),
                );
                listing.notifications.push(match error_path(&err) {
                    Some(p) => note.at(rel_string(p, &report_root), None),
                    None => note,
                });
                continue;
            }
        };
        let Some(ft) = entry.file_type() else {
            continue;
        };
        let abs = entry.path();
        let report = rel_string(abs, &report_root);
        let rel = rel_string(abs, &scan_root);
        let rel = if rel.is_empty() {
            abs.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        } else {
            rel
        };
        if ft.is_dir() {
            continue;
        }
        if ft.is_symlink() {
            links.push((report, rel));
            continue;
        }
        if Format::of_path(&report).is_none() || !filter.accepts(&[&report, &rel]) {
            continue;
        }
        if let Some(kind) = special_kind(ft) {
            listing
                .notifications
                .push(super::special_file(&report, kind, None));
            continue;
        }
        if !ft.is_file() {
            continue;
        }
        let size = entry.metadata().ok().map(|m| m.len());
        listing.candidates.push(Candidate {
            path: report,
            origin: Origin::Disk(abs.to_path_buf()),
            size,
        });
    }
    let mut resolver = Resolver::new(DiskTree {
        root: report_root.clone(),
        submodules: &submodules,
        seen: HashMap::new(),
    });
    for (report, rel) in links {
        super::follow_link(
            &mut resolver,
            (&report, &rel),
            &scan_prefix,
            filter,
            &mut listing,
            |tree, file| {
                let full = tree.root.join(file);
                let size = std::fs::symlink_metadata(&full).ok().map(|m| m.len());
                Some((Origin::Disk(full), size))
            },
        );
    }
    listing.candidates.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(listing)
}

/// A scan target that is neither a directory nor a regular file (a FIFO, a device) is
/// refused by name: reading it could block forever, and nothing else should be blamed.
fn refuse_special_target(path: &Path) -> Result<(), SourceError> {
    let meta = std::fs::metadata(path).map_err(|e| SourceError::Io {
        path: path.display().to_string(),
        source: e,
    })?;
    if meta.is_dir() || meta.is_file() {
        return Ok(());
    }
    let kind = special_kind(meta.file_type()).unwrap_or("special file");
    Err(SourceError::Usage(format!(
        "{} is a {kind}, not a file or directory, so there is nothing to scan in it; give a \
         directory or a file, or `-` to scan a stream from standard input (`plumbline scan - \
         < {}`)",
        path.display(),
        path.display()
    )))
}

/// The tree on disk, for [`Resolver`]: each path is looked at with `lstat` below the root,
/// one component at a time (the resolver never asks for a path through a link), so nothing
/// outside the root is ever looked at.
struct DiskTree<'a> {
    root: PathBuf,
    submodules: &'a BTreeMap<String, String>,
    seen: HashMap<String, Node>,
}

impl links::Tree for DiskTree<'_> {
    fn node(&mut self, path: &str) -> Node {
        if let Some(node) = self.seen.get(path) {
            return node.clone();
        }
        let node = if self.submodules.contains_key(path) {
            Node::Submodule
        } else {
            let full = self.root.join(path);
            match std::fs::symlink_metadata(&full) {
                Ok(m) if m.is_dir() => Node::Dir,
                Ok(m) if m.is_file() => Node::File,
                Ok(m) if m.file_type().is_symlink() => match std::fs::read_link(&full) {
                    Ok(t) => Node::Link(t.to_string_lossy().into_owned()),
                    Err(e) => Node::Unreadable(format!("cannot read the symbolic link: {e}")),
                },
                Ok(m) => Node::Special(special_kind(m.file_type()).unwrap_or("special file")),
                Err(_) => Node::Missing,
            }
        };
        self.seen.insert(path.to_string(), node.clone());
        node
    }
}

/// The submodules of the repository whose work tree is `root` (path → commit), as its `HEAD`
/// records them: what a revision scan of `HEAD` reports, so that both scans agree. Empty
/// outside a repository, or before the first commit.
fn submodules(root: &Path) -> BTreeMap<String, String> {
    let Some(located) = super::git::discover(root) else {
        return BTreeMap::new();
    };
    if located.root != root || !located.prefix.is_empty() {
        return BTreeMap::new();
    }
    let repo = &located.repo;
    let Ok(commit) = repo.head_commit() else {
        return BTreeMap::new();
    };
    let Ok(tree) = super::git::root_tree(&commit, "HEAD") else {
        return BTreeMap::new();
    };
    super::git::walk(repo, tree)
        .entries
        .into_iter()
        .filter(|(_, e)| e.kind == gix::objs::tree::EntryKind::Commit)
        .map(|(path, e)| (path, e.oid.to_string()))
        .collect()
}

/// What a file that is neither a directory, a regular file nor a link is, in words.
#[cfg(unix)]
fn special_kind(ft: FileType) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_fifo() {
        Some("FIFO (named pipe)")
    } else if ft.is_socket() {
        Some("socket")
    } else if ft.is_char_device() {
        Some("character device")
    } else if ft.is_block_device() {
        Some("block device")
    } else {
        None
    }
}

#[cfg(not(unix))]
fn special_kind(ft: FileType) -> Option<&'static str> {
    (!ft.is_dir() && !ft.is_file() && !ft.is_symlink()).then_some("special file")
}

/// The path a walk error is about, when it says.
fn error_path(err: &ignore::Error) -> Option<&Path> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        ignore::Error::Loop { child, .. } => Some(child),
        _ => None,
    }
}

fn rel_string(abs: &Path, root: &Path) -> String {
    abs.strip_prefix(root)
        .unwrap_or(abs)
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}
