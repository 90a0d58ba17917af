//! Security-relevant drift: the policies run on the declared and the live form of what
//! drifted; a policy only the live form violates raises the drift findings to its severity.

use super::compare::{overlaps, Checked};
use super::declared::Decl;
use super::TypeRule;
use crate::drift::secret::{is_hash_token, json_bytes};
use crate::drift::HashKey;
use crate::load::terraform::state::StateResource;
use crate::load::Document;
use crate::model::{PathSeg, Severity, Subject};
use crate::policy::eval::{evaluate, Mode};
use crate::policy::PolicySet;
use serde_json::Value as J;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A group of declared resources: account, live kind and live key of the live resource they
/// are (parts of).
type Group = (Option<usize>, String, String);

/// Runs the policies on the declared and the live form of every group of resources that
/// drifted (a live resource and the state resources that are parts of it: a bucket and its
/// split resources, a security group and its rules); a policy only the live forms violate
/// raises the group's drift findings to its severity and is named in their messages. `key`
/// hashes the sensitive values of both forms.
pub(super) fn escalate(
    checked: &mut [Checked],
    decls: &[Decl],
    key: &HashKey,
    policies: &PolicySet,
) {
    let mut members: BTreeMap<Group, Vec<usize>> = BTreeMap::new();
    for (i, d) in decls.iter().enumerate() {
        members.entry(group_of(d)).or_default().push(i);
    }
    let by_decl: HashMap<usize, usize> = checked
        .iter()
        .enumerate()
        .map(|(ci, c)| (c.decl, ci))
        .collect();
    let mut groups: BTreeMap<Group, Vec<usize>> = BTreeMap::new();
    for (ci, c) in checked.iter().enumerate() {
        if !c.findings.is_empty() {
            groups.entry(group_of(&decls[c.decl])).or_default().push(ci);
        }
    }
    let mut engine = policies.engine.clone();
    for (g, drifted) in groups {
        let ids = &members[&g];
        let (declared, live) = forms(ids, decls, checked, &by_decl, key);
        let Some((severity, rule_id)) =
            live_only_violation(&mut engine, policies, ids, decls, &declared, &live)
        else {
            continue;
        };
        let findings = checked
            .iter_mut()
            .enumerate()
            .filter(|(ci, _)| drifted.contains(ci))
            .flat_map(|(_, c)| c.findings.iter_mut());
        crate::drift::vocabulary::escalate(findings, (severity, rule_id), "resource", policies);
    }
}

/// The group of a declared resource: the live resource it is, or is a part of.
fn group_of(d: &Decl) -> Group {
    match &d.rule.part_of {
        Some((kind, attr)) => (
            d.account,
            kind.clone(),
            d.r.attr_str(attr).unwrap_or_else(|| d.key.clone()),
        ),
        None => (d.account, d.rule.kind.clone(), d.key.clone()),
    }
}

/// The declared and the live attributes of the group members `ids` (numbers in `decls`), the
/// sensitive values hashed: the live form is the declared one with the drifted attributes'
/// live values (`None` when the live resource is gone).
fn forms(
    ids: &[usize],
    decls: &[Decl],
    checked: &[Checked],
    by_decl: &HashMap<usize, usize>,
    key: &HashKey,
) -> (Vec<J>, Vec<Option<J>>) {
    let declared_attrs: Vec<J> = ids
        .iter()
        .map(|&i| {
            redact(
                &decls[i].r.attributes,
                &sensitive_paths(decls[i].r, decls[i].rule),
                key,
            )
        })
        .collect();
    let mut live_attrs: Vec<Option<J>> = Vec::new();
    for (n, &i) in ids.iter().enumerate() {
        let c = by_decl.get(&i).map(|&ci| &checked[ci]);
        if c.is_some_and(|c| c.missing) {
            live_attrs.push(None);
            continue;
        }
        let mut a = declared_attrs[n].clone();
        for (path, v) in c.map(|c| c.live_values.as_slice()).unwrap_or_default() {
            let sensitive = decls[i].rule.is_sensitive(path)
                || decls[i].r.sensitive.iter().any(|s| overlaps(s, path));
            if !sensitive {
                set_path(&mut a, path, v.clone());
            }
        }
        live_attrs.push(Some(a));
    }
    (declared_attrs, live_attrs)
}

