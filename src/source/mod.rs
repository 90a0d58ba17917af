//! Where declared files come from: a Git revision read from the object database (no
//! checkout, no `git` process), a working tree or plain directory, or standard input.

pub mod diff;
pub mod git;
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

/// A symlink whose target leaves the scanned tree: never followed, always reported.
pub(crate) fn symlink_outside(path: &str, target: &str) -> Notification {
    Notification::new(
        NoteLevel::Warning,
        "symlink-outside",
        format!(
            "{path}: symbolic link to {target:?} points outside the scanned tree and was not \
             followed; commit the file itself if it should be scanned"
        ),
    )
    .at(path, None)
}

/// Normalises `base_dir/target` lexically; `None` when it climbs above the root or is
/// absolute, or names a drive or a Windows path.
pub(crate) fn resolve_inside(base_dir: &str, target: &str) -> Option<String> {
    if target.starts_with('/') || target.contains('\\') || target.contains(':') {
        return None;
    }
    normalize_join(base_dir, target)
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
    fn resolve_inside_rejects_escapes() {
        assert_eq!(
            resolve_inside("a/b", "../c.yaml").as_deref(),
            Some("a/c.yaml")
        );
        assert_eq!(resolve_inside("a", "../../etc/passwd"), None);
        assert_eq!(resolve_inside("", "/etc/passwd"), None);
        assert_eq!(
            resolve_inside("", "x/./y.yaml").as_deref(),
            Some("x/y.yaml")
        );
    }

    #[test]
    fn filter_include_exclude() {
        let f = PathFilter::new(&["k8s/**".into()], &["k8s/skip".into()]).unwrap();
        assert!(f.accepts(&["k8s/a.yaml"]));
        assert!(!f.accepts(&["k8s/skip/a.yaml"]));
        assert!(!f.accepts(&["other/a.yaml"]));
        assert!(PathFilter::new(&["[".into()], &[]).is_err());
    }
}
