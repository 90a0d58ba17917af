//! The admission pass: the Pod Security Standards as Pod Security admission applies them in
//! each namespace. It runs once every file is loaded (and, with `--cluster`, once the live
//! namespaces are read): a pod or pod template in a namespace whose labels
//! (`pod-security.kubernetes.io/{enforce,audit,warn}[-version]`, from the `Namespace`
//! declared in Git, else from the live one) or whose admission configuration's defaults
//! choose a level is checked at that level and version for each mode. Its findings replace
//! the ones of the first pass (made at `--pss-level`/`--pss-version`) and say which modes
//! they fail; a violation of the `enforce` mode also gets a finding of its own rule
//! ([`REJECTED_RULE_ID`], high): the pod would be rejected at admission. A namespace, a
//! runtime class or a controller the admission configuration exempts is not checked, and a
//! note says so.

use super::eval::{evaluate, Mode as EvalMode};
use super::pss::{self, Level, Mode, NamespacePolicy, Profile, Version, PACKAGE_PREFIX};
use super::PolicySet;
use crate::load::tree::{Node, Value};
use crate::load::Document;
use crate::model::{fingerprint, Finding, NoteLevel, Notification, RuleMeta, Severity};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The rule of a pod that Pod Security admission would reject.
pub const REJECTED_RULE_ID: &str = "PL-K8S-0042";

/// The catalog entry of [`REJECTED_RULE_ID`].
pub fn rejected_rule() -> RuleMeta {
    RuleMeta {
        id: REJECTED_RULE_ID.to_string(),
        title: "Pod would be rejected by Pod Security admission".to_string(),
        description: "The namespace's pod-security.kubernetes.io/enforce label (or the admission \
                      configuration's default) makes the API server reject pods that violate \
                      that level of the Pod Security Standards. This pod, or the pods a \
                      workload's controller creates from this template, violate it: a bare Pod \
                      is refused when applied, and a workload is accepted but its pods fail to \
                      create (a Deployment's ReplicaSet reports FailedCreate)."
            .to_string(),
        severity: Severity::High,
        remediation: Some(
            "Fix the field the finding points at so the pod meets the namespace's enforced \
             level, or, if the workload needs it, move it to a namespace whose enforce level \
             allows it."
                .to_string(),
        ),
        frameworks: vec!["PSS-baseline".to_string(), "PSS-restricted".to_string()],
        related_resources: vec![
            "https://kubernetes.io/docs/concepts/security/pod-security-admission/".to_string(),
        ],
        package: "plumbline.admission".to_string(),
        source: "plumbline".to_string(),
    }
}

/// The PSS settings of a scan: the level and version the first pass evaluates
/// (`--pss-level`, `--pss-version`; the version is also the API server's, which `latest` in a
/// label means), and the admission configuration (`--pss-admission-config`).
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub level: Option<Level>,
    pub version: Option<Version>,
    pub admission: Option<std::sync::Arc<pss::AdmissionConfig>>,
}

impl Settings {
    /// The level reported at most (default: restricted, which includes the baseline).
    pub fn level(&self) -> Level {
        self.level.unwrap_or(Level::Restricted)
    }

    /// The API server's version (default: the latest the library knows).
    pub fn server(&self) -> Version {
        self.version.unwrap_or(Version::Latest)
    }

    /// What the first pass evaluates.
    pub fn profile(&self) -> Profile {
        Profile {
            level: self.level(),
            version: self.server(),
        }
    }
}

/// The labels of live namespaces, by namespace name (read with `--cluster`).
pub type LiveLabels = BTreeMap<String, Vec<(String, String)>>;

/// Whether `set` holds PSS controls (the admission pass then runs).
pub fn active(set: &PolicySet) -> bool {
    set.packages
        .iter()
        .any(|p| p.name.starts_with(PACKAGE_PREFIX))
}

/// Path from an object's root to its pod spec, for the kinds that carry one.
fn pod_spec_path(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "Pod" => &["spec"],
        "PodTemplate" => &["template", "spec"],
        "CronJob" => &["spec", "jobTemplate", "spec", "template", "spec"],
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "ReplicationController"
        | "Job" => &["spec", "template", "spec"],
        _ => return None,
    })
}

