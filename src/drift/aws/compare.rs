//! Comparing one declared resource with what its account holds: gone, or which compared
//! attributes differ.

use super::declared::{Decl, Identities};
use super::findings::{self, Declared};
use super::index::Index;
use super::normalise::{self, Compared, Context, Norm};
use super::place::Places;
use super::{kinds_of, Member};
use crate::drift::secret::lookup;
use crate::drift::HashKey;
use crate::live::aws::model::{LiveResource, READ_BY_MEMBER};
use crate::model::{render_path, Finding, PathSeg};
use serde_json::Value as J;
use std::collections::{BTreeMap, BTreeSet};

/// The result of comparing one declared resource.
pub(super) struct Checked {
    /// The declared resource, in the list of [`Decl`]s.
    pub decl: usize,
    pub findings: Vec<Finding>,
    /// Drifted attributes and their live values in Terraform's shape.
    pub live_values: Vec<(Vec<PathSeg>, J)>,
    /// The live resource is gone.
    pub missing: bool,
}

/// A compared attribute that differs: (state path, comparison, sensitive, reported).
type Diff = (Vec<PathSeg>, Compared, bool, bool);

/// What was not read, so that drift there is unknown.
#[derive(Default)]
pub(super) struct Unread {
    /// (account, kind, scope) not read completely, with the number of state resources that
    /// were not compared for it (0: unmanaged resources could not be looked for).
    pub scopes: BTreeMap<(String, String, String), usize>,
    /// Compared attributes (`type.attribute`) whose live setting the reading (a snapshot)
    /// did not read.
    pub settings: BTreeSet<String>,
}

impl Unread {
    /// Counts one resource in `region` as not compared, in each scope of the `kinds` (not
    /// read completely in `idx`'s account).
    fn count(&mut self, idx: &Index, kinds: &[&str], region: Option<&str>) {
        for k in kinds {
            for s in idx.scopes(k, region) {
                *self
                    .scopes
                    .entry((idx.account.name.clone(), k.to_string(), s))
                    .or_default() += 1;
            }
        }
    }
}

/// What the live side says about a declared resource that could be judged.
enum Verdict {
    /// It is gone (with what exactly, for a part of a live resource).
    Missing(Option<String>),
    /// It is there, with these attributes differing.
    Differs(Vec<Diff>),
}

/// Compares declared resource `d` (number `di`) with its account among `indexes`: its
/// findings (placed through `places`), or `None` when it cannot be judged (no account, or a
/// kind it needs not read completely: counted in `unread`) or its parent's finding covers it.
pub(super) fn compare_declared(
    di: usize,
    d: &Decl,
    indexes: &[Index],
    ids: &Identities,
    key: &HashKey,
    places: &mut Places,
    unread: &mut Unread,
) -> Option<Checked> {
    let idx = &indexes[d.account?];
    let region = d.r.region.as_deref();
    let live = if matches!(d.rule.member, Some(Member::PolicyAttachment)) {
        None
    } else {
        idx.find(&d.rule.kind, &d.key, region)
    };
    let verdict = verdict(d, idx, live, ids, key, unread)?;
    let live_arn = live
        .and_then(|l| l.arn.clone())
        .or_else(|| d.r.attr_str("arn"))
        .unwrap_or_else(|| {
            format!(
                "{}:{}/{}",
                d.rule.kind,
                live.map(|l| l.region.as_str()).or(region).unwrap_or("?"),
                d.key
            )
        });
    let declared = Declared {
        ty: &d.r.ty,
        address: &d.r.address,
        account: &idx.account.account_id,
        live_key: &d.key,
        live: live_arn,
    };
    let mut c = Checked {
        decl: di,
        findings: Vec::new(),
        live_values: Vec::new(),
        missing: false,
    };
    match verdict {
        Verdict::Missing(detail) => {
            let place = places.of(d, &[]);
            c.findings
                .push(findings::missing(&declared, &place, detail.as_deref()));
            c.missing = true;
        }
        Verdict::Differs(diffs) => {
            for (path, cmp, sensitive, report) in diffs {
                if report {
                    let place = places.of(d, &path);
                    c.findings
                        .push(findings::changed(&declared, &place, &path, &cmp, sensitive));
                }
                c.live_values.push((path, cmp.live));
            }
        }
    }
    Some(c)
}

