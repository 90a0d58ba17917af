//! Drift as findings: the three drift rules, their catalog entries, and the finding each
//! kind of drift becomes.
//!
//! A drift finding points at Git: the declared field that differs (file:line:column), the
//! `metadata.name` of a declared object the cluster does not have. Only a live object that
//! nothing declares has no file; it says where it lives (`cluster/namespace/kind/name`).
//! Fingerprints come from the rule, the cluster, the object's identity (group, not version)
//! and the field path — never lines or files — so moving a manifest does not re-raise them.

use super::matching::Key;
use super::{DiffKind, Difference, Manager, Shown};
use crate::live::LiveObject;
use crate::load::Document;
use crate::model::{render_path, Finding, FindingLevel, PathSeg, Pos, Region, RuleMeta, Severity};

/// Declared in Git, not in the cluster.
pub const MISSING: &str = "PL-DRIFT-0001";
/// Declared and live, with a field that differs.
pub const CHANGED: &str = "PL-DRIFT-0002";
/// In the cluster, declared nowhere (opt-in: `--unmanaged`).
pub const UNMANAGED: &str = "PL-DRIFT-0003";

const PACKAGE: &str = "plumbline.drift";

fn rule(
    id: &str,
    title: &str,
    severity: Severity,
    description: &str,
    remediation: &str,
) -> RuleMeta {
    super::vocabulary::rule(PACKAGE, id, title, severity, description, remediation)
}

/// The catalog entry of a drift rule.
pub fn rule_meta(id: &str) -> Option<RuleMeta> {
    Some(match id {
        MISSING => rule(
            MISSING,
            "Declared object missing from the cluster",
            Severity::Medium,
            "An object declared in Git does not exist in the cluster: it was deleted by hand, \
             never applied, or its deployment failed. What Git promises (a NetworkPolicy, a \
             Role, a workload) is not in force.",
            "Apply the manifest again (or let the GitOps controller sync it), or remove it \
             from Git if it is no longer wanted.",
        ),
        CHANGED => rule(
            CHANGED,
            "Live field differs from Git",
            Severity::Medium,
            "A field declared in Git has another value in the cluster: someone or something \
             changed the object outside of Git (kubectl edit, a controller, a hot fix). The \
             finding points at the declared field and says which manager last wrote the live \
             value, and when. Sensitive values are compared through keyed hashes and only \
             said to differ. When the live object violates a policy the declared one does \
             not, the finding takes that policy's severity.",
            "Bring the cluster back to Git (apply the manifest, or sync), or, if the live \
             value is the right one, change it in Git. Drift that is expected can be ignored \
             with `drift: {ignore: [...]}` in the configuration file.",
        ),
        UNMANAGED => rule(
            UNMANAGED,
            "Live object not declared in Git",
            Severity::Low,
            "An object exists in the cluster, in the namespaces or under the label selector \
             the scan was asked to watch, and nothing in Git declares it. Objects owned by \
             another object (ownerReferences) are not reported: their owner is.",
            "Declare the object in Git, or delete it from the cluster if nobody needs it.",
        ),
        _ => return None,
    })
}