/// Whether the admission pass reads `doc`: a Namespace, or an object that carries a pod spec.
pub fn wanted(doc: &Document) -> bool {
    doc.is_kubernetes()
        && doc
            .kind()
            .is_some_and(|k| k == "Namespace" || pod_spec_path(k).is_some())
}

/// The service account of the controller that creates the pods of a workload of `kind`
/// (the controller manager's, with `--use-service-account-credentials`), which the admission
/// configuration may exempt; `None` for a Pod (its creator is whoever applies it).
fn pod_creator(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "Deployment" | "ReplicaSet" => "system:serviceaccount:kube-system:replicaset-controller",
        "StatefulSet" => "system:serviceaccount:kube-system:statefulset-controller",
        "DaemonSet" => "system:serviceaccount:kube-system:daemon-set-controller",
        "Job" | "CronJob" => "system:serviceaccount:kube-system:job-controller",
        "ReplicationController" => "system:serviceaccount:kube-system:replication-controller",
        _ => return None,
    })
}

/// What happens to the pods of a workload of `kind` that violate the enforced level.
fn rejection(kind: &str) -> String {
    match kind {
        "Pod" => "the API server would reject this Pod".to_string(),
        "Deployment" => "the Deployment's ReplicaSet would fail to create its pods".to_string(),
        "CronJob" => "the pods of the CronJob's Jobs would fail to create".to_string(),
        "PodTemplate" => "pods created from this template would be rejected".to_string(),
        other => format!("the {other}'s pods would fail to create"),
    }
}

/// A mapping's string entries (`metadata.labels`).
fn string_entries(node: Option<&Node>) -> Vec<(String, String)> {
    match node.map(|n| &n.value) {
        Some(Value::Map(entries)) => entries
            .iter()
            .filter_map(|e| Some((e.key.clone(), e.value.as_str()?.to_string())))
            .collect(),
        _ => Vec::new(),
    }
}

/// Where the label `key` of a Namespace is written (the document's start when it is not).
fn label_position(doc: &Document, key: &str) -> crate::model::Pos {
    let labels = doc.node.get("metadata").and_then(|m| m.get("labels"));
    match labels.map(|l| &l.value) {
        Some(Value::Map(entries)) => entries
            .iter()
            .find(|e| e.key == key)
            .map_or(doc.node.start, |e| e.key_start),
        _ => doc.node.start,
    }
}

/// Where a namespace's policy comes from.
struct NamespaceSource {
    policy: NamespacePolicy,
    /// `labels of Namespace prod (ns.yaml)`, `labels of the live namespace prod`, or the
    /// admission configuration's defaults.
    origin: String,
}

/// The result of the pass.
#[derive(Debug, Default)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub notifications: Vec<Notification>,
    /// Fingerprints of the first pass's PSS findings that this pass replaces.
    pub replaced: BTreeSet<String>,
    /// Catalog entries of the rules its findings use beyond the policies' own.
    pub rules: Vec<RuleMeta>,
    pub evaluations: usize,
}

/// A level and minor version the controls are evaluated at.
type Key = (Level, u32);

/// A Namespace declared in Git: its labels and its document.
type Declared<'d> = (Vec<(String, String)>, &'d Document);

/// Per finding of a control (rule id, fingerprint): the finding and the modes it fails.
type Merged = BTreeMap<(String, String), (Finding, Vec<(Mode, Profile)>)>;

/// What one pod-carrying document is evaluated at.
struct Work<'d> {
    doc: &'d Document,
    namespace: String,
    /// Where the namespace's policy comes from.
    origin: String,
    /// Per mode, the level and version (privileged modes left out).
    modes: Vec<(Mode, Profile, Key)>,
}

/// The level and version a mode's `profile` is evaluated at: no higher than `--pss-level`,
/// and `latest` (or a newer version) as the API server's version.
fn key_of(profile: Profile, settings: &Settings) -> Key {
    (
        profile.level.min(settings.level()),
        profile.version.minor_under(settings.server()),
    )
}

