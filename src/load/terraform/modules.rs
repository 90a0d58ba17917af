//! Module calls whose `source` is not a local path: registry modules and remote packages
//! (Git, HTTP archives, buckets).
//!
//! Their files are found, in order, in:
//! 1. what `terraform init` installed: `.terraform/modules/modules.json` beside the root
//!    module maps each call's key (`vpc`, `vpc.subnets`: the module names from the root,
//!    dot-joined, without instance keys) to the directory it was installed in. The files are
//!    read from the scanned tree even when the listing left them out (`.terraform` is
//!    normally in `.gitignore`), and only for the call they were installed for (a record
//!    whose source differs from the call's is stale and not used).
//! 2. a download (`--download-modules`, [`crate::source::modules`]): registry modules and
//!    archives over HTTPS, into a content cache outside the repository.
//!
//! A call that neither gives is a warning that names it, its source and how to include it:
//! the scan never looks clean because a module was left out.
//!
//! Resources of such a module are reported at the `module` block of the outermost call in the
//! scanned tree (a file the reader can change), with the module's own file and line as a
//! related location ([`crate::load::ModuleOrigin`]).

use super::{join, parent_dir};
use crate::load::{Files, Format, SourceFile};
use crate::model::NoteLevel;
use crate::source::modules::{display_source, Fetched, Fetcher, ModuleRequest, SourceAddr};
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

/// Where the installed modules of a root module are listed, relative to it.
pub const MANIFEST: &str = ".terraform/modules/modules.json";

/// Files of one module directory read from `.terraform/modules` or a download: at most this
/// many (real modules have a few dozen).
const MAX_DIR_FILES: usize = 2_000;

/// One record of `modules.json`.
#[derive(Debug, Clone)]
struct Record {
    source: String,
    version: Option<String>,
    /// The directory, relative to the top of the scanned tree.
    dir: Option<String>,
}

/// `modules.json` of one root module, read on first need.
#[derive(Debug, Default)]
struct Manifest {
    records: HashMap<String, Record>,
}

/// A downloaded package: where it is on disk, and the name its files are reported under.
#[derive(Debug, Clone)]
struct Package {
    /// The virtual directory the package's files are reported under
    /// (`registry.terraform.io/ns/name/provider@1.2.0`).
    prefix: String,
    root: PathBuf,
}

/// What a non-local module call resolved to.
pub(super) struct Resolved {
    /// The module's directory as the loader names it (in the tree, or a package's virtual
    /// directory).
    pub dir: String,
    /// `source` (and `@version`) as the related location names the module.
    pub label: String,
}

/// Why a call was not loaded: the notification's level, code and message.
pub(super) struct NotLoaded {
    /// A warning when the module was deliberately not loaded (nothing installed, a source
    /// plumbline does not download); an error when a download failed (the scan asked for
    /// it, and is incomplete).
    pub level: NoteLevel,
    pub code: &'static str,
    pub message: String,
}

/// The modules of one root module's evaluation that are not local directories of the scan.
pub(super) struct External<'a> {
    fetcher: Option<&'a Fetcher>,
    root_dir: String,
    manifest: RefCell<Option<Option<Manifest>>>,
    packages: RefCell<Vec<Package>>,
    /// Files of `.terraform` directories the listing left out, by directory (read once).
    unlisted: RefCell<Option<HashMap<String, Vec<String>>>>,
    /// The manifest could not be read: the problem, reported once by the caller.
    pub manifest_problem: RefCell<Option<String>>,
}

impl<'a> External<'a> {
    pub fn new(root_dir: &str, fetcher: Option<&'a Fetcher>) -> Self {
        Self {
            fetcher,
            root_dir: root_dir.to_string(),
            manifest: RefCell::default(),
            packages: RefCell::default(),
            unlisted: RefCell::default(),
            manifest_problem: RefCell::default(),
        }
    }

    fn manifest_path(&self) -> String {
        join(&self.root_dir, MANIFEST).unwrap_or_else(|| MANIFEST.to_string())
    }

