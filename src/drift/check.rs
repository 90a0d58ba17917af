//! The drift check of a scan: declared documents against what live readers read (or a
//! snapshot holds), cluster by cluster. Anything a cluster did not list completely is not
//! compared and becomes an error notification (`live-not-read`: the scan is incomplete),
//! never a silent "no drift".

use super::compare::{compare, CompareContext};
use super::findings;
use super::matching::{
    declared_objects, index, is_complete, kind_requests, live_key, Defaulting, HpaTargets, Key,
    Scopes,
};
use super::rules::Rules;
use super::secret::HashKey;
use crate::live::{KindRequest, LiveCluster, LiveObject};
use crate::load::Document;
use crate::model::{Finding, NoteLevel, Notification};
use crate::policy::PolicySet;
use std::collections::{BTreeMap, BTreeSet};

/// `--unmanaged`: where live objects that nothing declares are reported.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Unmanaged {
    /// Namespaces to watch (`--unmanaged-namespace`). With neither this nor a selector: the
    /// namespaces Git declares objects in.
    pub namespaces: BTreeSet<String>,
    /// `--unmanaged-selector k=v,k2=v2`: every label must match.
    pub selector: Vec<(String, String)>,
}

impl Unmanaged {
    /// Parses a label selector of `key=value` pairs separated by commas.
    pub fn parse_selector(s: &str) -> Result<Vec<(String, String)>, String> {
        s.split(',')
            .filter(|p| !p.trim().is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, v)) if !k.trim().is_empty() => Ok((
                    k.trim().to_string(),
                    v.trim().trim_start_matches('=').to_string(),
                )),
                _ => Err(format!(
                    "{p:?} is not a label requirement: write key=value (several: \
                     key=value,key2=value2)"
                )),
            })
            .collect()
    }
}

/// Everything the drift check needs besides the declared documents.
pub struct DriftOptions {
    /// Clusters read beforehand (`--live-snapshot`).
    pub clusters: Vec<LiveCluster>,
    /// Clusters to read once the declared kinds are known (`--cluster`): the orchestration
    /// asks [`live_requests`] what to read, reads it (the live stage), redacts it, and
    /// passes it to [`check`].
    pub read: Vec<crate::live::kubernetes::ClusterTarget>,
    /// The key the clusters' sensitive values were hashed with.
    pub key: HashKey,
    pub rules: Rules,
    /// Namespace of namespaced objects declared without one (the kubeconfig context's
    /// namespace for a live read; `default` otherwise).
    pub default_namespace: String,
    pub unmanaged: Option<Unmanaged>,
}

impl std::fmt::Debug for DriftOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.debug_struct("DriftOptions")
            .field(
                "clusters",
                &self.clusters.iter().map(|c| &c.name).collect::<Vec<_>>(),
            )
            .field("default_namespace", &self.default_namespace)
            .field("unmanaged", &self.unmanaged)
            .finish_non_exhaustive()
    }
}

pub use super::vocabulary::Outcome;

/// Live objects that are not reported as unmanaged even when nothing declares them: the
/// API server and controllers create them in every namespace.
fn created_by_kubernetes(o: &LiveObject) -> bool {
    let kind = o.id.kind.as_str();
    let name = o.id.name.as_str();
    (kind == "ConfigMap" && name == "kube-root-ca.crt")
        || (kind == "ServiceAccount" && name == "default")
        || (kind == "Secret"
            && o.body.get("type").and_then(|t| t.as_str())
                == Some("kubernetes.io/service-account-token"))
        || (kind == "Namespace"
            && matches!(
                name,
                "default" | "kube-system" | "kube-public" | "kube-node-lease"
            ))
        || (kind == "Service"
            && name == "kubernetes"
            && o.id.namespace.as_deref() == Some("default"))
}

fn has_owner(o: &LiveObject) -> bool {
    o.body
        .pointer("/metadata/ownerReferences")
        .and_then(|r| r.as_array())
        .is_some_and(|r| !r.is_empty())
}

fn labels_match(o: &LiveObject, selector: &[(String, String)]) -> bool {
    let labels = o.body.pointer("/metadata/labels");
    selector.iter().all(|(k, v)| {
        labels
            .and_then(|l| l.get(k))
            .and_then(|x| x.as_str())
            .is_some_and(|x| x == v)
    })
}

