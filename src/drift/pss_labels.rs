//! Drift of the Pod Security labels of namespaces: a live namespace whose
//! `pod-security.kubernetes.io/*` labels make Pod Security admission weaker than the labels
//! its `Namespace` in Git declares (a lower level, or an older version, in some mode) is
//! security-relevant drift: pods the repository expects to be rejected or reported are
//! admitted silently. Each weaker mode is one finding at the Git label.

use crate::load::Document;
use crate::model::{fingerprint, Finding, FindingLevel, PathSeg, RuleMeta, Severity};
use crate::policy::admission::{LiveLabels, Settings};
use crate::policy::eval::place_of;
use crate::policy::pss::{Mode, NamespacePolicy, Profile, Version};

/// The rule of a live namespace whose Pod Security labels are weaker than Git's.
pub const RULE_ID: &str = "PL-DRIFT-0004";

/// The catalog entry of [`RULE_ID`].
pub fn rule() -> RuleMeta {
    RuleMeta {
        id: RULE_ID.to_string(),
        title: "Live namespace's Pod Security labels weaker than Git".to_string(),
        description: "The live namespace's pod-security.kubernetes.io labels make Pod Security \
                      admission enforce, audit or warn at a lower level (or an older version \
                      of the standard) than the Namespace in Git declares, so pods the \
                      repository expects to be rejected or reported are admitted silently."
            .to_string(),
        severity: Severity::High,
        remediation: Some(
            "Apply the Namespace from Git again (kubectl apply), and find out who changed the \
             labels on the cluster."
                .to_string(),
        ),
        frameworks: vec!["PSS-baseline".to_string(), "PSS-restricted".to_string()],
        related_resources: vec![
            "https://kubernetes.io/docs/concepts/security/pod-security-admission/".to_string(),
        ],
        package: "plumbline.drift".to_string(),
        source: "plumbline".to_string(),
    }
}

/// How strict a profile is, for comparing Git's with the live one: the level first, then the
/// version (`latest` is the newest).
fn strictness(p: Profile) -> (crate::policy::pss::Level, u32) {
    let version = match p.version {
        Version::Latest => u32::MAX,
        Version::Minor(m) => m,
    };
    (p.level, version)
}

/// The findings for the Namespaces in `documents` whose live labels (`live`, by name) are
/// weaker; a namespace that is not live is left to the drift check (a missing object).
pub fn check(documents: &[Document], live: &LiveLabels, settings: &Settings) -> Vec<Finding> {
    let defaults = settings
        .admission
        .as_deref()
        .map(|c| c.defaults)
        .unwrap_or_default();
    let mut out = Vec::new();
    for doc in documents.iter().filter(|d| d.kind() == Some("Namespace")) {
        let Some(id) = doc.resource.as_ref() else {
            continue;
        };
        let Some(live_labels) = live.get(&id.name) else {
            continue;
        };
        let labels = doc.node.get("metadata").and_then(|m| m.get("labels"));
        let git: Vec<(String, String)> = match labels.map(|l| &l.value) {
            Some(crate::load::tree::Value::Map(entries)) => entries
                .iter()
                .filter_map(|e| Some((e.key.clone(), e.value.as_str()?.to_string())))
                .collect(),
            _ => Vec::new(),
        };
        if !crate::policy::pss::has_labels(git.iter().map(|(k, _)| k.as_str())) {
            continue;
        }
        let (declared, _) = NamespacePolicy::from_labels(
            git.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            &defaults,
        );
        let (actual, _) = NamespacePolicy::from_labels(
            live_labels.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            &defaults,
        );
        for mode in Mode::ALL {
            let (want, have) = (declared.get(mode), actual.get(mode));
            if strictness(have) >= strictness(want) {
                continue;
            }
            let key = format!("{}{}", crate::policy::pss::LABEL_PREFIX, mode.name());
            let written = git.iter().any(|(k, _)| *k == key);
            let path = if written {
                vec![
                    PathSeg::Key("metadata".into()),
                    PathSeg::Key("labels".into()),
                    PathSeg::Key(key.clone()),
                ]
            } else {
                vec![
                    PathSeg::Key("metadata".into()),
                    PathSeg::Key("labels".into()),
                ]
            };
            let message = format!(
                "Live namespace {} is labelled {} {} but Git declares {} {}: Pod Security \
                 admission is weaker on the cluster than the repository says",
                id.name,
                mode.name(),
                have.describe(),
                mode.name(),
                want.describe()
            );
            let (file, region) = place_of(doc, &path);
            out.push(Finding {
                fingerprint: fingerprint(
                    RULE_ID,
                    &doc.file.path,
                    Some(id),
                    None,
                    doc.index,
                    &path,
                    &message,
                ),
                rule_id: RULE_ID.to_string(),
                severity: Severity::High,
                level: FindingLevel::Error,
                message,
                file: file.path.clone(),
                region,
                resource: Some(id.clone()),
                subject: None,
                document: doc.index,
                field_path: path,
                suppressions: Vec::new(),
                related: Vec::new(),
                live: None,
                baseline_state: None,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::pss::Level;

    #[test]
    fn a_lower_level_or_an_older_version_is_weaker() {
        let p = |level, version| Profile { level, version };
        let restricted_latest = p(Level::Restricted, Version::Latest);
        assert!(strictness(p(Level::Baseline, Version::Latest)) < strictness(restricted_latest));
        assert!(
            strictness(p(Level::Restricted, Version::Minor(30))) < strictness(restricted_latest)
        );
        assert!(
            strictness(p(Level::Restricted, Version::Minor(25)))
                < strictness(p(Level::Restricted, Version::Minor(30)))
        );
        // A higher level at an old version is still stronger than a lower one.
        assert!(
            strictness(p(Level::Baseline, Version::Latest))
                < strictness(p(Level::Restricted, Version::Minor(0)))
        );
        assert!(
            strictness(p(Level::Privileged, Version::Latest))
                < strictness(p(Level::Baseline, Version::Minor(0)))
        );
    }
}