    /// Reads `modules.json` once. A file that is missing is no manifest; one that cannot be
    /// read or parsed is reported (through `manifest_problem`) and not used.
    fn with_manifest<T>(&self, files: &dyn Files, f: impl FnOnce(Option<&Manifest>) -> T) -> T {
        if self.manifest.borrow().is_none() {
            let path = self.manifest_path();
            let read = read_any(files, &path);
            let manifest = match read {
                None => None,
                Some(Err(e)) => {
                    *self.manifest_problem.borrow_mut() = Some(e);
                    None
                }
                Some(Ok(file)) => match parse_manifest(&file, &self.root_dir) {
                    Ok(m) => Some(m),
                    Err(e) => {
                        *self.manifest_problem.borrow_mut() = Some(e);
                        None
                    }
                },
            };
            *self.manifest.borrow_mut() = Some(manifest);
        }
        let held = self.manifest.borrow();
        f(held.as_ref().and_then(Option::as_ref))
    }

    /// The package a virtual path is in.
    fn package_of(&self, path: &str) -> Option<(Package, String)> {
        self.packages.borrow().iter().find_map(|p| {
            let rest = path.strip_prefix(&p.prefix)?;
            if rest.is_empty() {
                Some((p.clone(), String::new()))
            } else {
                rest.strip_prefix('/').map(|r| (p.clone(), r.to_string()))
            }
        })
    }

    /// Whether `dir` is a module directory this finds files for (a package of a download, or
    /// a directory under a `.terraform` directory of the tree).
    pub fn is_external(&self, dir: &str) -> bool {
        self.package_of(dir).is_some() || in_terraform_dir(dir)
    }

    /// The `.tf` and `.tf.json` files of an external module directory: for a package, from
    /// disk; under `.terraform`, those the listing holds and those it left out.
    pub fn dir_files(&self, files: &dyn Files, dir: &str) -> Vec<String> {
        if let Some((pkg, rel)) = self.package_of(dir) {
            return package_dir_files(&pkg, &rel);
        }
        if !in_terraform_dir(dir) {
            return Vec::new();
        }
        let mut out: Vec<String> = self.unlisted_in(files, dir);
        let prefix = format!("{dir}/");
        out.extend(
            files
                .paths()
                .iter()
                .filter(|p| {
                    p.strip_prefix(&prefix)
                        .is_some_and(|rest| !rest.contains('/'))
                        && Format::of_path(p) == Some(Format::Terraform)
                })
                .cloned(),
        );
        out.sort();
        out.dedup();
        out.truncate(MAX_DIR_FILES);
        out
    }

    /// The configuration files of `dir` that the listing left out, from one walk of the root
    /// module's `.terraform/modules`.
    fn unlisted_in(&self, files: &dyn Files, dir: &str) -> Vec<String> {
        let mut held = self.unlisted.borrow_mut();
        let index = held.get_or_insert_with(|| {
            let modules_dir = join(&self.root_dir, ".terraform/modules").unwrap_or_default();
            let mut index: HashMap<String, Vec<String>> = HashMap::new();
            for p in files.unlisted_under(&modules_dir) {
                if Format::of_path(&p) == Some(Format::Terraform) {
                    index.entry(parent_dir(&p).to_string()).or_default().push(p);
                }
            }
            index
        });
        index.get(dir).cloned().unwrap_or_default()
    }

    /// Reads a file of an external module directory.
    pub fn read(&self, files: &dyn Files, path: &str) -> Option<Result<Arc<SourceFile>, String>> {
        if let Some((pkg, rel)) = self.package_of(path) {
            return Some(read_package_file(&pkg, &rel, path));
        }
        read_any(files, path)
    }

    /// Reads a file of a downloaded package, any kind (a `templatefile()` template): `None`
    /// when `path` is not in a package or no such file is there.
    pub fn read_downloaded(&self, path: &str) -> Option<Result<Arc<SourceFile>, String>> {
        let (pkg, rel) = self.package_of(path)?;
        pkg.root
            .join(&rel)
            .is_file()
            .then(|| read_package_file(&pkg, &rel, path))
    }

