//! The namespace pass: rules that compare a Kubernetes object with the other objects of its
//! namespace (`custom.related_kinds`), such as "this workload is selected by a
//! NetworkPolicy". They run once every file is loaded, on the objects the first pass kept:
//! each checked object sees, as `input.related`, the objects of the related kinds in the same
//! namespace (an object without a namespace is in `default`, where `kubectl apply` puts it).

use super::eval::{evaluate, Mode, Outcome};
use super::metadata::RelatedBy;
use super::PolicySet;
use crate::load::tree::{Entry, Node, Value};
use crate::load::{Document, Related, RelatedSet, SourceFile};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// The objects of the related kinds of one namespace, and which document each one is.
type SharedSet = (Arc<RelatedSet>, Vec<usize>);

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

/// The kinds whose pods `pod_labels_of` of the Kubernetes library finds under
/// `spec.template.metadata.labels`.
const TEMPLATE_KINDS: &[&str] = &[
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
];

/// The labels of an object's pods, read where the Kubernetes library's `pod_labels_of` reads
/// them: `None` for a kind that makes no pods, `Some(None)` when none are written.
fn pod_labels(doc: &Document) -> Option<Option<&Node>> {
    let path: &[&str] = match doc.kind()? {
        "Pod" => &["metadata"],
        "PodTemplate" => &["template", "metadata"],
        "CronJob" => &["spec", "jobTemplate", "spec", "template", "metadata"],
        k if TEMPLATE_KINDS.contains(&k) => &["spec", "template", "metadata"],
        _ => return None,
    };
    let meta = path.iter().try_fold(&doc.node, |n, k| n.get(k));
    Some(meta.and_then(|m| m.get("labels")))
}

fn is_network_policy(doc: &Document) -> bool {
    doc.kind() == Some("NetworkPolicy")
}

/// A mapping's entries; anything else reads as the empty mapping (as `object_or_empty` of the
/// Kubernetes library does).
fn entries(node: Option<&Node>) -> &[Entry] {
    match node.map(|n| &n.value) {
        Some(Value::Map(entries)) => entries,
        _ => &[],
    }
}

/// Rego's equality of two values (numbers compare by value).
fn same(a: &Node, b: &Node) -> bool {
    let number = |v: &Value| match *v {
        Value::Int(i) => Some(i as f64),
        Value::UInt(u) => Some(u as f64),
        Value::Float(f) => Some(f),
        _ => None,
    };
    match (&a.value, &b.value) {
        (Value::Str(x), Value::Str(y)) => x == y,
        (x, y) if number(x).is_some() || number(y).is_some() => number(x) == number(y),
        (Value::Seq(_) | Value::Map(_), _) | (_, Value::Seq(_) | Value::Map(_)) => {
            a.to_json() == b.to_json()
        }
        (x, y) => x == y,
    }
}

/// Whether a label selector selects pods labelled `labels`, exactly as the Kubernetes
/// library's `selector_matches` decides (`matchLabels`; `matchExpressions` with In, NotIn,
/// Exists, DoesNotExist; the empty, null or absent selector selects every pod).
fn selects(selector: Option<&Node>, labels: Option<&Node>) -> bool {
    let labels = entries(labels);
    let label = |key: &str| labels.iter().find(|e| e.key == key).map(|e| &e.value);
    let selector = entries(selector);
    let part = |name: &str| selector.iter().find(|e| e.key == name).map(|e| &e.value);
    let labels_match = entries(part("matchLabels"))
        .iter()
        .all(|wanted| label(&wanted.key).is_some_and(|have| same(have, &wanted.value)));
    let expressions: &[Node] = match part("matchExpressions").map(|n| &n.value) {
        Some(Value::Seq(items)) => items,
        _ => &[],
    };
    labels_match
        && expressions.iter().all(|e| {
            let have = e.get("key").and_then(Node::as_str).and_then(label);
            let values: &[Node] = match e.get("values").map(|v| &v.value) {
                Some(Value::Seq(items)) => items,
                _ => &[],
            };
            let listed = || have.is_some_and(|h| values.iter().any(|v| same(h, v)));
            match e.get("operator").and_then(Node::as_str) {
                Some("In") => listed(),
                Some("NotIn") => !listed(),
                Some("Exists") => have.is_some(),
                Some("DoesNotExist") => have.is_none(),
                _ => false,
            }
        })
}