/// The most severe policy the live forms of a group violate and its declared forms do not
/// (each form is evaluated with the group's other members as `related`).
fn live_only_violation(
    engine: &mut regorus::Engine,
    policies: &PolicySet,
    ids: &[usize],
    decls: &[Decl],
    declared_attrs: &[J],
    live_attrs: &[Option<J>],
) -> Option<(Severity, String)> {
    let related = |attrs: &[Option<J>], me: usize| -> Vec<J> {
        ids.iter()
            .enumerate()
            .filter(|(n, _)| *n != me)
            .filter_map(|(n, &i)| {
                attrs[n].as_ref().map(|a| {
                    serde_json::json!({
                        "type": decls[i].r.ty, "name": decls[i].r.name,
                        "address": decls[i].r.address, "attributes": a
                    })
                })
            })
            .collect()
    };
    let declared_opt: Vec<Option<J>> = declared_attrs.iter().cloned().map(Some).collect();
    let mut declared_rules: BTreeSet<String> = BTreeSet::new();
    let mut live_rules: Vec<(Severity, String)> = Vec::new();
    for (n, &i) in ids.iter().enumerate() {
        if let Some(doc) = policy_doc(
            decls[i].r,
            declared_attrs[n].clone(),
            related(&declared_opt, n),
        ) {
            declared_rules.extend(
                evaluate(engine, policies, &doc, Mode::Batched)
                    .findings
                    .into_iter()
                    .map(|f| f.rule_id),
            );
        }
        if let Some(a) = &live_attrs[n] {
            if let Some(doc) = policy_doc(decls[i].r, a.clone(), related(live_attrs, n)) {
                live_rules.extend(
                    evaluate(engine, policies, &doc, Mode::Batched)
                        .findings
                        .into_iter()
                        .map(|f| (f.severity, f.rule_id)),
                );
            }
        }
    }
    crate::drift::vocabulary::worst_live_only(&declared_rules, live_rules)
}

/// A resource as the AWS policies read it (`plan_documents`' shape), as a document.
fn policy_doc(r: &StateResource, attributes: J, related: Vec<J>) -> Option<Document> {
    let body = serde_json::json!({
        "source": "terraform-state",
        "type": r.ty,
        "name": r.name,
        "address": r.address,
        "module": r.module,
        "attributes": attributes,
        "related": related,
    });
    let text = serde_json::to_string_pretty(&body).ok()?;
    let mut loaded = crate::load::load_file(
        &format!("aws-drift/{}.json", r.address),
        text.as_bytes(),
        &crate::load::LoadOptions::default(),
    );
    if loaded.documents.is_empty() {
        return None;
    }
    let mut doc = loaded.documents.remove(0);
    doc.subject = Some(Subject {
        source: "terraform-state".to_string(),
        kind: r.ty.clone(),
        address: r.address.clone(),
        via: Vec::new(),
    });
    Some(doc)
}

/// Replaces every value under a sensitive path by its keyed hash (for documents the
/// policies read: nothing secret leaves this module, not even into a policy's message).
pub(super) fn redact(attributes: &J, paths: &[Vec<PathSeg>], key: &HashKey) -> J {
    fn hash_all(v: &mut J, key: &HashKey) {
        match v {
            J::Object(m) => m.values_mut().for_each(|c| hash_all(c, key)),
            J::Array(a) => a.iter_mut().for_each(|c| hash_all(c, key)),
            J::String(s) if is_hash_token(s) => {}
            J::Null => {}
            other => {
                if let Some(b) = json_bytes(other) {
                    *other = J::String(key.hash(&b));
                }
            }
        }
    }
    let mut out = attributes.clone();
    for p in paths {
        let found = p.iter().try_fold(&mut out, |here, seg| match seg {
            PathSeg::Key(k) => here.get_mut(k.as_str()),
            PathSeg::Index(i) => here.get_mut(*i),
        });
        if let Some(v) = found {
            hash_all(v, key);
        }
    }
    out
}

/// The paths of `r`'s sensitive attributes: those the state marks, and those `rule` names.
fn sensitive_paths(r: &StateResource, rule: &TypeRule) -> Vec<Vec<PathSeg>> {
    r.sensitive
        .iter()
        .cloned()
        .chain(rule.sensitive.iter().map(|(p, _)| p.clone()))
        .collect()
}

/// Sets `path` in `root` (creating objects on the way; lists are not grown).
pub(super) fn set_path(root: &mut J, path: &[PathSeg], value: J) {
    let Some((last, parents)) = path.split_last() else {
        *root = value;
        return;
    };
    let mut here = root;
    for seg in parents {
        here = match seg {
            PathSeg::Key(k) => {
                if !here.is_object() {
                    *here = J::Object(serde_json::Map::new());
                }
                here.as_object_mut()
                    .map(|o| o.entry(k.clone()).or_insert(J::Null))
                    .expect("an object")
            }
            PathSeg::Index(i) => match here.get_mut(*i) {
                Some(v) => v,
                None => return,
            },
        };
    }
    match (last, here) {
        (PathSeg::Key(k), J::Object(o)) => {
            o.insert(k.clone(), value);
        }
        (PathSeg::Index(i), J::Array(a)) if *i < a.len() => a[*i] = value,
        _ => {}
    }
}