    /// Where the module of a call is: `key` is the call's key (`vpc.subnets`), `caller_dir`
    /// the calling module's directory, `source` and `version` as the call gives them.
    pub fn resolve(
        &self,
        files: &dyn Files,
        key: &str,
        caller_dir: &str,
        source: &str,
        version: Option<&str>,
        local: bool,
    ) -> Result<Resolved, NotLoaded> {
        if local {
            return self.resolve_local(files, key, caller_dir, source);
        }
        let addr = SourceAddr::parse(source);
        let installed = self.with_manifest(files, |m| m.and_then(|m| m.records.get(key).cloned()));
        let mut stale = None;
        if let Some(record) = installed {
            if !same_source(&record.source, source) {
                stale = Some(format!(
                    "records it as installed from {}, but its source is now {}",
                    display_source(&record.source),
                    display_source(source)
                ));
            } else if let Some(why) = version_mismatch(record.version.as_deref(), version) {
                stale = Some(why);
            } else if let Some(dir) = record.dir {
                let label = match &record.version {
                    Some(v) => format!("{source}@{v}"),
                    None => source.to_string(),
                };
                return Ok(Resolved { dir, label });
            }
        }
        if let Some(fetcher) = self.fetcher {
            let request = ModuleRequest {
                source: source.to_string(),
                version: version.map(str::to_string),
            };
            return match fetcher.fetch(&request) {
                Ok(fetched) => Ok(self.add_package(fetched)),
                Err(e) => Err(NotLoaded {
                    level: if e.unsupported {
                        NoteLevel::Warning
                    } else {
                        NoteLevel::Error
                    },
                    code: "terraform-module-download",
                    message: format!(
                        "its source {} could not be downloaded: {e}",
                        display_source(source)
                    ),
                }),
            };
        }
        let how = "run `terraform init` in the root module and scan the working tree \
                   (--worktree), or scan with --download-modules";
        let message = match stale {
            Some(why) => format!(
                "{} {why}: what is installed is not what the call asks for, so it was not \
                 loaded and its resources were not checked; {how}",
                self.manifest_path(),
            ),
            None => format!(
                "its source {} ({}) is not installed in {}, so its resources were not checked; \
                 {how}",
                display_source(source),
                addr.kind(),
                join(&self.root_dir, ".terraform/modules").unwrap_or_default()
            ),
        };
        Err(NotLoaded {
            level: NoteLevel::Warning,
            code: "terraform-module-not-loaded",
            message,
        })
    }

    /// A local path inside an external module: installed beside it (`modules.json` records
    /// it too, which wins), or a directory of the same package.
    fn resolve_local(
        &self,
        files: &dyn Files,
        key: &str,
        caller_dir: &str,
        source: &str,
    ) -> Result<Resolved, NotLoaded> {
        let (source_path, subdir) = split_subdir(source);
        if let Some((pkg, _)) = self.package_of(caller_dir) {
            let target = join(caller_dir, source_path)
                .and_then(|d| join(&d, subdir.unwrap_or("")))
                .filter(|d| d == &pkg.prefix || d.starts_with(&format!("{}/", pkg.prefix)));
            return match target {
                Some(dir) => Ok(Resolved {
                    label: pkg.prefix.clone(),
                    dir,
                }),
                None => Err(NotLoaded {
                    level: NoteLevel::Error,
                    code: "terraform-module-outside",
                    message: format!(
                        "its source {source:?} leaves the package it is in ({}), which Terraform \
                         does not allow, so it was not loaded",
                        pkg.prefix
                    ),
                }),
            };
        }
        let installed = self.with_manifest(files, |m| m.and_then(|m| m.records.get(key).cloned()));
        let dir = match installed.and_then(|r| r.dir) {
            Some(dir) => Some(dir),
            None => join(caller_dir, source_path).and_then(|d| join(&d, subdir.unwrap_or(""))),
        };
        match dir {
            Some(dir) => Ok(Resolved {
                label: source.to_string(),
                dir,
            }),
            None => Err(NotLoaded {
                level: NoteLevel::Error,
                code: "terraform-module-outside",
                message: format!(
                    "its source {source:?} is outside the scanned tree, so it was not loaded"
                ),
            }),
        }
    }

