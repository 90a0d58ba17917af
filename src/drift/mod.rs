//! Declared vs live: identity matching, normalisation, field comparison, redaction.
//!
//! `compare` walks what Git declares and compares each declared field with the live value;
//! fields only the cluster has are never drift. Sensitive values are compared through keyed
//! hashes and shown as "value differs", never as read.

use crate::model::PathSeg;
use serde::{Deserialize, Serialize};

/// A value as a report may show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "shown", content = "value", rename_all = "lowercase")]
pub enum Shown {
    /// The value itself (never used for sensitive paths).
    Value(serde_json::Value),
    /// A sensitive value: only "it differs" may be said.
    Redacted,
    /// No value on this side.
    Absent,
}

/// The field manager that last wrote a live field, from `metadata.managedFields`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manager {
    pub manager: String,
    /// `Apply` or `Update`.
    pub operation: String,
    /// RFC 3339 time of that write, when the server recorded it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DiffKind {
    /// Declared and live both have the field, with different values.
    Changed,
    /// Declared, absent from the live object.
    Absent,
    /// No longer declared in Git but still in the cluster, known to have been declared from
    /// `kubectl.kubernetes.io/last-applied-configuration` or the GitOps manager's
    /// `managedFields` entries.
    Removed,
}

/// One field that differs between the declared and the live object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Difference {
    /// Path in the declared document (for `Removed`: the path in the live object; the
    /// finding points at the nearest declared parent).
    pub path: Vec<PathSeg>,
    pub kind: DiffKind,
    pub declared: Shown,
    pub live: Shown,
    /// Who last wrote the live field, when `managedFields` says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<Manager>,
    /// For `Removed`: the path, in the declared document (declared list indices), of the
    /// nearest declared parent — where the finding points (`Node::locate` on it). `None` for
    /// `Changed` and `Absent`, whose `path` is already a declared path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declared_parent: Option<Vec<PathSeg>>,
}

pub mod aws;
pub mod check;
pub mod compare;
pub mod findings;
pub mod matching;
pub mod pss_labels;
mod quantity;
pub mod rules;
pub mod secret;
pub mod snapshot;
pub mod vocabulary;

pub use compare::{compare, CompareContext};
pub use rules::Rules;
pub use secret::{redact_live, redact_live_as, HashKey};
