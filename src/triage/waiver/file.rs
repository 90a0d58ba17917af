//! The waiver file, `.plumbline/waivers.yaml` at the root of the scanned repository (read
//! from the scanned revision, like the manifests), or `--waivers FILE` (read from disk):
//!
//! ```yaml
//! waivers:
//!   - rule: PL-K8S-0003              # an id or a glob; several ids separated by commas
//!     path: deploy/legacy/**          # glob over repository-relative paths
//!     resource: Deployment/shop/web*  # Kind/namespace/name or Kind/name, with globs
//!     reason: Vendor image needs it until the 2.0 upgrade
//!     owner: team-payments
//!     expires: 2025-06-30             # last day it applies
//! ```
//!
//! Every selector given must match. `address` is a Terraform address or CloudFormation
//! logical id (`module.store.aws_s3_bucket.logs`, `*` matches any run of characters; an
//! address without an instance key covers every `count`/`for_each` instance). `arn` (an AWS
//! ARN) is accepted for the AWS drift work; no finding carries one yet, so such an entry
//! matches nothing today (and is not reported stale). Drift ignores for live fields will
//! live in this same file with the same syntax (a `fields:` key, added with the drift work;
//! until then it is rejected as unknown).

use super::grammar;
use super::{Options, Target, Waiver};
use crate::date::Date;
use crate::load::yaml_error;
use crate::model::{Finding, Pos, SuppressionKind};
use crate::source::Listing;
use globset::{Glob, GlobBuilder, GlobMatcher, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use serde_saphyr::Spanned;

/// The default waiver file, relative to the root of the scanned repository or directory.
pub const DEFAULT_PATH: &str = ".plumbline/waivers.yaml";

/// A problem in the waiver file (exit code 2): where, and what to do.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{file}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct WaiverFileError {
    pub file: String,
    pub line: Option<u32>,
    pub message: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDoc {
    #[serde(default)]
    waivers: Vec<Spanned<Entry>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    rule: Option<String>,
    path: Option<String>,
    resource: Option<String>,
    address: Option<String>,
    arn: Option<String>,
    reason: Option<String>,
    owner: Option<String>,
    expires: Option<String>,
}

/// Which findings an entry of the waiver file covers.
#[derive(Debug, Clone)]
pub struct Selector {
    path: Option<GlobSet>,
    resource: Option<GlobMatcher>,
    /// Terraform address and AWS ARN: kept for the loaders that will produce them.
    pub address: Option<String>,
    pub arn: Option<String>,
}

impl Selector {
    pub fn matches(&self, f: &Finding) -> bool {
        if self.arn.is_some() {
            // No finding carries an ARN yet.
            return false;
        }
        if let Some(pattern) = &self.address {
            match &f.subject {
                Some(s) if address_matches(pattern, &s.address) => {}
                _ => return false,
            }
        }
        if let Some(p) = &self.path {
            if !p.is_match(&f.file) {
                return false;
            }
        }
        if let Some(r) = &self.resource {
            let Some(id) = &f.resource else {
                return false;
            };
            let key = format!(
                "{}/{}/{}",
                id.kind,
                id.namespace.as_deref().unwrap_or(""),
                id.name
            );
            if !r.is_match(key) {
                return false;
            }
        }
        true
    }

    fn matches_path(&self, path: &str) -> bool {
        self.path.as_ref().is_some_and(|p| p.is_match(path))
    }
}

/// Reads the waiver file the scan uses: `--waivers FILE` from disk, else
/// `.plumbline/waivers.yaml` from the scanned revision's tree, or from the scanned
/// directory on disk. A missing default file means no waivers.
pub fn load(
    opts: &Options,
    listing: &Listing,
    repo: Option<&gix::ThreadSafeRepository>,
) -> Result<Vec<Waiver>, WaiverFileError> {
    let error = |file: &str, message: String| WaiverFileError {
        file: file.to_string(),
        line: None,
        message,
    };
    if let Some(path) = &opts.file {
        // Named relative to the scanned root when inside it, like the scanned files.
        let shown = listing
            .root
            .as_ref()
            .and_then(|root| {
                let abs = std::fs::canonicalize(path).ok()?;
                let rel = abs.strip_prefix(root).ok()?;
                Some(rel.to_string_lossy().replace('\\', "/"))
            })
            .unwrap_or_else(|| path.display().to_string());
        let text =
            crate::bounded::read_to_string(path, crate::bounded::WAIVERS_BYTES).map_err(|e| {
                error(
                    &shown,
                    format!("cannot read the waiver file given with --waivers: {e}"),
                )
            })?;
        return parse(&shown, &text);
    }
    let text = match (&listing.commit, repo, &listing.root) {
        (Some(commit), Some(repo), _) => read_from_revision(&repo.to_thread_local(), commit)
            .map_err(|e| error(DEFAULT_PATH, e))?,
        (_, _, Some(root)) => {
            read_optional(&root.join(DEFAULT_PATH)).map_err(|e| error(DEFAULT_PATH, e))?
        }
        // Standard input: the waiver file of the current directory.
        _ => {
            read_optional(std::path::Path::new(DEFAULT_PATH)).map_err(|e| error(DEFAULT_PATH, e))?
        }
    };
    match text {
        Some(text) => parse(DEFAULT_PATH, &text),
        None => Ok(Vec::new()),
    }
}

fn read_optional(path: &std::path::Path) -> Result<Option<String>, String> {
    match crate::bounded::read_to_string(path, crate::bounded::WAIVERS_BYTES) {
        Ok(t) => Ok(Some(t)),
        Err(crate::bounded::ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            Ok(None)
        }
        Err(e) => Err(format!("cannot read the waiver file: {e}")),
    }
}

/// The waiver file as committed in `commit` (the scanned revision), if there is one.
fn read_from_revision(repo: &gix::Repository, commit: &str) -> Result<Option<String>, String> {
    let fail = |e: &dyn std::fmt::Display| format!("cannot read the waiver file at {commit}: {e}");
    let id = gix::ObjectId::from_hex(commit.as_bytes()).map_err(|e| fail(&e))?;
    let tree = repo
        .find_object(id)
        .map_err(|e| fail(&e))?
        .peel_to_commit()
        .map_err(|e| fail(&e))?
        .tree()
        .map_err(|e| fail(&e))?;
    let Some(entry) = tree
        .lookup_entry_by_path(DEFAULT_PATH)
        .map_err(|e| fail(&e))?
    else {
        return Ok(None);
    };
    if !entry.mode().is_blob() {
        return Err(fail(
            &"it is not a regular file (a symbolic link or a directory); commit the file itself",
        ));
    }
    let data = entry.object().map_err(|e| fail(&e))?.detach().data;
    String::from_utf8(data)
        .map(Some)
        .map_err(|_| fail(&"it is not UTF-8 text"))
}

/// Parses the waiver file; `shown` names it in errors and in the waivers' locations.
pub fn parse(shown: &str, text: &str) -> Result<Vec<Waiver>, WaiverFileError> {
    let error = |line: Option<u32>, message: String| WaiverFileError {
        file: shown.to_string(),
        line,
        message,
    };
    let doc: Option<FileDoc> = serde_saphyr::from_str(text).map_err(|e| {
        let (line, message) = yaml_error(&e);
        error(line, message)
    })?;
    let mut out = Vec::new();
    for spanned in doc.unwrap_or_default().waivers {
        let line = u32::try_from(spanned.referenced.line()).unwrap_or(u32::MAX);
        let col = u32::try_from(spanned.referenced.column())
            .unwrap_or(1)
            .max(1);
        let e = spanned.value;
        let at = |m: String| error(Some(line), m);
        let rule = e.rule.ok_or_else(|| {
            at("this waiver has no `rule`: give a rule id or glob (`*` for every rule)".into())
        })?;
        let reason = e
            .reason
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty())
            .ok_or_else(|| {
                at(format!(
                    "the waiver for {rule} has no `reason`: every waiver must say why the rule \
                     does not apply"
                ))
            })?;
        if e.path.is_none() && e.resource.is_none() && e.address.is_none() && e.arn.is_none() {
            return Err(at(format!(
                "the waiver for {rule} selects nothing: add `path` (a glob, `**` for the whole \
                 repository) or `resource` (Kind/namespace/name); to turn a rule off \
                 everywhere, use `rules.disable` in .plumbline.yaml"
            )));
        }
        let rules: Vec<String> = rule.split(',').map(|r| r.trim().to_string()).collect();
        for r in &rules {
            grammar::check_rule_id(r).map_err(|g| at(g.to_string()))?;
        }
        let expires = e
            .expires
            .as_deref()
            .map(Date::parse_exact)
            .transpose()
            .map_err(|m| at(format!("expires: {m}")))?;
        let selector = Selector {
            path: e.path.as_deref().map(path_glob).transpose().map_err(&at)?,
            resource: e
                .resource
                .as_deref()
                .map(resource_glob)
                .transpose()
                .map_err(&at)?,
            address: e.address,
            arn: e.arn,
        };
        let mut w = Waiver::new(
            rules,
            Target::Selector(selector),
            reason,
            SuppressionKind::External,
            shown.to_string(),
            Pos::new(line, col),
        )
        .map_err(&at)?;
        w.owner = e.owner;
        w.expires = expires;
        out.push(w);
    }
    Ok(out)
}