/// Whether `candidate` bears on `checked` by `relation`.
fn relates(relation: RelatedBy, checked: &Document, candidate: &Document) -> bool {
    match relation {
        RelatedBy::PodSelector => {
            let (policy, pods) = if is_network_policy(checked) {
                (checked, candidate)
            } else if is_network_policy(candidate) {
                (candidate, checked)
            } else {
                return true;
            };
            let Some(labels) = pod_labels(pods) else {
                return true; // a pair the relation does not speak of
            };
            // A policy without a `spec` mapping selects nothing.
            let spec = policy.node.get("spec");
            spec.is_some_and(|spec| matches!(spec.value, Value::Map(_)))
                && selects(spec.and_then(|spec| spec.get("podSelector")), labels)
        }
    }
}

/// Runs the namespace rules over `documents` (every document the first pass kept; the others
/// are left alone). Returns the outcome and the files its findings point into.
pub fn run(documents: &mut [Document], set: &PolicySet) -> (Outcome, Vec<Arc<SourceFile>>) {
    // Each checked object sees the kinds its rules relate to (a workload: NetworkPolicies;
    // a NetworkPolicy: workloads), not every object of the namespace, and of those, when
    // every rule that checks it names a relation (`custom.related_by`), only the ones that
    // relation links to it: a namespace of thousands of workloads and policies stays near
    // linear, since a workload sees the few policies that select it.
    let view_for = |doc: &Document| -> (BTreeSet<&str>, Option<RelatedBy>) {
        let packages: Vec<_> = set
            .packages
            .iter()
            .filter(|p| p.related_kinds.is_some() && p.applies_to_kind(doc))
            .collect();
        let kinds = packages
            .iter()
            .filter_map(|p| p.related_kinds.as_ref())
            .flatten()
            .map(String::as_str)
            .collect();
        let relation = packages.first().and_then(|p| p.related_by);
        let relation = relation.filter(|&r| packages.iter().all(|p| p.related_by == Some(r)));
        (kinds, relation)
    };
    let mut by_namespace: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, doc) in documents.iter().enumerate() {
        if let Some(ns) = namespace_of(doc) {
            by_namespace.entry(ns.to_string()).or_default().push(i);
        }
    }
    let mut runs = Vec::new();
    for (ns, members) in by_namespace {
        let checked: Vec<(usize, BTreeSet<&str>, Option<RelatedBy>)> = members
            .iter()
            .filter_map(|&i| {
                let (kinds, relation) = view_for(&documents[i]);
                (!kinds.is_empty()).then_some((i, kinds, relation)) // else only read as related
            })
            .collect();
        // One shared set per combination of related kinds: the namespace's objects of those kinds.
        let mut shared: BTreeMap<BTreeSet<&str>, SharedSet> = BTreeMap::new();
        for (_, kinds, _) in &checked {
            shared.entry(kinds.clone()).or_insert_with(|| {
                let in_set: Vec<usize> = members
                    .iter()
                    .copied()
                    .filter(|&j| documents[j].kind().is_some_and(|k| kinds.contains(k)))
                    .collect();
                let items = in_set.iter().map(|&j| documents[j].node.clone()).collect();
                (RelatedSet::new(items), in_set)
            });
        }
        let docs: &[Document] = documents;
        let views: Vec<Related> = checked
            .par_iter()
            .map(|(i, kinds, relation)| {
                let (related_set, in_set) = &shared[kinds];
                let me = in_set.binary_search(i).ok();
                let mut related = Related::new(related_set, me);
                if let Some(relation) = *relation {
                    let only: Vec<usize> = (0..in_set.len())
                        .filter(|&k| relates(relation, &docs[*i], &docs[in_set[k]]))
                        .collect();
                    if only.len() < in_set.len() {
                        related.only = Some(only.into());
                    }
                }
                related.namespace = Some(ns.clone());
                related
            })
            .collect();
        for ((i, _, _), related) in checked.iter().zip(views) {
            documents[*i].related = Some(related);
            runs.push(*i);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The value `yaml` (a flow value such as `{app: web}` or `null`) as a tree.
    fn node(yaml: &str) -> Node {
        let flow = if yaml.starts_with(['{', '[']) || !yaml.contains(':') {
            yaml.to_string()
        } else {
            format!("{{{yaml}}}")
        };
        let docs = crate::load::parse_documents(&format!("v: {flow}"), &Default::default());
        docs.unwrap()[0].get("v").unwrap().clone()
    }

    /// The relation decides as the Kubernetes library's `selector_matches` does, on every
    /// pair of a matrix of selectors and labels (the rules trust `input.related`).
    #[test]
    fn selects_as_the_library_does() {
        let set = super::super::load(&super::super::Settings::default()).unwrap();
        let mut engine = set.engine.clone();
        let selectors = [
            "{}",
            "null",
            "[]",
            "matchLabels: {}",
            "matchLabels: {app: web}",
            "matchLabels: {app: web, tier: front}",
            "matchLabels: {port: 80}",
            "matchLabels: {port: 80.0}",
            "matchLabels: {app: null}",
            "matchLabels: [app]",
            "matchExpressions: [{key: app, operator: In, values: [web, api]}]",
            "matchExpressions: [{key: app, operator: In, values: [db]}]",
            "matchExpressions: [{key: app, operator: In}]",
            "matchExpressions: [{key: app, operator: NotIn, values: [web]}]",
            "matchExpressions: [{key: app, operator: NotIn, values: [db]}]",
            "matchExpressions: [{key: env, operator: NotIn, values: [prod]}]",
            "matchExpressions: [{operator: NotIn, values: [web]}]",
            "matchExpressions: [{key: tier, operator: Exists}]",
            "matchExpressions: [{key: env, operator: Exists}]",
            "matchExpressions: [{key: tier, operator: DoesNotExist}]",
            "matchExpressions: [{key: debug, operator: DoesNotExist}]",
            "matchExpressions: [{operator: DoesNotExist}]",
            "matchExpressions: [{key: port, operator: In, values: [80]}]",
            "matchExpressions: [{key: app, operator: Sometimes, values: [web]}]",
            "matchExpressions: [{key: 7, operator: Exists}]",
            "matchExpressions: [web]",
            "matchExpressions: {key: app}",
            "{matchLabels: {app: web}, matchExpressions: [{key: tier, operator: In, values: [front]}]}",
            "{matchLabels: {app: web}, matchExpressions: [{key: tier, operator: In, values: [back]}]}",
        ];
        let labels = [
            "{}",
            "null",
            "{app: web}",
            "{app: api, tier: front}",
            "{app: web, tier: front}",
            "{app: db, tier: back}",
            "{port: 80}",
            "{port: '80'}",
            "{app: null}",
            "[app, web]",
        ];
        let (mut matched, mut missed) = (0, 0);
        for s in selectors {
            for l in labels {
                let (selector, labels_node) = (node(s), node(l));
                let input =
                    serde_json::json!({"s": selector.to_json(), "l": labels_node.to_json()});
                engine.set_input(regorus::Value::from_json_str(&input.to_string()).unwrap());
                let rego = engine
                    .eval_query(
                        "data.plumbline.lib.kubernetes.selector_matches(\
                         input.s, data.plumbline.lib.kubernetes.object_or_empty(input.l))"
                            .into(),
                        false,
                    )
                    .unwrap()
                    .result
                    .iter()
                    .any(|r| {
                        r.expressions
                            .iter()
                            .any(|e| e.value == regorus::Value::from(true))
                    });
                let rust = selects(Some(&selector), Some(&labels_node));
                assert_eq!(rust, rego, "selector {s}, labels {l}");
                matched += usize::from(rego);
                missed += usize::from(!rego);
            }
        }
        assert!(matched > 50 && missed > 50, "{matched} {missed}");
    }

    fn doc(yaml: &str) -> Document {
        let loaded = crate::load::load_file(
            "objects.yaml",
            yaml.as_bytes(),
            &crate::load::LoadOptions::default(),
        );
        loaded.documents.into_iter().next().unwrap()
    }

    #[test]
    fn the_relation_reads_pod_labels_and_pod_selectors() {
        let deployment = doc("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    metadata:\n      labels: {app: web}\n");
        let cronjob = doc("apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: job}\nspec:\n  jobTemplate:\n    spec:\n      template:\n        metadata:\n          labels: {app: job}\n");
        let for_web = doc("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: web}\nspec:\n  podSelector:\n    matchLabels: {app: web}\n");
        let everything = doc("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: all}\nspec:\n  podSelector: {}\n");
        let service = doc(
            "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: db}\n",
        );
        let p = RelatedBy::PodSelector;
        assert!(relates(p, &deployment, &for_web));
        assert!(relates(p, &for_web, &deployment));
        assert!(!relates(p, &cronjob, &for_web));
        assert!(!relates(p, &for_web, &cronjob));
        assert!(relates(p, &cronjob, &everything));
        let no_spec =
            doc("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: bare}\n");
        assert!(!relates(p, &deployment, &no_spec));
        // A pair the relation says nothing about is kept.
        assert!(relates(p, &for_web, &service));
        assert!(relates(p, &deployment, &cronjob));
    }
}
