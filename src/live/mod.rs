//! Read-only readers of live state. A reader returns what it read as a [`LiveCluster`]
//! (objects plus exactly which kinds and namespaces were read completely); `drift` compares
//! it with what Git declares. The same shape is what `plumbline snapshot` writes, so a scan
//! against a snapshot and a scan against the cluster compare the same thing.

pub mod aws;
pub mod kubernetes;

use crate::model::{Notification, ResourceId};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// One object as the API server returned it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveObject {
    /// `apiVersion` (`group/version` as served), kind, namespace and name.
    pub id: ResourceId,
    /// The whole object, with `apiVersion` and `kind` filled in (list items lack them on a
    /// real server). Sensitive values are replaced by keyed hashes before this leaves the
    /// reader's caller (see `drift`), never printed as read.
    pub body: serde_json::Value,
}

/// A kind, and where it was listed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct KindScope {
    /// API group; empty for the core group.
    pub group: String,
    pub version: String,
    pub kind: String,
    /// The resource (plural) name the API serves it under, e.g. `deployments`.
    pub resource: String,
    pub namespaced: bool,
    /// `None`: listed across all namespaces (or the kind is cluster-scoped); `Some(ns)`:
    /// listed in that namespace only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

/// What a scan asks a reader for: the kinds Git declares, and where.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct KindRequest {
    /// `apiVersion` as declared (`apps/v1`, `v1`).
    pub api_version: String,
    pub kind: String,
    /// Namespaces the declared objects of this kind live in (after defaulting). Empty for
    /// cluster-scoped kinds. Extra namespaces (for `unmanaged`) are added by the caller.
    pub namespaces: BTreeSet<String>,
}

/// Everything read from one cluster.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LiveCluster {
    /// The kubeconfig context name, or `in-cluster`.
    pub name: String,
    /// The API server URL (for reports; no credentials).
    pub server: String,
    /// Kinds and namespaces listed completely. Anything not here was not checked, and the
    /// scan must say so (a notification, exit 3), never report "no drift" for it.
    pub complete: Vec<KindScope>,
    /// Objects read, sorted by identity.
    pub objects: Vec<LiveObject>,
    /// What could not be read and why (403 from preflight or a list, 5xx, timeouts…).
    pub notifications: Vec<Notification>,
    /// HTTP requests sent (for `--timings` and the benchmark).
    pub requests: usize,
    /// List keys the cluster's OpenAPI v3 documents declare for the kinds read (empty when
    /// the server does not serve them: the built-in table of `rules/kubernetes.yaml` applies).
    /// Kept in snapshots, so an offline comparison keys lists exactly as the live one did.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub list_keys: Vec<OpenApiListKeys>,
}

/// The keyed lists of one kind, as its schema in the cluster's OpenAPI v3 document declares
/// them (`x-kubernetes-list-type: map` with `x-kubernetes-list-map-keys`, or a strategic
/// merge patch key).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct OpenApiListKeys {
    /// `apiVersion` (`apps/v1`, `v1`).
    pub api_version: String,
    pub kind: String,
    /// Rule path of each keyed list (`/spec/template/spec/containers`; `*` stands for any
    /// list item or map value, `~1` for a `/` in a field name) → its key fields.
    pub lists: BTreeMap<String, Vec<String>>,
}
