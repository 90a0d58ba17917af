//! AWS drift as findings: the three AWS drift rules, their catalog entries, and the finding
//! each kind of drift becomes.
//!
//! A finding about a declared resource points at its `resource` block (or the attribute line)
//! in the `.tf` files of the scanned revision; it carries the resource's Terraform address
//! (`Finding.subject`) and its ARN (`Finding.live`). Fingerprints come from the rule, the
//! account, the Terraform type, the live key and the attribute path — never lines or files.

use super::normalise::Compared;
use crate::model::{
    render_path, Finding, FindingLevel, PathSeg, Pos, Region, RuleMeta, Severity, Subject,
};

/// In a Terraform state, gone from AWS.
pub const MISSING: &str = "PL-DRIFT-0101";
/// In a Terraform state and in AWS, with an attribute that differs.
pub const CHANGED: &str = "PL-DRIFT-0102";
/// In AWS, in no Terraform state (opt-in: `--aws-unmanaged`).
pub const UNMANAGED: &str = "PL-DRIFT-0103";

fn rule(
    id: &str,
    title: &str,
    severity: Severity,
    description: &str,
    remediation: &str,
) -> RuleMeta {
    crate::drift::vocabulary::rule(
        "plumbline.drift.aws",
        id,
        title,
        severity,
        description,
        remediation,
    )
}

/// The catalog entry of an AWS drift rule.
pub fn rule_meta(id: &str) -> Option<RuleMeta> {
    Some(match id {
        MISSING => rule(
            MISSING,
            "Terraform-managed AWS resource missing",
            Severity::Medium,
            "A resource in a Terraform state no longer exists in AWS: it was deleted outside \
             Terraform (console, CLI, another tool). What the configuration promises is not in \
             force, and the next apply will recreate it.",
            "Run `terraform apply` to recreate it, or remove the resource from the \
             configuration (and `terraform state rm` it) if it is no longer wanted.",
        ),
        CHANGED => rule(
            CHANGED,
            "AWS resource differs from its Terraform state",
            Severity::Medium,
            "An attribute of a Terraform-managed AWS resource has another value in AWS than \
             the state records: someone changed it outside Terraform. The finding points at the \
             attribute in the `.tf` files. Sensitive values are compared through keyed hashes \
             and only said to differ. When the live resource violates a policy the declared one \
             does not (a security group opened to the internet, public access, encryption \
             turned off, a widened policy), the finding takes that policy's severity.",
            "Run `terraform apply` to bring AWS back to the configuration, or, if the live \
             value is right, change the configuration and apply it.",
        ),
        UNMANAGED => rule(
            UNMANAGED,
            "AWS resource not managed by Terraform",
            Severity::Low,
            "A resource exists in AWS, of a type the scan was asked to watch, and no Terraform \
             state given to the scan holds it. Resources AWS creates itself (default VPCs, \
             default security groups, main route tables, service-linked roles) are not \
             reported.",
            "Import it into Terraform (`terraform import`), delete it if nobody needs it, or \
             list it with a reason under `aws.unmanaged.ignore` in `.plumbline.yaml`.",
        ),
        _ => return None,
    })
}

/// The stable fingerprint of an AWS drift finding.
pub fn fingerprint(
    rule_id: &str,
    account: &str,
    ty: &str,
    live_key: &str,
    path: &[PathSeg],
) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for part in [
        "aws-drift",
        rule_id,
        account,
        ty,
        live_key,
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

/// Where a finding about a declared resource points.
#[derive(Debug, Clone)]
pub struct Place {
    pub file: String,
    pub region: Region,
    pub via: Vec<String>,
}

/// The declared resource a finding is about.
#[derive(Debug, Clone)]
pub struct Declared<'a> {
    pub ty: &'a str,
    pub address: &'a str,
    pub account: &'a str,
    pub live_key: &'a str,
    /// ARN (or `kind:region/id` when there is none).
    pub live: String,
}

fn subject(d: &Declared, place: &Place) -> Subject {
    Subject {
        source: "terraform-state".to_string(),
        kind: d.ty.to_string(),
        address: d.address.to_string(),
        via: place.via.clone(),
    }
}

/// At most this many characters of a value are shown in a message.
const VALUE_MAX: usize = 160;

fn shown(v: &serde_json::Value) -> String {
    let text = match v {
        serde_json::Value::Null => "(not set)".to_string(),
        other => other.to_string(),
    };
    match text.char_indices().nth(VALUE_MAX) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text,
    }
}

fn in_account(account: &str) -> String {
    if account.is_empty() {
        "in AWS".to_string()
    } else {
        format!("in AWS account {account}")
    }
}

/// `PL-DRIFT-0101`.
pub fn missing(d: &Declared, place: &Place, detail: Option<&str>) -> Finding {
    let detail = detail.map(|t| format!(" ({t})")).unwrap_or_default();
    Finding {
        rule_id: MISSING.to_string(),
        severity: Severity::Medium,
        level: FindingLevel::Error,
        message: format!(
            "{} is in the Terraform state but does not exist {}{detail}: {} is gone",
            d.address,
            in_account(d.account),
            d.live
        ),
        file: place.file.clone(),
        region: place.region,
        resource: None,
        subject: Some(subject(d, place)),
        document: 0,
        field_path: Vec::new(),
        fingerprint: fingerprint(MISSING, d.account, d.ty, d.live_key, &[]),
        suppressions: Vec::new(),
        related: Vec::new(),
        baseline_state: None,
        live: Some(d.live.clone()),
    }
}

