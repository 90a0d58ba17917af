//! The admission stage of a scan: Pod Security admission per namespace
//! ([`crate::policy::admission`]) over the documents the first pass kept, with the labels of
//! the live namespaces when clusters were read (`--cluster`, `--live-snapshot`), and the
//! drift of those labels ([`crate::drift::pss_labels`]).

use super::ScanOptions;
use crate::live::{KindRequest, LiveCluster};
use crate::load::{Document, SourceFile};
use crate::model::{Finding, NoteLevel, Notification, RuleMeta};
use crate::policy::admission::{self, LiveLabels};
use crate::policy::PolicySet;
use std::collections::BTreeMap;
use std::sync::Arc;

/// What the stage adds to the scan, and the first-pass findings it replaces.
#[derive(Default)]
pub struct Checked {
    pub findings: Vec<Finding>,
    pub notifications: Vec<Notification>,
    pub replaced: std::collections::BTreeSet<String>,
    pub rules: Vec<RuleMeta>,
    pub files: Vec<Arc<SourceFile>>,
    pub evaluations: usize,
}

/// Runs the admission pass (and, with live namespaces, the label drift check).
pub fn admission_stage(
    documents: &[Document],
    policies: &PolicySet,
    opts: &ScanOptions,
    live_read: &[LiveCluster],
) -> Checked {
    let mut checked = Checked::default();
    let (live, clusters_read) = live_labels(opts, live_read, &mut checked.notifications);
    let o = admission::run(documents, policies, &live);
    checked.evaluations = o.evaluations;
    checked.findings = o.findings;
    checked.notifications.extend(o.notifications);
    checked.replaced = o.replaced;
    checked.rules = o.rules;
    if clusters_read {
        let drift = crate::drift::pss_labels::check(documents, &live, &policies.pss);
        if !drift.is_empty() {
            checked.rules.push(crate::drift::pss_labels::rule());
        }
        checked.findings.extend(drift);
    }
    let wanted: std::collections::BTreeSet<&str> =
        checked.findings.iter().map(|f| f.file.as_str()).collect();
    let mut files: BTreeMap<String, Arc<SourceFile>> = BTreeMap::new();
    for doc in documents {
        for file in std::iter::once(&doc.file).chain(&doc.extra_files) {
            if wanted.contains(file.path.as_str()) {
                files
                    .entry(file.path.clone())
                    .or_insert_with(|| Arc::clone(file));
            }
        }
    }
    checked.files = files.into_values().collect();
    checked
}

/// The labels of the live namespaces: from the clusters already read or given as snapshots,
/// and, when clusters are read (`--cluster`), from a read of every namespace (the drift
/// check reads only the namespaces Git declares). The first cluster that has a namespace
/// gives its labels. Also says whether any live state was available.
fn live_labels(
    opts: &ScanOptions,
    live_read: &[LiveCluster],
    notes: &mut Vec<Notification>,
) -> (LiveLabels, bool) {
    let mut labels = LiveLabels::new();
    let Some(drift) = opts.drift.as_ref() else {
        return (labels, false);
    };
    let mut clusters: Vec<LiveCluster> = Vec::new();
    if !drift.read.is_empty() {
        let request = KindRequest {
            api_version: "v1".to_string(),
            kind: "Namespace".to_string(),
            namespaces: Default::default(),
        };
        let read = crate::live::kubernetes::read_clusters(
            &drift.read,
            &[request],
            &crate::live::kubernetes::ReadOptions::default(),
        );
        // Only the Pod Security labels depend on this read: what it could not read is a
        // warning (the drift check reports its own reads), not an incomplete scan.
        for (target, r) in drift.read.iter().zip(read) {
            let cluster = target.context.clone().unwrap_or_default();
            match r {
                Ok(c) => {
                    notes.extend(c.notifications.iter().map(|n| {
                        let mut n = n.clone();
                        n.level = NoteLevel::Warning;
                        n.message = format!(
                            "{}; the Pod Security labels of the live namespaces of cluster \
                             {cluster} were not read (list namespaces is needed)",
                            n.message
                        );
                        n
                    }));
                    clusters.push(c);
                }
                Err(e) => notes.push(Notification::new(
                    NoteLevel::Warning,
                    "live-unreachable",
                    format!(
                        "cluster {cluster}: {e}; its namespaces' Pod Security labels were not read"
                    ),
                )),
            }
        }
    }
    let any = !drift.read.is_empty() || !drift.clusters.is_empty() || !live_read.is_empty();
    for c in drift.clusters.iter().chain(live_read).chain(&clusters) {
        for o in c.objects.iter().filter(|o| o.id.kind == "Namespace") {
            let Some(map) = o.body["metadata"]["labels"].as_object() else {
                labels.entry(o.id.name.clone()).or_default();
                continue;
            };
            labels.entry(o.id.name.clone()).or_insert_with(|| {
                map.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                    .collect()
            });
        }
    }
    (labels, any)
}