/// What `live` (`d`'s live resource in `idx`'s account, if any) says about `d`; `None` when
/// `d` cannot be judged (counted in `unread`) or its parent's finding covers it.
fn verdict(
    d: &Decl,
    idx: &Index,
    live: Option<&LiveResource>,
    ids: &Identities,
    key: &HashKey,
    unread: &mut Unread,
) -> Option<Verdict> {
    let region = d.r.region.as_deref();
    // Kinds that must have been read completely for this resource to be judged.
    let incomplete: Vec<&str> = kinds_of(d.rule)
        .into_iter()
        .filter(|k| !idx.is_complete(k, region))
        .collect();
    let group = (d.rule.kind == "ec2:security-group").then_some(d.key.as_str());
    match (&d.rule.member, live) {
        (Some(Member::PolicyAttachment), _) => {
            if !incomplete.is_empty() {
                unread.count(idx, &incomplete, region);
                return None;
            }
            Some(Verdict::Differs(attachment_diffs(d, idx)))
        }
        (_, None) => {
            // A member whose parent the states declare (and miss) is covered by the
            // parent's own finding.
            let parent_declared = d.rule.member.is_some()
                && ids
                    .declared
                    .contains(&(d.rule.kind.as_str(), d.key.as_str()));
            if parent_declared && idx.is_complete(&d.rule.kind, region) {
                return None;
            }
            if !incomplete.is_empty() {
                unread.count(idx, &incomplete, region);
                return None;
            }
            Some(Verdict::Missing(
                d.rule
                    .member
                    .is_some()
                    .then(|| format!("its {} {} is gone", d.rule.kind, d.key)),
            ))
        }
        (Some(Member::SecurityGroupRule), Some(l)) => Some(security_group_rule(d, l)),
        (
            Some(Member::List {
                list,
                attr,
                live: field,
                norm,
            }),
            Some(l),
        ) => {
            let items = lookup_live(&l.body, list).unwrap_or(J::Null);
            let wanted = d.r.attributes.get(attr.as_str());
            let item = items.as_array().into_iter().flatten().find(|i| {
                normalise::compare(
                    *norm,
                    wanted,
                    i.get(field.as_str()),
                    &Context::default(),
                    None,
                )
                .equal
            });
            Some(match item {
                None => Verdict::Missing(Some(format!(
                    "{} {} has no {} entry {}",
                    d.rule.kind,
                    d.key,
                    render_path(list),
                    wanted.map(|w| w.to_string()).unwrap_or_default()
                ))),
                Some(item) => Verdict::Differs(compare_attributes(d, item, ids, group, key, None)),
            })
        }
        (None, Some(l)) => {
            // A bucket body holds each setting that was read (`null` when unset): one
            // that is absent was not read, because no state compared it when the
            // snapshot was taken.
            let settings = READ_BY_MEMBER
                .contains(&d.rule.kind.as_str())
                .then_some(&mut unread.settings);
            Some(Verdict::Differs(compare_attributes(
                d, &l.body, ids, group, key, settings,
            )))
        }
    }
}

/// An exclusive policy attachment: the roles, users and groups the state names against
/// those that hold the policy.
fn attachment_diffs(d: &Decl, idx: &Index) -> Vec<Diff> {
    let mut diffs = Vec::new();
    for (attr, kind) in [
        ("roles", "iam:role"),
        ("users", "iam:user"),
        ("groups", "iam:group"),
    ] {
        if d.r.attributes.get(attr).is_none() {
            continue;
        }
        let mut holders: Vec<J> = idx
            .account
            .resources
            .iter()
            .filter(|l| l.kind == kind)
            .filter(|l| {
                l.body
                    .get("AttachedManagedPolicies")
                    .and_then(J::as_array)
                    .is_some_and(|a| {
                        a.iter()
                            .any(|p| p.get("PolicyArn").and_then(J::as_str) == Some(d.key.as_str()))
                    })
            })
            .map(|l| J::String(l.id.clone()))
            .collect();
        holders.sort_by_key(|v| v.to_string());
        let live_v = J::Array(holders);
        let cmp = normalise::compare(
            Norm::Set,
            d.r.attributes.get(attr),
            Some(&live_v),
            &Context::default(),
            None,
        );
        if !cmp.equal {
            diffs.push((vec![PathSeg::Key(attr.to_string())], cmp, false, true));
        }
    }
    diffs
}