    /// Records a downloaded package: its virtual directory, and the module's within it.
    fn add_package(&self, fetched: Fetched) -> Resolved {
        let prefix = fetched.label.clone();
        let mut packages = self.packages.borrow_mut();
        if !packages.iter().any(|p| p.prefix == prefix) {
            packages.push(Package {
                prefix: prefix.clone(),
                root: fetched.root.clone(),
            });
        }
        let dir = join(&prefix, &fetched.subdir).unwrap_or_else(|| prefix.clone());
        Resolved { dir, label: prefix }
    }
}

/// Why an installed version does not satisfy the call's `version` constraint (`None`: it
/// does, or either is missing or unreadable: Terraform reports a bad constraint itself).
fn version_mismatch(installed: Option<&str>, constraint: Option<&str>) -> Option<String> {
    use crate::source::modules::version::{Constraints, Version};
    let (installed, constraint) = (installed?, constraint?);
    let v = Version::parse(installed)?;
    let c = Constraints::parse(constraint).ok()?;
    (!c.selects(&v)).then(|| {
        format!("records version {installed} as installed, but the call asks for {constraint:?}")
    })
}

/// Whether a path is under a `.terraform` directory (Terraform's working data).
pub fn in_terraform_dir(path: &str) -> bool {
    path.split('/').any(|s| s == ".terraform")
}

/// Reads a file of the scan, or one the listing left out.
fn read_any(files: &dyn Files, path: &str) -> Option<Result<Arc<SourceFile>, String>> {
    files.read(path).or_else(|| files.read_unlisted(path))
}

/// `source//sub` → (`source`, `sub`); the `//` of a URL scheme is not a subdirectory.
fn split_subdir(source: &str) -> (&str, Option<&str>) {
    let start = source.find("://").map_or(0, |i| i + 3);
    match source[start..].find("//") {
        Some(i) => (&source[..start + i], Some(&source[start + i + 2..])),
        None => (source, None),
    }
}

/// Whether a `modules.json` source is the call's: as written, or as Terraform normalises it
/// (the registry's default host added, GitHub shorthand as a Git URL).
fn same_source(recorded: &str, source: &str) -> bool {
    recorded == source
        || SourceAddr::parse(recorded).normalized() == SourceAddr::parse(source).normalized()
}

#[derive(serde::Deserialize)]
struct ManifestFile {
    #[serde(rename = "Modules", default)]
    modules: Vec<ManifestRecord>,
}

#[derive(serde::Deserialize)]
struct ManifestRecord {
    #[serde(rename = "Key", default)]
    key: String,
    #[serde(rename = "Source", default)]
    source: String,
    #[serde(rename = "Version", default)]
    version: Option<String>,
    #[serde(rename = "Dir", default)]
    dir: String,
}

/// Parses `modules.json`; each record's directory is made relative to the top of the tree
/// (a directory that leaves the tree is not used).
fn parse_manifest(file: &SourceFile, root_dir: &str) -> Result<Manifest, String> {
    let parsed: ManifestFile = serde_json::from_str(&file.text).map_err(|e| {
        format!(
            "{}:{}: cannot read the list of installed modules ({e}); run `terraform init` \
             again to rewrite it",
            file.path,
            e.line()
        )
    })?;
    let mut records = HashMap::new();
    for r in parsed.modules {
        if r.key.is_empty() {
            continue;
        }
        let dir = join(root_dir, &r.dir.replace('\\', "/"));
        records.insert(
            r.key,
            Record {
                source: r.source,
                version: r.version.filter(|v| !v.is_empty()),
                dir,
            },
        );
    }
    Ok(Manifest { records })
}

