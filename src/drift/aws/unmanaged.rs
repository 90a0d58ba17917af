//! Unmanaged resources: what AWS holds that no Terraform state does.

use super::declared::Decl;
use super::findings;
use super::index::Index;
use super::{AwsRules, AwsUnmanaged, IgnoreEntry, TypeRule};
use crate::drift::check::Outcome;
use crate::live::aws::model::LiveResource;
use crate::model::{NoteLevel, Notification};
use serde_json::Value as J;
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// `PL-DRIFT-0103`: live resources of the watched kinds that no state holds (of the types
/// `u` names, else of those the states hold), as `u`'s tags and ignore list filter them; a
/// watched kind not read completely is counted in `not_read`.
pub(super) fn unmanaged(
    u: &AwsUnmanaged,
    rules: &AwsRules,
    indexes: &[Index],
    declared_ids: &HashSet<(&str, &str)>,
    decls: &[Decl],
    out: &mut Outcome,
    not_read: &mut BTreeMap<(String, String, String), usize>,
) {
    let types: BTreeSet<&str> = if u.types.is_empty() {
        decls.iter().map(|d| d.rule.ty.as_str()).collect()
    } else {
        u.types.iter().map(String::as_str).collect()
    };
    let watched: BTreeMap<&str, &TypeRule> = types
        .iter()
        .filter_map(|t| rules.get(t))
        .filter_map(|r| rules.unmanaged_type(&r.kind))
        .map(|t| (t.kind.as_str(), t))
        .collect();
    let mut ignored: BTreeMap<String, usize> = BTreeMap::new();
    for idx in indexes {
        for kind in watched.keys() {
            for scope in idx.scopes(kind, None) {
                if !idx.complete.contains(&(kind, scope.as_str())) {
                    not_read
                        .entry((idx.account.name.clone(), kind.to_string(), scope))
                        .or_default();
                }
            }
        }
        for r in &idx.account.resources {
            let Some(rule) = watched.get(r.kind.as_str()) else {
                continue;
            };
            if declared_ids.contains(&(r.kind.as_str(), r.id.as_str()))
                || rule.is_default(&r.body, &idx.default_vpcs)
            {
                continue;
            }
            let tags = tags_of(&r.body);
            if !u
                .tags
                .iter()
                .all(|(k, v)| tags.get(k).is_some_and(|x| x == v))
            {
                continue;
            }
            if let Some(e) = u
                .ignore
                .iter()
                .find(|e| ignore_matches(e, &rule.ty, r, &tags))
            {
                *ignored.entry(e.reason.clone()).or_default() += 1;
                continue;
            }
            let live = r
                .arn
                .clone()
                .unwrap_or_else(|| format!("{}:{}/{}", r.kind, r.region, r.id));
            out.findings.push(findings::unmanaged(
                &rule.ty,
                &r.kind,
                &idx.account.account_id,
                &r.region,
                &r.id,
                &live,
            ));
        }
    }
    for (reason, n) in ignored {
        out.notifications.push(Notification::new(
            NoteLevel::Note,
            "aws-unmanaged-ignored",
            format!(
                "{n} unmanaged AWS resource(s) not reported, as the ignore list says: {reason}"
            ),
        ));
    }
}

/// Matches `*` and `?` wildcards.
fn wildcard(pattern: &str, text: &str) -> bool {
    crate::drift::rules::glob(pattern, text)
}

/// A live resource's tags (`Tags`, or `TagList`; a map or a list of `Key`/`Value` pairs).
fn tags_of(body: &J) -> BTreeMap<String, String> {
    let tags = body.get("Tags").or_else(|| body.get("TagList"));
    let mut out = BTreeMap::new();
    match tags {
        Some(J::Object(m)) => {
            for (k, v) in m {
                out.insert(k.clone(), v.as_str().unwrap_or_default().to_string());
            }
        }
        Some(J::Array(items)) => {
            for t in items {
                let k = t.get("Key").or_else(|| t.get("TagKey")).and_then(J::as_str);
                let v = t
                    .get("Value")
                    .or_else(|| t.get("TagValue"))
                    .and_then(J::as_str);
                if let Some(k) = k {
                    out.insert(k.to_string(), v.unwrap_or_default().to_string());
                }
            }
        }
        _ => {}
    }
    out
}

/// Does ignore list entry `e` match live resource `r` (of Terraform type `ty`)?
fn ignore_matches(
    e: &IgnoreEntry,
    ty: &str,
    r: &LiveResource,
    tags: &BTreeMap<String, String>,
) -> bool {
    e.ty.as_deref().is_none_or(|t| t == ty)
        && e.id.as_deref().is_none_or(|p| wildcard(p, &r.id))
        && e.arn
            .as_deref()
            .is_none_or(|p| r.arn.as_deref().is_some_and(|a| wildcard(p, a)))
        && e.tag.as_deref().is_none_or(|t| match t.split_once('=') {
            Some((k, v)) => tags.get(k).is_some_and(|x| x == v),
            None => tags.contains_key(t),
        })
}
