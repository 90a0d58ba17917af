//! Files as they are on disk: a Git work tree with uncommitted changes, or a plain directory.
//! `.gitignore` is respected; symlinks are never followed out of the scanned tree.

use super::{symlink_outside, Candidate, Listing, Origin, PathFilter, SourceError};
use crate::load::Format;
use std::path::Path;

/// Lists the YAML/JSON files below `path`. Reported paths are relative to `report_root`
/// (the repository root inside a repository, so fingerprints match revision scans).
pub fn list(path: &Path, report_root: &Path, filter: &PathFilter) -> Result<Listing, SourceError> {
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
    let walker = ignore::WalkBuilder::new(&scan_root)
        .hidden(false)
        .git_ignore(true)
        .git_global(false)
        .git_exclude(true)
        .require_git(false)
        .ignore(false)
        .parents(true)
        .follow_links(false)
        .filter_entry(|e| e.file_name() != ".git")
        .build();
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(err) => {
                listing.notifications.push(crate::model::Notification::new(
                    crate::model::NoteLevel::Error,
                    "read-error",
                    format!("cannot read part of the tree: {err}"),
                ));
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
        if ft.is_dir() || Format::of_path(&report).is_none() || !filter.accepts(&[&report, &rel]) {
            continue;
        }
        if ft.is_symlink() {
            // Scanned at its target when that is inside the tree; reported when it leaves.
            let inside = std::fs::canonicalize(abs)
                .map(|t| t.starts_with(&scan_root))
                .unwrap_or(false);
            if !inside {
                let target = std::fs::read_link(abs)
                    .map(|t| t.display().to_string())
                    .unwrap_or_default();
                listing
                    .notifications
                    .push(symlink_outside(&report, &target));
            }
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
    listing.candidates.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(listing)
}

fn rel_string(abs: &Path, root: &Path) -> String {
    abs.strip_prefix(root)
        .unwrap_or(abs)
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}