/// The PSS packages of `set`, evaluated at `key`.
fn subset(set: &PolicySet, (level, minor): Key) -> PolicySet {
    let mut engine = set.engine.clone();
    engine.clear_data();
    let profile = Profile {
        level,
        version: Version::Minor(minor),
    };
    engine
        .add_data(profile.data(Version::Latest))
        .expect("an object into empty data");
    PolicySet {
        engine,
        packages: set
            .packages
            .iter()
            .filter(|p| p.name.starts_with(PACKAGE_PREFIX))
            .cloned()
            .collect(),
        batches: BTreeMap::new(),
        tests: Vec::new(),
        files: Vec::new(),
        pss: set.pss.clone(),
    }
}

/// Runs the pass over `documents` (the documents the first pass kept; those [`wanted`] are
/// read). `live` holds the labels of live namespaces, used for namespaces Git does not
/// declare.
pub fn run(documents: &[Document], set: &PolicySet, live: &LiveLabels) -> Outcome {
    let mut out = Outcome::default();
    if !active(set) {
        return out;
    }
    let settings = &set.pss;
    let config = settings.admission.as_deref();
    let defaults = config.map(|c| c.defaults).unwrap_or_default();

    // The namespaces Git declares, with their labels.
    let mut declared: BTreeMap<String, Declared> = BTreeMap::new();
    for doc in documents.iter().filter(|d| d.kind() == Some("Namespace")) {
        let Some(name) = doc.resource.as_ref().map(|r| r.name.clone()) else {
            continue;
        };
        let labels = string_entries(doc.node.get("metadata").and_then(|m| m.get("labels")));
        declared.entry(name).or_insert((labels, doc));
    }
    let mut sources: BTreeMap<String, Option<NamespaceSource>> = BTreeMap::new();
    let mut source_of = |ns: &str, out: &mut Outcome| -> Option<(NamespacePolicy, String)> {
        if let Some(s) = sources.get(ns) {
            return s.as_ref().map(|s| (s.policy, s.origin.clone()));
        }
        let from_labels = |labels: &[(String, String)]| {
            pss::has_labels(labels.iter().map(|(k, _)| k.as_str())).then(|| {
                NamespacePolicy::from_labels(
                    labels.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                    &defaults,
                )
            })
        };
        let source = if let Some((labels, doc)) = declared.get(ns) {
            from_labels(labels).map(|(policy, problems)| {
                for (key, p) in problems {
                    out.notifications.push(
                        Notification::new(
                            NoteLevel::Warning,
                            "pss-label-invalid",
                            format!(
                                "Namespace {ns} ({}): {p}; Pod Security admission then applies \
                                 restricted at the latest version to that mode, and so does \
                                 this scan",
                                doc.file.path
                            ),
                        )
                        .at(doc.file.path.clone(), Some(label_position(doc, &key))),
                    );
                }
                NamespaceSource {
                    policy,
                    origin: format!("labels of Namespace {ns} in {}", doc.file.path),
                }
            })
        } else {
            None
        };
        let source = source.or_else(|| {
            let labels = live.get(ns)?;
            from_labels(labels).map(|(policy, problems)| {
                for (_, p) in problems {
                    out.notifications.push(Notification::new(
                        NoteLevel::Warning,
                        "pss-label-invalid",
                        format!(
                            "live namespace {ns}: {p}; Pod Security admission then applies \
                             restricted at the latest version to that mode, and so does this scan"
                        ),
                    ));
                }
                NamespaceSource {
                    policy,
                    origin: format!("labels of the live namespace {ns}"),
                }
            })
        });
        let source = source.or_else(|| {
            config.map(|c| NamespaceSource {
                policy: c.defaults,
                origin: format!("defaults of {}", c.file),
            })
        });
        let found = source.as_ref().map(|s| (s.policy, s.origin.clone()));
        sources.insert(ns.to_string(), source);
        found
    };

    let first_pass: Key = key_of(settings.profile(), settings);
    let mut work: Vec<Work> = Vec::new();
    let mut exempt_docs: Vec<&Document> = Vec::new();
    let mut exempt_notes: BTreeSet<String> = BTreeSet::new();
    for doc in documents {
        let Some(kind) = doc.kind() else { continue };
        let Some(spec_path) = pod_spec_path(kind) else {
            continue;
        };
        if !doc.is_kubernetes() {
            continue;
        }
        let namespace = doc
            .resource
            .as_ref()
            .and_then(|r| r.namespace.clone())
            .unwrap_or_else(|| "default".to_string());
        if let Some(c) = config {
            if c.exempt_namespaces.contains(&namespace) {
                exempt_docs.push(doc);
                exempt_notes.insert(format!(
                    "namespace {namespace} is exempt from Pod Security admission ({}): the Pod \
                     Security Standards are not checked on its pods",
                    c.file
                ));
                continue;
            }
            let spec = spec_path.iter().try_fold(&doc.node, |n, k| n.get(k));
            let class = spec
                .and_then(|s| s.get("runtimeClassName"))
                .and_then(Node::as_str);
            if let Some(class) = class.filter(|name| c.exempt_runtime_classes.contains(*name)) {
                exempt_docs.push(doc);
                exempt_notes.insert(format!(
                    "runtime class {class} is exempt from Pod Security admission ({}): the Pod \
                     Security Standards are not checked on its pods",
                    c.file
                ));
                continue;
            }
        }
        let Some((policy, origin)) = source_of(&namespace, &mut out) else {
            continue; // no labels and no configuration: the first pass's findings stand
        };
        let modes = Mode::ALL
            .into_iter()
            .map(|m| (m, policy.get(m)))
            .filter(|(_, p)| p.level != Level::Privileged)
            .map(|(m, p)| (m, p, key_of(p, settings)))
            .filter(|(_, _, k)| k.0 != Level::Privileged)
            .collect();
        work.push(Work {
            doc,
            namespace,
            origin,
            modes,
        });
    }
    for note in exempt_notes {
        out.notifications
            .push(Notification::new(NoteLevel::Note, "pss-exempt", note));
    }
    if work.is_empty() && exempt_docs.is_empty() {
        return out;
    }

    // One policy set per level and version: the PSS packages with that data.
    let mut keys: BTreeSet<Key> = work
        .iter()
        .flat_map(|w| w.modes.iter().map(|(_, _, k)| *k))
        .collect();
    keys.insert(first_pass);
    let sets: HashMap<Key, PolicySet> = keys.iter().map(|&k| (k, subset(set, k))).collect();

    // Evaluate: the first pass's findings (to replace them) and each mode's.
    let mut jobs: Vec<(&Document, Key)> = Vec::new();
    for w in &work {
        jobs.push((w.doc, first_pass));
        for (_, _, k) in &w.modes {
            jobs.push((w.doc, *k));
        }
    }
    for doc in &exempt_docs {
        jobs.push((doc, first_pass));
    }
    jobs.sort_by_key(|(d, k)| (d.file.path.clone(), d.index, *k));
    jobs.dedup_by(|a, b| std::ptr::eq(a.0, b.0) && a.1 == b.1);
    let results: Vec<super::eval::Outcome> = jobs
        .par_iter()
        .map_init(
            HashMap::new,
            |engines: &mut HashMap<Key, regorus::Engine>, (doc, k)| {
                let s = &sets[k];
                let engine = engines.entry(*k).or_insert_with(|| s.engine.clone());
                evaluate(engine, s, doc, EvalMode::Batched)
            },
        )
        .collect();
    let mut by_job: HashMap<(*const Document, Key), Vec<Finding>> = HashMap::new();
    for ((doc, k), o) in jobs.iter().zip(results) {
        out.evaluations += o.evaluations;
        out.notifications.extend(o.notifications);
        by_job.insert((*doc as *const Document, *k), o.findings);
    }
    let findings_of = |doc: &Document, k: Key| -> &[Finding] {
        by_job
            .get(&(doc as *const Document, k))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    };
    for doc in &exempt_docs {
        out.replaced.extend(
            findings_of(doc, first_pass)
                .iter()
                .map(|f| f.fingerprint.clone()),
        );
    }
    let mut rejected_any = false;
    for w in &work {
        out.replaced.extend(
            findings_of(w.doc, first_pass)
                .iter()
                .map(|f| f.fingerprint.clone()),
        );
        // Per field of a rule: the finding and the modes it fails.
        let mut merged: Merged = BTreeMap::new();
        for (mode, profile, k) in &w.modes {
            for f in findings_of(w.doc, *k) {
                merged
                    .entry((f.rule_id.clone(), f.fingerprint.clone()))
                    .or_insert_with(|| (f.clone(), Vec::new()))
                    .1
                    .push((*mode, *profile));
            }
        }
        let kind = w.doc.kind().unwrap_or_default();
        let creator_exempt = pod_creator(kind)
            .is_some_and(|user| config.is_some_and(|c| c.exempt_usernames.contains(user)));
        for (_, (mut finding, modes)) in merged {
            let control = finding.message.clone();
            let described: Vec<String> = modes
                .iter()
                .map(|(m, p)| format!("{} {}", m.name(), p.describe()))
                .collect();
            finding.message = format!(
                "{control} [namespace {}: {}]",
                w.namespace,
                described.join(", ")
            );
            if let Some((_, profile)) = modes.iter().find(|(m, _)| *m == Mode::Enforce) {
                if creator_exempt {
                    out.notifications.push(Notification::new(
                        NoteLevel::Note,
                        "pss-exempt",
                        format!(
                            "{} {}: its pods' creator {} is exempt from Pod Security admission \
                             ({}), so they are not rejected in namespace {}",
                            kind,
                            w.doc
                                .resource
                                .as_ref()
                                .map(|r| r.name.as_str())
                                .unwrap_or(""),
                            pod_creator(kind).unwrap_or_default(),
                            config.map(|c| c.file.as_str()).unwrap_or_default(),
                            w.namespace
                        ),
                    ));
                } else {
                    out.findings
                        .push(rejected(w, kind, *profile, &finding, &control));
                    rejected_any = true;
                }
            }
            out.findings.push(finding);
        }
    }
    out.notifications.sort();
    out.notifications.dedup();
    if rejected_any {
        out.rules.push(rejected_rule());
    }
    out
}