/// The `.tf` and `.tf.json` files directly in `rel` of a package on disk, as virtual paths.
fn package_dir_files(pkg: &Package, rel: &str) -> Vec<String> {
    let dir = pkg.root.join(rel);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in entries.flatten().take(MAX_DIR_FILES * 4) {
        let Ok(kind) = e.file_type() else { continue };
        if !kind.is_file() {
            continue;
        }
        let name = e.file_name().to_string_lossy().into_owned();
        let virtual_path = if rel.is_empty() {
            format!("{}/{name}", pkg.prefix)
        } else {
            format!("{}/{rel}/{name}", pkg.prefix)
        };
        if Format::of_path(&virtual_path) == Some(Format::Terraform) {
            out.push(virtual_path);
        }
    }
    out.sort();
    out.truncate(MAX_DIR_FILES);
    out
}

/// Reads a file of a package (extracted by the fetcher: regular files only, sizes bounded).
fn read_package_file(pkg: &Package, rel: &str, path: &str) -> Result<Arc<SourceFile>, String> {
    if rel.split('/').any(|s| s == ".." || s.is_empty()) {
        return Err(format!("{path} is not a file of the module"));
    }
    let full = pkg.root.join(rel);
    let meta = std::fs::symlink_metadata(&full)
        .map_err(|e| format!("{path}: cannot read the downloaded file: {e}"))?;
    if !meta.is_file() {
        return Err(format!("{path} is not a regular file of the module"));
    }
    let bytes = std::fs::read(&full)
        .map_err(|e| format!("{path}: cannot read the downloaded file: {e}"))?;
    let text = crate::load::decode_text(path, &bytes)?;
    Ok(Arc::new(SourceFile::new(path.to_string(), text)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subdirectories_are_split_after_the_scheme() {
        assert_eq!(split_subdir("./a//b"), ("./a", Some("b")));
        assert_eq!(
            split_subdir("git::https://example.com/r.git//sub?ref=v1"),
            ("git::https://example.com/r.git", Some("sub?ref=v1"))
        );
        assert_eq!(
            split_subdir("hashicorp/consul/aws"),
            ("hashicorp/consul/aws", None)
        );
    }

    #[test]
    fn a_local_call_inside_a_downloaded_package_stays_in_it() {
        let ext = External::new("", None);
        let got = ext.add_package(Fetched {
            root: std::path::PathBuf::from("/nonexistent"),
            subdir: "modules/a".into(),
            label: "acme/net/aws@1.0.0".into(),
        });
        assert_eq!(got.dir, "acme/net/aws@1.0.0/modules/a");
        let files = crate::load::MemFiles::default();
        let sibling = ext
            .resolve(&files, "net.b", &got.dir, "../b", None, true)
            .ok()
            .unwrap();
        assert_eq!(sibling.dir, "acme/net/aws@1.0.0/modules/b");
        let out = ext
            .resolve(&files, "net.c", &got.dir, "../../../c", None, true)
            .err()
            .unwrap();
        assert_eq!(out.code, "terraform-module-outside");
        assert!(
            out.message.contains("leaves the package"),
            "{}",
            out.message
        );
    }

    #[test]
    fn installed_versions_must_satisfy_the_call() {
        assert!(version_mismatch(Some("5.1.2"), Some("~> 5.0")).is_none());
        assert!(version_mismatch(Some("5.1.2"), Some(">= 6.0")).is_some());
        assert!(version_mismatch(None, Some(">= 6.0")).is_none());
    }

    #[test]
    fn installed_sources_compare_as_terraform_normalises_them() {
        assert!(same_source(
            "registry.terraform.io/terraform-aws-modules/vpc/aws",
            "terraform-aws-modules/vpc/aws"
        ));
        assert!(same_source(
            "git::https://github.com/org/repo.git?ref=v1",
            "github.com/org/repo?ref=v1"
        ));
        assert!(!same_source(
            "registry.terraform.io/terraform-aws-modules/vpc/aws",
            "terraform-aws-modules/eks/aws"
        ));
    }
}