/// Scalable workloads are compared without `spec.replicas` when an autoscaler targets them;
/// the live HorizontalPodAutoscalers in their namespaces are read too, so that one created
/// outside Git is known. Its absence from the cluster is not drift (nothing declares it).
fn with_autoscalers(mut requests: Vec<KindRequest>) -> Vec<KindRequest> {
    const SCALABLE: [&str; 3] = ["Deployment", "StatefulSet", "ReplicaSet"];
    let namespaces: BTreeSet<String> = requests
        .iter()
        .filter(|r| SCALABLE.contains(&r.kind.as_str()))
        .flat_map(|r| r.namespaces.iter().cloned())
        .collect();
    let declared = requests.iter().any(|r| r.kind == "HorizontalPodAutoscaler");
    if !namespaces.is_empty() && !declared {
        requests.push(KindRequest {
            api_version: "autoscaling/v2".into(),
            kind: "HorizontalPodAutoscaler".into(),
            namespaces,
        });
    }
    requests
}

/// The kinds and namespaces to read from the clusters of `opts.read` for `documents`: every
/// declared kind in its namespaces (and the namespaces `--unmanaged` looks in), and the
/// autoscalers that may scale them.
pub fn live_requests(documents: &[Document], opts: &DriftOptions) -> Vec<KindRequest> {
    let before = Defaulting {
        namespace: opts.default_namespace.clone(),
        scopes: Scopes::default().with_declared_crds(documents),
    };
    let extra = opts
        .unmanaged
        .as_ref()
        .map(|u| u.namespaces.clone())
        .unwrap_or_default();
    with_autoscalers(kind_requests(documents, &before, &extra))
}

/// Compares `documents` with every cluster of `opts` and the clusters just `read`. `policies`, when given, are also run on
/// the live objects that drifted: a policy the live object violates and the declared one does
/// not raises the object's drift findings to that policy's severity.
pub fn check(
    documents: &[Document],
    read: Vec<LiveCluster>,
    opts: &DriftOptions,
    policies: Option<&PolicySet>,
) -> Outcome {
    let read_now;
    let clusters: &[LiveCluster] = if read.is_empty() {
        &opts.clusters
    } else {
        let mut all = opts.clusters.clone();
        all.extend(read);
        read_now = all;
        &read_now
    };
    let defaulting = Defaulting {
        namespace: opts.default_namespace.clone(),
        scopes: Scopes::from_clusters(clusters).with_declared_crds(documents),
    };
    let hpa = HpaTargets::collect(documents, &defaulting, clusters);
    let declared: Vec<(&Document, Key)> = declared_objects(documents)
        .map(|(d, id)| (d, defaulting.key(id)))
        .collect();
    let declared_keys: BTreeSet<&Key> = declared.iter().map(|(_, k)| k).collect();
    let mut out = Outcome::default();
    let mut files: BTreeMap<String, std::sync::Arc<crate::load::SourceFile>> = BTreeMap::new();
    let unmanaged = opts.unmanaged.as_ref().map(|u| {
        let mut u = u.clone();
        if u.namespaces.is_empty() && u.selector.is_empty() {
            u.namespaces = declared
                .iter()
                .filter_map(|(_, k)| k.namespace.clone())
                .collect();
        }
        u
    });
    let mut engine = policies.map(|p| p.engine.clone());
    for cluster in clusters {
        // List keys the cluster's OpenAPI v3 declares (none: the built-in table alone).
        let cluster_rules;
        let rules = if cluster.list_keys.is_empty() {
            &opts.rules
        } else {
            cluster_rules = opts.rules.with_cluster_keys(&cluster.list_keys);
            &cluster_rules
        };
        out.notifications
            .extend(cluster.notifications.iter().cloned());
        let live = index(cluster);
        // (group, kind, namespace) → declared objects that could not be compared there.
        let mut not_read: BTreeMap<(String, String, Option<String>), usize> = BTreeMap::new();
        for (doc, key) in &declared {
            if !is_complete(cluster, &key.group, &key.kind, key.namespace.as_deref()) {
                *not_read
                    .entry((key.group.clone(), key.kind.clone(), key.namespace.clone()))
                    .or_default() += 1;
                continue;
            }
            let mut found = match live.get(key) {
                None => vec![findings::missing(doc, key, &cluster.name)],
                Some(o) => {
                    let ctx = CompareContext {
                        rules,
                        key: &opts.key,
                        hpa_targets: hpa.targets(key),
                    };
                    let diffs = compare(&doc.node, &o.body, &ctx);
                    let mut f: Vec<Finding> = diffs
                        .iter()
                        .map(|d| findings::changed(doc, key, &cluster.name, d))
                        .collect();
                    if let (false, Some(p), Some(e)) = (f.is_empty(), policies, engine.as_mut()) {
                        escalate(&mut f, doc, o, key, &cluster.name, p, e);
                    }
                    f
                }
            };
            if !found.is_empty() {
                files.insert(doc.file.path.clone(), std::sync::Arc::clone(&doc.file));
            }
            out.findings.append(&mut found);
        }
        if let Some(u) = &unmanaged {
            unmanaged_in(
                cluster,
                u,
                &declared,
                &declared_keys,
                &mut not_read,
                &mut out,
            );
        }
        out.notifications
            .extend(not_read_notes(&cluster.name, not_read));
    }
    out.rules = [findings::MISSING, findings::CHANGED]
        .into_iter()
        .chain(opts.unmanaged.is_some().then_some(findings::UNMANAGED))
        .filter_map(findings::rule_meta)
        .collect();
    out.files = files.into_values().collect();
    out
}