/// A security group rule resource: missing when one of its atomic rules is not in the live
/// group `l`.
fn security_group_rule(d: &Decl, l: &LiveResource) -> Verdict {
    let egress = d.r.attr_str("type").as_deref() == Some("egress");
    let perms = l
        .body
        .get(if egress {
            "IpPermissionsEgress"
        } else {
            "IpPermissions"
        })
        .cloned()
        .unwrap_or(J::Null);
    let live_atoms = normalise::sg_live_atoms(&perms, Some(&d.key));
    let mine = normalise::sg_atoms(&d.r.attributes, Some(&d.key));
    let absent: Vec<String> = mine.difference(&live_atoms).cloned().collect();
    if absent.is_empty() {
        return Verdict::Differs(Vec::new());
    }
    Verdict::Missing(Some(format!(
        "security group {} has no {} rule {}",
        d.key,
        if egress { "egress" } else { "ingress" },
        absent.join(", ")
    )))
}

/// The compared attributes of one resource that differ: (state path, comparison,
/// sensitive, reported). An attribute another resource of the states manages (`unless`) is
/// not reported, but its live value still goes into the live form the policies read.
fn compare_attributes(
    d: &Decl,
    base: &J,
    ids: &Identities,
    group: Option<&str>,
    key: &HashKey,
    mut unread: Option<&mut BTreeSet<String>>,
) -> Vec<Diff> {
    let mut out = Vec::new();
    for c in &d.rule.compare {
        let report = !c
            .unless
            .iter()
            .any(|t| ids.present.contains(&(t.as_str(), d.key.as_str())));
        // An attribute the provider did not write (older provider versions) says nothing.
        let Some(PathSeg::Key(top)) = c.attr.first() else {
            continue;
        };
        if d.r.attributes.get(top.as_str()).is_none() {
            continue;
        }
        if let (Some(unread), Some(PathSeg::Key(member))) = (unread.as_deref_mut(), c.live.first())
        {
            if base.get(member.as_str()).is_none() {
                unread.insert(format!("{}.{}", d.r.ty, render_path(&c.attr)));
                continue;
            }
        }
        let declared = lookup(&d.r.attributes, &c.attr);
        let live = lookup_live(base, &c.live);
        let sensitive =
            d.rule.is_sensitive(&c.attr) || d.r.sensitive.iter().any(|s| overlaps(s, &c.attr));
        let egress = matches!(c.attr.as_slice(), [PathSeg::Key(k)] if k == "egress");
        let ctx = Context {
            attributes: Some(&d.r.attributes),
            group_id: group,
            extra_rules: group.and_then(|g| ids.extra_rules.get(&(g.to_string(), egress))),
        };
        let cmp = normalise::compare(
            c.norm,
            declared,
            live.as_ref(),
            &ctx,
            sensitive.then_some(key),
        );
        if !cmp.equal {
            out.push((c.attr.clone(), cmp, sensitive, report));
        }
    }
    out
}

/// Follows a rule's live path; `*` projects over a list.
pub(super) fn lookup_live(v: &J, path: &[PathSeg]) -> Option<J> {
    match path.split_first() {
        None => Some(v.clone()),
        Some((PathSeg::Key(k), rest)) if k == "*" => v
            .as_array()
            .map(|items| J::Array(items.iter().filter_map(|x| lookup_live(x, rest)).collect())),
        Some((PathSeg::Key(k), rest)) => lookup_live(v.get(k.as_str())?, rest),
        Some((PathSeg::Index(i), rest)) => lookup_live(v.get(*i)?, rest),
    }
}

/// Is one of the paths `a` and `b` inside the other?
pub(super) fn overlaps(a: &[PathSeg], b: &[PathSeg]) -> bool {
    a.starts_with(b) || b.starts_with(a)
}