/// The finding of [`REJECTED_RULE_ID`] for a control's `finding` in the enforce mode.
fn rejected(w: &Work, kind: &str, profile: Profile, finding: &Finding, control: &str) -> Finding {
    let doc = w.doc;
    let message = format!(
        "Would be rejected at admission in namespace {} (enforce {}, from the {}): {}; {control}",
        w.namespace,
        profile.describe(),
        w.origin,
        rejection(kind)
    );
    Finding {
        fingerprint: fingerprint(
            REJECTED_RULE_ID,
            &doc.file.path,
            doc.resource.as_ref(),
            doc.subject.as_ref(),
            doc.index,
            &finding.field_path,
            &message,
        ),
        rule_id: REJECTED_RULE_ID.to_string(),
        severity: Severity::High,
        message,
        ..finding.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Namespaces' labels are read whatever the other rules read: a scan that loads only
    /// the PSS controls still keeps the bodies of Namespaces.
    #[test]
    fn the_namespaces_labels_are_always_read() {
        let mut set = super::super::load(&super::super::Settings::default()).unwrap();
        set.packages.retain(|p| p.name.starts_with(PACKAGE_PREFIX));
        let kinds = set.kinds_read().unwrap();
        assert!(kinds.contains("Namespace"), "{kinds:?}");
        assert!(kinds.contains("CronJob"));
    }

    #[test]
    fn a_profile_is_capped_by_the_scan_level_and_the_server_version() {
        let settings = Settings {
            level: Some(Level::Baseline),
            version: Some(Version::Minor(30)),
            admission: None,
        };
        let restricted_latest = Profile::default();
        assert_eq!(key_of(restricted_latest, &settings), (Level::Baseline, 30));
        let old = Profile {
            level: Level::Baseline,
            version: Version::Minor(25),
        };
        assert_eq!(key_of(old, &settings), (Level::Baseline, 25));
        assert_eq!(
            key_of(restricted_latest, &Settings::default()),
            (Level::Restricted, pss::LATEST_MINOR)
        );
    }
}