/// The stable fingerprint of a drift finding.
pub fn fingerprint(rule_id: &str, cluster: &str, key: &Key, path: &[PathSeg]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for part in [
        "drift",
        rule_id,
        cluster,
        &key.qualified(),
        &render_path(path),
    ] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    h.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// At most this many characters of a value are shown in a message.
const VALUE_MAX: usize = 120;

/// A value as a message shows it: compact JSON, cut when long.
fn shown(v: &Shown) -> String {
    match v {
        Shown::Value(v) => {
            let text = v.to_string();
            match text.char_indices().nth(VALUE_MAX) {
                Some((i, _)) => format!("{}…", &text[..i]),
                None => text,
            }
        }
        Shown::Redacted => "(sensitive value)".to_string(),
        Shown::Absent => "(absent)".to_string(),
    }
}

fn who(m: &Option<Manager>) -> String {
    match m {
        Some(m) => {
            let when = m
                .time
                .as_deref()
                .map(|t| format!(" at {t}"))
                .unwrap_or_default();
            let op = if m.operation.is_empty() {
                String::new()
            } else {
                format!(" ({})", m.operation)
            };
            format!("; last written by {}{op}{when}", m.manager)
        }
        None => "; the cluster does not record who last wrote it".to_string(),
    }
}

/// What differs, in words: declared vs live, or only "differs" for a sensitive value.
pub fn describe(d: &Difference) -> String {
    let path = render_path(&d.path);
    let redacted = matches!(d.declared, Shown::Redacted) || matches!(d.live, Shown::Redacted);
    let what = match (d.kind, redacted) {
        (DiffKind::Changed, true) => {
            format!("{path}: value differs from Git (sensitive: compared by keyed hash, not shown)")
        }
        (DiffKind::Changed, false) => format!(
            "{path} is {} in the cluster but {} in Git",
            shown(&d.live),
            shown(&d.declared)
        ),
        (DiffKind::Absent, true) => {
            format!("{path} is declared in Git (sensitive, not shown) but absent from the cluster")
        }
        (DiffKind::Absent, false) => format!(
            "{path} is declared as {} in Git but absent from the cluster",
            shown(&d.declared)
        ),
        (DiffKind::Removed, true) => format!(
            "{path} is no longer declared in Git but is still set in the cluster (sensitive, \
             not shown)"
        ),
        (DiffKind::Removed, false) => format!(
            "{path} is no longer declared in Git but is still set in the cluster to {}",
            shown(&d.live)
        ),
    };
    format!("{what}{}", who(&d.manager))
}

fn in_cluster(cluster: &str) -> String {
    format!("in cluster {cluster}")
}

/// `PL-DRIFT-0001`: at the declared object's `metadata.name`.
pub fn missing(doc: &Document, key: &Key, cluster: &str) -> Finding {
    let name_path = [PathSeg::Key("metadata".into()), PathSeg::Key("name".into())];
    Finding {
        rule_id: MISSING.to_string(),
        severity: Severity::Medium,
        level: FindingLevel::Error,
        message: format!(
            "{} is declared in Git but does not exist {}",
            key.display(),
            in_cluster(cluster)
        ),
        file: crate::policy::eval::place_of(doc, &name_path)
            .0
            .path
            .clone(),
        region: crate::policy::eval::region_of(doc, &name_path),
        resource: doc.resource.clone(),
        subject: None,
        document: doc.index,
        field_path: Vec::new(),
        fingerprint: fingerprint(MISSING, cluster, key, &[]),
        suppressions: Vec::new(),
        related: crate::policy::eval::related_of(doc, &name_path),
        baseline_state: None,
        live: Some(key.live_location(cluster)),
    }
}

/// `PL-DRIFT-0002`: at the declared field (for a field no longer declared, its nearest
/// declared parent).
pub fn changed(doc: &Document, key: &Key, cluster: &str, d: &Difference) -> Finding {
    // A removed field has a live path (live list indices); the engine gives the declared
    // path of its nearest declared parent, which is where the finding points.
    let at = d.declared_parent.as_deref().unwrap_or(&d.path);
    Finding {
        rule_id: CHANGED.to_string(),
        severity: Severity::Medium,
        level: FindingLevel::Error,
        message: format!("{} {}: {}", key.display(), in_cluster(cluster), describe(d)),
        file: crate::policy::eval::place_of(doc, at).0.path.clone(),
        region: crate::policy::eval::region_of(doc, at),
        resource: doc.resource.clone(),
        subject: None,
        document: doc.index,
        field_path: d.path.clone(),
        fingerprint: fingerprint(CHANGED, cluster, key, &d.path),
        suppressions: Vec::new(),
        related: crate::policy::eval::related_of(doc, at),
        baseline_state: None,
        live: Some(key.live_location(cluster)),
    }
}

/// `PL-DRIFT-0003`: no file; where the object lives.
pub fn unmanaged(o: &LiveObject, key: &Key, cluster: &str) -> Finding {
    Finding {
        rule_id: UNMANAGED.to_string(),
        severity: Severity::Low,
        level: FindingLevel::Error,
        message: format!(
            "{} exists {} but nothing in Git declares it",
            key.display(),
            in_cluster(cluster)
        ),
        file: String::new(),
        region: Region {
            start: Pos::new(1, 1),
            end: Pos::new(1, 2),
        },
        resource: Some(o.id.clone()),
        subject: None,
        document: 0,
        field_path: Vec::new(),
        fingerprint: fingerprint(UNMANAGED, cluster, key, &[]),
        suppressions: Vec::new(),
        related: Vec::new(),
        baseline_state: None,
        live: Some(key.live_location(cluster)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensitive_differences_never_show_values() {
        let d = Difference {
            path: vec![PathSeg::Key("data".into()), PathSeg::Key("password".into())],
            kind: DiffKind::Changed,
            declared: Shown::Redacted,
            live: Shown::Redacted,
            manager: None,
            declared_parent: None,
        };
        let m = describe(&d);
        assert!(m.contains("value differs"), "{m}");
        let d = Difference {
            path: vec![PathSeg::Key("spec".into()), PathSeg::Key("replicas".into())],
            kind: DiffKind::Changed,
            declared: Shown::Value(serde_json::json!(2)),
            live: Shown::Value(serde_json::json!(5)),
            manager: Some(Manager {
                manager: "kubectl-edit".into(),
                operation: "Update".into(),
                time: Some("2026-11-22T12:00:00Z".into()),
            }),
            declared_parent: None,
        };
        let m = describe(&d);
        assert_eq!(
            m,
            "spec.replicas is 5 in the cluster but 2 in Git; last written by kubectl-edit \
             (Update) at 2026-11-22T12:00:00Z"
        );
    }

    fn deployment() -> Document {
        let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  \
                    namespace: demo\nspec:\n  template:\n    spec:\n      containers:\n      \
                    - name: app\n        image: app:1\n";
        crate::load::load_file("k8s/web.yaml", text.as_bytes(), &Default::default())
            .documents
            .remove(0)
    }

    fn key() -> Key {
        Key {
            group: "apps".into(),
            kind: "Deployment".into(),
            namespace: Some("demo".into()),
            name: "web".into(),
        }
    }

    fn path(s: &str) -> Vec<PathSeg> {
        crate::model::parse_rendered_path(s)
    }

    #[test]
    fn findings_point_at_the_declared_field_or_its_nearest_parent() {
        let doc = deployment();
        let d = |p: &str, kind| Difference {
            path: path(p),
            kind,
            declared: Shown::Absent,
            live: Shown::Value(serde_json::json!(["NET_ADMIN"])),
            manager: None,
            declared_parent: None,
        };
        let f = changed(
            &doc,
            &key(),
            "prod",
            &d("spec.template.spec.containers[0].image", DiffKind::Changed),
        );
        assert_eq!((f.region.start.line, f.region.start.column), (11, 9));
        assert_eq!(f.file, "k8s/web.yaml");
        assert_eq!(f.live.as_deref(), Some("prod/demo/Deployment/web"));
        // Only the cluster has it (removed from Git): the nearest declared parent, the
        // container.
        let p = "spec.template.spec.containers[0].securityContext.capabilities.add";
        let mut removed = d(p, DiffKind::Removed);
        removed.declared_parent = Some(path("spec.template.spec.containers[0]"));
        let f = changed(&doc, &key(), "prod", &removed);
        assert_eq!(f.region.start.line, 10, "the container's first line");
        assert_eq!(render_path(&f.field_path), p);
        assert!(
            f.message.contains("no longer declared in Git"),
            "{}",
            f.message
        );
        assert!(f.message.contains("[\"NET_ADMIN\"]"), "{}", f.message);
        // A missing object: its name.
        let f = missing(&doc, &key(), "prod");
        assert_eq!((f.region.start.line, f.region.start.column), (4, 3));
        assert!(
            f.message.contains("does not exist in cluster prod"),
            "{}",
            f.message
        );
    }

    #[test]
    fn long_values_are_cut() {
        let long = "x".repeat(500);
        let d = Difference {
            path: path("data.big"),
            kind: DiffKind::Changed,
            declared: Shown::Value(serde_json::json!(long)),
            live: Shown::Value(serde_json::json!("y")),
            manager: None,
            declared_parent: None,
        };
        let m = describe(&d);
        assert!(m.len() < 400 && m.contains('…'), "{m}");
        assert!(
            m.ends_with("the cluster does not record who last wrote it"),
            "{m}"
        );
    }

    #[test]
    fn fingerprints_ignore_version_but_not_cluster_or_path() {
        let key = Key {
            group: "apps".into(),
            kind: "Deployment".into(),
            namespace: Some("demo".into()),
            name: "web".into(),
        };
        let p = vec![PathSeg::Key("spec".into())];
        let a = fingerprint(CHANGED, "prod", &key, &p);
        assert_eq!(a.len(), 32);
        assert_eq!(a, fingerprint(CHANGED, "prod", &key.clone(), &p));
        assert_ne!(a, fingerprint(CHANGED, "stage", &key, &p));
        assert_ne!(a, fingerprint(CHANGED, "prod", &key, &[]));
        assert_ne!(a, fingerprint(MISSING, "prod", &key, &p));
    }
}
