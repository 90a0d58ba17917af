//! The namespace pass: rules that compare a Kubernetes object with the other objects of its
//! namespace (`custom.related_kinds`), such as "this workload is selected by a
//! NetworkPolicy". They run once every file is loaded, on the objects the first pass kept:
//! each checked object sees, as `input.related`, the objects of the related kinds in the same
//! namespace (an object without a namespace is in `default`, where `kubectl apply` puts it).

use super::eval::{evaluate, Mode, Outcome};
use super::PolicySet;
use crate::load::{Document, Related, RelatedSet, SourceFile};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// The objects of the related kinds of one namespace, and each one's place in the set.
type SharedSet = (Arc<RelatedSet>, BTreeMap<usize, usize>);

/// The namespace an object is applied to.
fn namespace_of(doc: &Document) -> Option<&str> {
    let r = doc.resource.as_ref()?;
    Some(r.namespace.as_deref().unwrap_or("default"))
}

/// Whether the namespace pass needs `doc`: a namespace rule checks it, or it is of a kind
/// some namespace rule reads as related.
pub fn wanted(set: &PolicySet, doc: &Document) -> bool {
    doc.is_kubernetes()
        && set.packages.iter().any(|p| {
            p.related_kinds.as_ref().is_some_and(|related| {
                p.applies_to_kind(doc) || doc.kind().is_some_and(|k| related.contains(k))
            })
        })
}

/// Runs the namespace rules over `documents` (every document the first pass kept; the others
/// are left alone). Returns the outcome and the files its findings point into.
pub fn run(documents: &mut [Document], set: &PolicySet) -> (Outcome, Vec<Arc<SourceFile>>) {
    // Each checked object sees the kinds its rules relate to (a workload: NetworkPolicies;
    // a NetworkPolicy: workloads), not every object of the namespace: a namespace of
    // thousands of workloads and a few policies stays linear.
    let kinds_for = |doc: &Document| -> BTreeSet<&str> {
        set.packages
            .iter()
            .filter(|p| p.applies_to_kind(doc))
            .filter_map(|p| p.related_kinds.as_ref())
            .flatten()
            .map(String::as_str)
            .collect()
    };
    let mut by_namespace: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, doc) in documents.iter().enumerate() {
        if let Some(ns) = namespace_of(doc) {
            by_namespace.entry(ns.to_string()).or_default().push(i);
        }
    }
    let mut runs = Vec::new();
    for (ns, members) in by_namespace {
        let mut shared: BTreeMap<BTreeSet<&str>, SharedSet> = BTreeMap::new();
        for &i in &members {
            let kinds = kinds_for(&documents[i]);
            if kinds.is_empty() {
                continue; // only read as related
            }
            let (related_set, slot) = shared.entry(kinds.clone()).or_insert_with(|| {
                let in_set: Vec<usize> = members
                    .iter()
                    .copied()
                    .filter(|&j| documents[j].kind().is_some_and(|k| kinds.contains(k)))
                    .collect();
                let slot = in_set.iter().enumerate().map(|(k, &j)| (j, k)).collect();
                let items = in_set.iter().map(|&j| documents[j].node.clone()).collect();
                (RelatedSet::new(items), slot)
            });
            let mut related = Related::new(related_set, slot.get(&i).copied());
            related.namespace = Some(ns.clone());
            documents[i].related = Some(related);
            runs.push(i);
        }
    }
    let outcomes: Vec<Outcome> = runs
        .par_iter()
        .map_init(
            || set.engine.clone(),
            |engine, &i| evaluate(engine, set, &documents[i], Mode::Batched),
        )
        .collect();
    let mut out = Outcome::default();
    let mut files: BTreeMap<String, Arc<SourceFile>> = BTreeMap::new();
    for (o, &i) in outcomes.into_iter().zip(&runs) {
        let doc = &mut documents[i];
        for f in &o.findings {
            for file in std::iter::once(&doc.file).chain(&doc.extra_files) {
                if file.path == f.file {
                    files.insert(file.path.clone(), Arc::clone(file));
                }
            }
        }
        doc.related = None;
        out.evaluations += o.evaluations;
        out.findings.extend(o.findings);
        out.notifications.extend(o.notifications);
    }
    (out, files.into_values().collect())
}