/// A path glob as `--include` takes it: `dir` also means everything below it.
fn path_glob(g: &str) -> Result<GlobSet, String> {
    let bad = |e: globset::Error| format!("path {g:?} is not a valid glob: {e}");
    let mut b = GlobSetBuilder::new();
    b.add(Glob::new(g).map_err(bad)?);
    if let Ok(below) = Glob::new(&format!("{}/**", g.trim_end_matches('/'))) {
        b.add(below);
    }
    b.build().map_err(bad)
}

/// Whether a waiver's `address` covers a resource address: `*` matches any run of
/// characters, everything else literally (addresses contain `[`, `"` and `.`); a pattern
/// without an instance key also covers every instance (`aws_s3_bucket.b` covers
/// `aws_s3_bucket.b[0]` and `aws_s3_bucket.b["eu"]`).
pub fn address_matches(pattern: &str, address: &str) -> bool {
    // Greedy, going back only to the last `*` seen: at most len(p) * len(a) steps. Trying
    // every split at every `*` recursively took time exponential in the number of `*`s, and
    // both the pattern (the waiver file) and the address come from the scanned repository.
    fn wild(p: &[u8], a: &[u8]) -> bool {
        let (mut pi, mut ai) = (0, 0);
        let mut last_star: Option<(usize, usize)> = None;
        while ai < a.len() {
            match p.get(pi) {
                Some(b'*') => {
                    last_star = Some((pi, ai));
                    pi += 1;
                }
                Some(&c) if c == a[ai] => {
                    pi += 1;
                    ai += 1;
                }
                _ => match last_star {
                    Some((star, from)) => {
                        pi = star + 1;
                        ai = from + 1;
                        last_star = Some((star, from + 1));
                    }
                    None => return false,
                },
            }
        }
        p[pi..].iter().all(|&c| c == b'*')
    }
    if wild(pattern.as_bytes(), address.as_bytes()) {
        return true;
    }
    // `…name[key]` → `…name` when the pattern names no instance.
    !pattern.ends_with(']')
        && address.ends_with(']')
        && address
            .rfind('[')
            .is_some_and(|i| wild(pattern.as_bytes(), &address.as_bytes()[..i]))
}