/// What differs, in words. A sensitive attribute says only that it differs.
pub fn describe(path: &[PathSeg], c: &Compared, sensitive: bool) -> String {
    let p = render_path(path);
    if sensitive {
        return format!(
            "{p}: (sensitive value) differs between the Terraform state and AWS (compared by \
             keyed hash, not shown)"
        );
    }
    if !c.added.is_empty() || !c.removed.is_empty() {
        let mut parts = Vec::new();
        if !c.added.is_empty() {
            parts.push(format!(
                "AWS has {} that the state does not declare",
                c.added.join(", ")
            ));
        }
        if !c.removed.is_empty() {
            parts.push(format!(
                "the state declares {} that AWS does not have",
                c.removed.join(", ")
            ));
        }
        return format!("{p}: {}", parts.join("; "));
    }
    format!(
        "{p}: declared {}, live {}",
        shown(&c.declared),
        shown(&c.live)
    )
}

/// `PL-DRIFT-0102`, one per attribute.
pub fn changed(
    d: &Declared,
    place: &Place,
    path: &[PathSeg],
    c: &Compared,
    sensitive: bool,
) -> Finding {
    let mut field_path = vec![PathSeg::Key("attributes".into())];
    field_path.extend(path.iter().cloned());
    Finding {
        rule_id: CHANGED.to_string(),
        severity: Severity::Medium,
        level: FindingLevel::Error,
        message: format!(
            "{} differs {} ({}): {}",
            d.address,
            in_account(d.account),
            d.live,
            describe(path, c, sensitive)
        ),
        file: place.file.clone(),
        region: place.region,
        resource: None,
        subject: Some(subject(d, place)),
        document: 0,
        field_path,
        fingerprint: fingerprint(CHANGED, d.account, d.ty, d.live_key, path),
        suppressions: Vec::new(),
        related: Vec::new(),
        baseline_state: None,
        live: Some(d.live.clone()),
    }
}

/// `PL-DRIFT-0103`: no file; the ARN says where it lives.
pub fn unmanaged(
    ty: &str,
    kind: &str,
    account: &str,
    region: &str,
    id: &str,
    live: &str,
) -> Finding {
    Finding {
        rule_id: UNMANAGED.to_string(),
        severity: Severity::Low,
        level: FindingLevel::Error,
        message: format!(
            "{ty} {id} ({kind} in {region}) exists {} but no Terraform state given to the scan \
             manages it: {live}",
            in_account(account)
        ),
        file: String::new(),
        region: Region {
            start: Pos::new(1, 1),
            end: Pos::new(1, 2),
        },
        resource: None,
        subject: None,
        document: 0,
        field_path: Vec::new(),
        fingerprint: fingerprint(UNMANAGED, account, ty, id, &[]),
        suppressions: Vec::new(),
        related: Vec::new(),
        baseline_state: None,
        live: Some(live.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn c(d: serde_json::Value, l: serde_json::Value) -> Compared {
        Compared {
            equal: false,
            declared: d,
            live: l,
            added: Vec::new(),
            removed: Vec::new(),
        }
    }

    #[test]
    fn messages_show_values_unless_sensitive() {
        let p = crate::model::parse_rendered_path("versioning_configuration[0].status");
        let m = describe(&p, &c(json!("Enabled"), json!("Suspended")), false);
        assert_eq!(
            m,
            "versioning_configuration[0].status: declared \"Enabled\", live \"Suspended\""
        );
        let m = describe(&p, &c(json!("hunter2"), json!("x")), true);
        assert!(
            !m.contains("hunter2") && m.contains("(sensitive value) differs"),
            "{m}"
        );
        let mut set = c(json!([]), json!([]));
        set.added = vec!["tcp 22-22 cidr 0.0.0.0/0".into()];
        let m = describe(&crate::model::parse_rendered_path("ingress"), &set, false);
        assert_eq!(
            m,
            "ingress: AWS has tcp 22-22 cidr 0.0.0.0/0 that the state does not declare"
        );
    }

    #[test]
    fn fingerprints_depend_on_identity_and_path_only() {
        let p = crate::model::parse_rendered_path("tags");
        let a = fingerprint(CHANGED, "1", "aws_vpc", "vpc-1", &p);
        assert_eq!(a.len(), 32);
        assert_ne!(a, fingerprint(CHANGED, "2", "aws_vpc", "vpc-1", &p));
        assert_ne!(a, fingerprint(CHANGED, "1", "aws_vpc", "vpc-2", &p));
        assert_ne!(a, fingerprint(CHANGED, "1", "aws_vpc", "vpc-1", &[]));
        assert_ne!(a, fingerprint(MISSING, "1", "aws_vpc", "vpc-1", &p));
        for id in [MISSING, CHANGED, UNMANAGED] {
            assert_eq!(rule_meta(id).unwrap().id, id);
        }
    }
}