/// The live objects of `cluster` that nothing declares (`--unmanaged`), as findings; a
/// watched namespace where a declared kind was not listed completely is added to `not_read`.
fn unmanaged_in(
    cluster: &LiveCluster,
    u: &Unmanaged,
    declared: &[(&Document, Key)],
    declared_keys: &BTreeSet<&Key>,
    not_read: &mut BTreeMap<(String, String, Option<String>), usize>,
    out: &mut Outcome,
) {
    // Every declared namespaced kind must have been listed in the watched namespaces.
    let namespaced_kinds: BTreeSet<(&str, &str)> = declared
        .iter()
        .filter(|(_, k)| k.namespace.is_some())
        .map(|(_, k)| (k.group.as_str(), k.kind.as_str()))
        .collect();
    for (group, kind) in namespaced_kinds {
        for ns in &u.namespaces {
            if !is_complete(cluster, group, kind, Some(ns)) {
                not_read
                    .entry((group.to_string(), kind.to_string(), Some(ns.clone())))
                    .or_default();
            }
        }
    }
    let declared_kinds: BTreeSet<(&str, &str)> = declared
        .iter()
        .map(|(_, k)| (k.group.as_str(), k.kind.as_str()))
        .collect();
    for o in &cluster.objects {
        let key = live_key(o);
        // Only the kinds Git declares are read, and so only they are looked at.
        let in_scope = declared_kinds.contains(&(key.group.as_str(), key.kind.as_str()))
            && (u.namespaces.is_empty()
                || key
                    .namespace
                    .as_ref()
                    .is_some_and(|n| u.namespaces.contains(n)))
            && labels_match(o, &u.selector);
        if in_scope && !declared_keys.contains(&key) && !has_owner(o) && !created_by_kubernetes(o) {
            out.findings
                .push(findings::unmanaged(o, &key, &cluster.name));
        }
    }
}

/// The notifications for the kinds and namespaces of `cluster` that were not listed
/// completely: drift there is unknown, not absent.
fn not_read_notes(
    cluster: &str,
    not_read: BTreeMap<(String, String, Option<String>), usize>,
) -> Vec<Notification> {
    let mut out = Vec::new();
    for ((group, kind, ns), n) in not_read {
        let group_text = if group.is_empty() {
            "core".to_string()
        } else {
            group
        };
        let place = ns.map_or_else(
            || "cluster-wide".to_string(),
            |n| format!("in namespace {n}"),
        );
        let what = if n > 0 {
            format!("{n} declared object(s) there were not compared")
        } else {
            "objects there that Git does not declare could not be looked for".to_string()
        };
        out.push(Notification::new(
            NoteLevel::Error,
            "live-not-read",
            format!(
                "cluster {}: {kind} ({group_text} API group) was not listed completely \
                 {place}, so {what}: drift there is unknown, not absent. Read the cluster \
                 (or take the snapshot) again with permission to list {kind} {place}; the \
                 reader's own notifications say why it could not",
                cluster
            ),
        ));
    }
    out
}

/// Raises the drift findings of one object to the severity of a policy that its live form
/// violates and its declared form does not, and says so in their messages.
fn escalate(
    drift: &mut [Finding],
    doc: &Document,
    live: &LiveObject,
    key: &Key,
    cluster: &str,
    policies: &PolicySet,
    engine: &mut regorus::Engine,
) {
    use crate::policy::eval::{evaluate, Mode};
    let declared_rules: BTreeSet<String> = evaluate(engine, policies, doc, Mode::Batched)
        .findings
        .into_iter()
        .map(|f| f.rule_id)
        .collect();
    // The live object as a document: its JSON is YAML, so the loader reads it as is.
    let text = serde_json::to_string_pretty(&live.body).unwrap_or_default();
    let loaded = crate::load::load_file(
        &key.live_location(cluster),
        text.as_bytes(),
        &crate::load::LoadOptions::default(),
    );
    let Some(live_doc) = loaded.documents.first() else {
        return;
    };
    let live_rules = evaluate(engine, policies, live_doc, Mode::Batched)
        .findings
        .into_iter()
        .map(|f| (f.severity, f.rule_id));
    if let Some(worst) = super::vocabulary::worst_live_only(&declared_rules, live_rules) {
        super::vocabulary::escalate(drift, worst, "object", policies);
    }
}