/// `Kind/namespace/name` or `Kind/name` (any namespace), each part a glob.
fn resource_glob(r: &str) -> Result<GlobMatcher, String> {
    let parts: Vec<&str> = r.split('/').collect();
    let pattern = match parts.as_slice() {
        [kind, name] => format!("{kind}/*/{name}"),
        [_, _, _] => r.to_string(),
        _ => {
            return Err(format!(
                "resource {r:?}: write Kind/namespace/name or Kind/name, e.g. \
                 Deployment/shop/web or ClusterRole/admin-*"
            ))
        }
    };
    GlobBuilder::new(&pattern)
        .literal_separator(true)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| format!("resource {r:?} is not a valid glob: {e}"))
}

/// Marks which waiver-file entries cover something that was scanned, so that only those are
/// reported stale. `full`: the whole repository or directory was scanned, without
/// `--include`/`--exclude`; otherwise only entries whose `path` matches a scanned file count,
/// and none that also matches a file left to another shard (`elsewhere`, `--shard`): its
/// finding may be there.
pub fn set_scope(waivers: &mut [Waiver], scanned: &[&str], elsewhere: &[String], full: bool) {
    for w in waivers {
        if let Target::Selector(s) = &w.target {
            w.in_scope = if s.arn.is_some() {
                false
            } else if full {
                true
            } else {
                scanned.iter().any(|p| s.matches_path(p))
                    && !elsewhere.iter().any(|p| s.matches_path(p))
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Region, ResourceId};

    fn finding(file: &str, kind: &str, ns: Option<&str>, name: &str) -> Finding {
        Finding {
            rule_id: "R-1".into(),
            severity: crate::model::Severity::High,
            level: crate::model::FindingLevel::Error,
            message: "m".into(),
            file: file.into(),
            region: Region {
                start: Pos::new(1, 1),
                end: Pos::new(1, 2),
            },
            resource: Some(ResourceId {
                api_version: "v1".into(),
                kind: kind.into(),
                namespace: ns.map(str::to_string),
                name: name.into(),
            }),
            subject: None,
            document: 0,
            field_path: vec![],
            fingerprint: "f".into(),
            suppressions: vec![],
            related: Vec::new(),
            live: None,
            baseline_state: None,
        }
    }

    #[test]
    fn terraform_addresses_match_with_wildcards_and_instances() {
        assert!(address_matches("aws_s3_bucket.logs", "aws_s3_bucket.logs"));
        assert!(address_matches(
            "aws_s3_bucket.logs",
            "aws_s3_bucket.logs[0]"
        ));
        assert!(address_matches(
            "aws_s3_bucket.logs",
            "aws_s3_bucket.logs[\"eu\"]"
        ));
        assert!(!address_matches(
            "aws_s3_bucket.logs",
            "aws_s3_bucket.logs2"
        ));
        assert!(!address_matches(
            "aws_s3_bucket.logs[1]",
            "aws_s3_bucket.logs[0]"
        ));
        assert!(address_matches(
            "module.store.*",
            "module.store.aws_s3_bucket.a[\"x\"]"
        ));
        assert!(!address_matches("module.store.*", "aws_s3_bucket.a"));
        assert!(address_matches(
            "*.aws_s3_bucket.a",
            "module.x.aws_s3_bucket.a"
        ));
    }

    #[test]
    fn parses_entries_with_positions() {
        let text = "waivers:\n  - rule: R-1\n    path: k8s\n    reason: ok\n    expires: 2030-01-31\n  - rule: R-*\n    resource: Deployment/web*\n    reason: \"because\"\n    owner: me\n";
        let w = parse("w.yaml", text).unwrap();
        assert_eq!(w.len(), 2);
        assert_eq!(w[0].pos.line, 2);
        assert_eq!(w[0].expires.unwrap().to_string(), "2030-01-31");
        assert_eq!(w[1].pos.line, 6);
        let Target::Selector(s) = &w[0].target else {
            panic!()
        };
        assert!(s.matches(&finding("k8s/a.yaml", "Pod", None, "x")));
        assert!(!s.matches(&finding("other/a.yaml", "Pod", None, "x")));
        let Target::Selector(s) = &w[1].target else {
            panic!()
        };
        assert!(s.matches(&finding("a.yaml", "Deployment", Some("shop"), "web-1")));
        assert!(s.matches(&finding("a.yaml", "Deployment", None, "web")));
        assert!(!s.matches(&finding("a.yaml", "StatefulSet", Some("shop"), "web")));
        assert!(parse("w.yaml", "").unwrap().is_empty());
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse("w.yaml", "waivers:\n  - rule: R-1\n    path: a\n").unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        assert!(e.message.contains("reason"), "{e}");
        let e = parse(
            "w.yaml",
            "waivers:\n  - rule: R-1\n    reason: x\n    paht: a\n",
        )
        .unwrap_err();
        assert_eq!(e.line, Some(4), "{e}");
        assert!(e.message.contains("paht"), "{e}");
        let e = parse(
            "w.yaml",
            "waivers:\n  - rule: R-1\n    reason: x\n    path: a\n    expires: 2030-13-01\n",
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("w.yaml:2: expires"), "{e}");
    }
}
