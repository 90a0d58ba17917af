//! What Kubernetes and AWS drift share: the outcome of a check, the catalog entry of a drift
//! rule, and the escalation of drift that is security-relevant (the live form violates a
//! policy that the declared form does not).

use crate::model::{Finding, Notification, RuleMeta, Severity};
use crate::policy::PolicySet;
use std::collections::BTreeSet;

/// What a drift check (clusters or AWS) found.
#[derive(Debug, Default)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub notifications: Vec<Notification>,
    /// The drift rules that ran, for the report's rule list.
    pub rules: Vec<RuleMeta>,
    /// Files the findings point into (for source lines in text output).
    pub files: Vec<std::sync::Arc<crate::load::SourceFile>>,
}

/// The catalog entry of a drift rule of `package`.
pub fn rule(
    package: &str,
    id: &str,
    title: &str,
    severity: Severity,
    description: &str,
    remediation: &str,
) -> RuleMeta {
    RuleMeta {
        id: id.to_string(),
        title: title.to_string(),
        description: description.to_string(),
        severity,
        remediation: Some(remediation.to_string()),
        frameworks: Vec::new(),
        related_resources: Vec::new(),
        package: package.to_string(),
        source: "plumbline".to_string(),
    }
}

/// The most severe (then greatest rule id) of the `live` violations (severity, rule id)
/// whose rule the declared form does not violate.
pub fn worst_live_only(
    declared: &BTreeSet<String>,
    live: impl IntoIterator<Item = (Severity, String)>,
) -> Option<(Severity, String)> {
    live.into_iter()
        .filter(|(_, id)| !declared.contains(id))
        .max()
}

/// Raises `findings` to `severity` (never lowers them) and says in each message that the live
/// `what` ("object", "resource") now violates `rule_id`, which the declared one does not.
pub fn escalate<'a>(
    findings: impl IntoIterator<Item = &'a mut Finding>,
    (severity, rule_id): (Severity, String),
    what: &str,
    policies: &PolicySet,
) {
    let title = policies
        .packages
        .iter()
        .find(|p| p.meta.id == rule_id)
        .map(|p| format!(" ({})", p.meta.title))
        .unwrap_or_default();
    for f in findings {
        if severity > f.severity {
            f.severity = severity;
        }
        f.message.push_str(&format!(
            ". The live {what} now violates {rule_id}{title}, which the declared one does not"
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worst_violation_only_the_live_form_has() {
        let declared: BTreeSet<String> = ["A".to_string()].into();
        let live = vec![
            (Severity::Critical, "A".to_string()),
            (Severity::High, "B".to_string()),
            (Severity::High, "C".to_string()),
            (Severity::Low, "D".to_string()),
        ];
        assert_eq!(
            worst_live_only(&declared, live),
            Some((Severity::High, "C".to_string()))
        );
        assert_eq!(
            worst_live_only(&declared, vec![(Severity::High, "A".to_string())]),
            None
        );
    }
}
