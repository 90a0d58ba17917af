//! Kubernetes objects described by resources of the Terraform `kubernetes` provider.
//!
//! A `kubernetes_*` resource (`kubernetes_deployment`, its `_v1` form, `kubernetes_pod`,
//! `kubernetes_cluster_role_binding`…) is written in the provider's block schema: snake_case
//! names, nested blocks, singular block names for lists (`container`, `port`, `volume_mount`).
//! The provider's expanders turn it into the API object; this module does the same on the
//! evaluated attributes, so that the Kubernetes library checks it: `container` →
//! `spec.containers`, a block the API holds as an object (`security_context`, `metadata`) → that
//! object, `run_as_non_root` → `runAsNonRoot`, `host_pid` → `hostPID`, `external_ips` →
//! `externalIPs`. Map attributes (`labels`, `annotations`, `limits`…) keep their keys. A
//! namespaced object without `metadata.namespace` is in `default`, as the provider's schema
//! defaults it (pod templates excepted). `kubernetes_manifest`'s `manifest` is the object
//! itself. Every node keeps the HCL position of the value it came from; unknown values stay
//! `{"$unknown": …}`.

use super::super::tree::{Entry, Node, Value as NV};
use crate::model::Pos;

/// The API version, kind and whether the object is namespaced, of a provider resource type.
pub(super) fn object_type(ty: &str) -> Option<(&'static str, &'static str, bool)> {
    let base = ty.strip_prefix("kubernetes_")?;
    let (base, version) = match base.rsplit_once('_') {
        Some((b, v)) if matches!(v, "v1" | "v2" | "v2beta2" | "v1beta1") => (b, Some(v)),
        _ => (base, None),
    };
    let v1 = version == Some("v1");
    Some(match base {
        "pod" => ("v1", "Pod", true),
        "deployment" => ("apps/v1", "Deployment", true),
        "daemonset" | "daemon_set" => ("apps/v1", "DaemonSet", true),
        "stateful_set" => ("apps/v1", "StatefulSet", true),
        "replication_controller" => ("v1", "ReplicationController", true),
        "job" => ("batch/v1", "Job", true),
        "cron_job" if v1 => ("batch/v1", "CronJob", true),
        "cron_job" => ("batch/v1beta1", "CronJob", true),
        "service" => ("v1", "Service", true),
        "service_account" | "default_service_account" => ("v1", "ServiceAccount", true),
        "namespace" => ("v1", "Namespace", false),
        "config_map" => ("v1", "ConfigMap", true),
        "secret" => ("v1", "Secret", true),
        "persistent_volume_claim" => ("v1", "PersistentVolumeClaim", true),
        "persistent_volume" => ("v1", "PersistentVolume", false),
        "limit_range" => ("v1", "LimitRange", true),
        "resource_quota" => ("v1", "ResourceQuota", true),
        "endpoints" => ("v1", "Endpoints", true),
        "role" => ("rbac.authorization.k8s.io/v1", "Role", true),
        "role_binding" => ("rbac.authorization.k8s.io/v1", "RoleBinding", true),
        "cluster_role" => ("rbac.authorization.k8s.io/v1", "ClusterRole", false),
        "cluster_role_binding" => ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", false),
        "network_policy" => ("networking.k8s.io/v1", "NetworkPolicy", true),
        "ingress" if v1 => ("networking.k8s.io/v1", "Ingress", true),
        "ingress" => ("networking.k8s.io/v1beta1", "Ingress", true),
        "ingress_class" => ("networking.k8s.io/v1", "IngressClass", false),
        "pod_security_policy" => ("policy/v1beta1", "PodSecurityPolicy", false),
        "pod_disruption_budget" if v1 => ("policy/v1", "PodDisruptionBudget", true),
        "pod_disruption_budget" => ("policy/v1beta1", "PodDisruptionBudget", true),
        "horizontal_pod_autoscaler" if version.is_some_and(|v| v.starts_with("v2")) => {
            ("autoscaling/v2", "HorizontalPodAutoscaler", true)
        }
        "horizontal_pod_autoscaler" => ("autoscaling/v1", "HorizontalPodAutoscaler", true),
        "priority_class" => ("scheduling.k8s.io/v1", "PriorityClass", false),
        "storage_class" => ("storage.k8s.io/v1", "StorageClass", false),
        _ => return None,
    })
}

/// Arguments of the provider that are not part of the object (waits, timeouts, field
/// managers).
const PROVIDER_ONLY: &[&str] = &[
    "timeouts",
    "wait_for_rollout",
    "wait_for_load_balancer",
    "wait_for_completion",
    "wait_for_default_service_account",
    "wait_for_service_account_token",
    "field_manager",
    "computed_fields",
    "wait",
];

/// Map attributes of the provider's schema: their keys are data (label names, resource
/// names), kept as written.
const MAP_ATTRIBUTES: &[&str] = &[
    "labels",
    "annotations",
    "node_selector",
    "data",
    "binary_data",
    "string_data",
    "limits",
    "requests",
    "match_labels",
    "hard",
    "parameters",
    "capacity",
    "volume_attributes",
    "options",
    "default",
    "default_request",
    "max",
    "min",
    "max_limit_request_ratio",
    "mount_options",
];

/// API fields that are lists: a block of that name stays a list (the others are objects,
/// written as one block).
const LIST_FIELDS: &[&str] = &[
    "containers",
    "initContainers",
    "ephemeralContainers",
    "volumes",
    "volumeMounts",
    "volumeDevices",
    "ports",
    "env",
    "envFrom",
    "imagePullSecrets",
    "tolerations",
    "hostAliases",
    "rules",
    "subjects",
    "ingress",
    "egress",
    "from",
    "to",
    "tls",
    "paths",
    "items",
    "sysctls",
    "matchExpressions",
    "topologySpreadConstraints",
    "readinessGates",
    "nodeSelectorTerms",
    "preferredDuringSchedulingIgnoredDuringExecution",
    "options",
    "sources",
    "secrets",
    "hostPorts",
    "ranges",
    "allowedHostPaths",
    "allowedFlexVolumes",
    "allowedCSIDrivers",
    "clusterRoleSelectors",
    "metrics",
    "httpHeaders",
    "addresses",
    "notReadyAddresses",
    "subsets",
    "limits",
    "scopeSelector",
    "matchFields",
];

/// The API name of a provider block or attribute `key` found in block `parent` (`""` at the
/// top of the resource).
fn api_name(key: &str, parent: &str, is_block: bool) -> String {
    if is_block {
        let plural = match (key, parent) {
            ("port", "service") => None,
            ("port", _) => Some("ports"),
            ("container", _) => Some("containers"),
            ("init_container", _) => Some("initContainers"),
            ("ephemeral_container", _) => Some("ephemeralContainers"),
            ("volume", _) => Some("volumes"),
            ("volume_mount", _) => Some("volumeMounts"),
            ("volume_device", _) => Some("volumeDevices"),
            ("toleration", _) => Some("tolerations"),
            ("rule", _) => Some("rules"),
            ("subject", _) => Some("subjects"),
            ("topology_spread_constraint", _) => Some("topologySpreadConstraints"),
            ("readiness_gate", _) => Some("readinessGates"),
            ("sysctl", _) => Some("sysctls"),
            ("path", "http") => Some("paths"),
            ("option", _) => Some("options"),
            ("secret", "") => Some("secrets"),
            ("image_pull_secret", "") => Some("imagePullSecrets"),
            ("node_selector_term", _) => Some("nodeSelectorTerms"),
            ("range", _) => Some("ranges"),
            ("http_header", _) => Some("httpHeaders"),
            ("address", _) => Some("addresses"),
            ("not_ready_address", _) => Some("notReadyAddresses"),
            ("subset", _) => Some("subsets"),
            ("metric", _) => Some("metrics"),
            ("limit", "spec") => Some("limits"),
            _ => None,
        };
        if let Some(p) = plural {
            return p.to_string();
        }
    }
    camel(key)
}

/// `run_as_non_root` → `runAsNonRoot`, with the API's initialisms (`host_pid` → `hostPID`,
/// `external_ips` → `externalIPs`, `non_resource_urls` → `nonResourceURLs`).
pub(super) fn camel(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for (i, word) in key.split('_').enumerate() {
        if i == 0 {
            out.push_str(word);
            continue;
        }
        let upper = match word {
            "ip" => "IP",
            "ips" => "IPs",
            "ipc" => "IPC",
            "pid" => "PID",
            "uid" => "UID",
            "id" => "ID",
            "url" => "URL",
            "urls" => "URLs",
            "tls" => "TLS",
            "csi" => "CSI",
            "wwns" => "WWNs",
            "iqn" => "IQN",
            _ => "",
        };
        if !upper.is_empty() {
            out.push_str(upper);
            continue;
        }
        let mut chars = word.chars();
        if let Some(c) = chars.next() {
            out.extend(c.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    out
}

fn is_unknown(n: &Node) -> bool {
    matches!(&n.value, NV::Map(e) if e.len() == 1 && e[0].key == "$unknown")
}

/// Whether a value written for `key` is a block (or an object written as an attribute, as
/// `security_context = { … }`): its keys are schema names to convert.
fn is_block_like(key: &str, parent: &str, n: &Node) -> bool {
    if is_unknown(n) || MAP_ATTRIBUTES.contains(&key) {
        return false;
    }
    // `limits` of a LimitRange spec is a list of blocks; elsewhere a map of quantities.
    if key == "limit" && parent == "spec" {
        return true;
    }
    match &n.value {
        // A Service's (or ReplicationController's) `selector` is a map of labels; a workload's
        // is a block with `match_labels`/`match_expressions`.
        NV::Map(entries) if key == "selector" => entries
            .iter()
            .any(|e| e.key == "match_labels" || e.key == "match_expressions"),
        NV::Map(_) => true,
        NV::Seq(items) => {
            !items.is_empty()
                && items
                    .iter()
                    .all(|i| matches!(i.value, NV::Map(_)) && !is_unknown(i))
        }
        _ => false,
    }
}

/// A block body (a map of schema names) converted to the API object.
fn convert_body(body: &Node, parent: &str, top: bool) -> Node {
    let NV::Map(entries) = &body.value else {
        return body.clone();
    };
    let mut out: Vec<Entry> = Vec::with_capacity(entries.len());
    for e in entries {
        if top && PROVIDER_ONLY.contains(&e.key.as_str()) {
            continue;
        }
        if let Some(entry) = convert_entry(e, parent) {
            out.push(entry);
        }
    }
    Node {
        value: NV::Map(out),
        start: body.start,
        end_byte: body.end_byte,
        src: body.src,
    }
}

fn convert_entry(e: &Entry, parent: &str) -> Option<Entry> {
    let key = e.key.as_str();
    let block = is_block_like(key, parent, &e.value);
    let name = api_name(key, parent, block);
    let value = if block {
        let list = LIST_FIELDS.contains(&name.as_str())
            && !(name == "limits" && parent != "spec")
            && !(name == "ingress" && parent == "status");
        match &e.value.value {
            NV::Seq(items) if list => Node {
                value: NV::Seq(items.iter().map(|i| convert_body(i, key, false)).collect()),
                start: e.value.start,
                end_byte: e.value.end_byte,
                src: e.value.src,
            },
            // A block the API holds as an object: its (first) body.
            NV::Seq(items) => convert_body(items.first()?, key, false),
            // An object written as an attribute: a list field of one item.
            NV::Map(_) if list => Node {
                value: NV::Seq(vec![convert_body(&e.value, key, false)]),
                start: e.value.start,
                end_byte: e.value.end_byte,
                src: e.value.src,
            },
            _ => convert_body(&e.value, key, false),
        }
    } else {
        match &e.value.value {
            // A map attribute written as a block (`limits { cpu = "1" }`, as the provider's
            // first versions had it): its one body, keys as written.
            NV::Seq(items)
                if MAP_ATTRIBUTES.contains(&key)
                    && items.len() == 1
                    && matches!(items[0].value, NV::Map(_)) =>
            {
                items[0].clone()
            }
            _ => e.value.clone(),
        }
    };
    Some(Entry {
        key: name,
        key_start: e.key_start,
        key_end_byte: e.key_end_byte,
        value,
    })
}

/// The Kubernetes object a resource of type `ty` describes, from its evaluated `attributes`;
/// `at` and `src` place the nodes that have no value of their own (apiVersion, kind, the
/// default namespace). `None` for a type that describes no object, or a manifest that is not
/// an object known before apply.
pub(super) fn object(ty: &str, attributes: &Node, at: Pos, src: u16) -> Option<Node> {
    let node = |value: NV, start: Pos| Node {
        value,
        start,
        end_byte: None,
        src,
    };
    let entry = |key: &str, value: Node| Entry {
        key: key.to_string(),
        key_start: value.start,
        key_end_byte: None,
        value,
    };
    if ty == "kubernetes_manifest" {
        let manifest = attributes.get("manifest")?;
        let is_object = matches!(&manifest.value, NV::Map(_)) && !is_unknown(manifest);
        return is_object.then(|| manifest.clone());
    }
    let (api_version, kind, namespaced) = object_type(ty)?;
    let body = convert_body(attributes, "", true);
    let NV::Map(mut entries) = body.value else {
        return None;
    };
    // The provider's metadata block is a list of one: when it is absent (a resource written
    // wrongly), an empty one, so the identity still has a place.
    // `kubernetes_default_service_account` manages the namespace's `default` account.
    if ty.starts_with("kubernetes_default_service_account") {
        if let Some(NV::Map(m)) = entries
            .iter_mut()
            .find(|e| e.key == "metadata")
            .map(|e| &mut e.value.value)
        {
            if !m.iter().any(|e| e.key == "name") {
                let start = m.first().map_or(at, |e| e.key_start);
                m.push(entry("name", node(NV::Str("default".into()), start)));
            }
        }
    }
    if namespaced {
        match entries.iter_mut().find(|e| e.key == "metadata") {
            Some(meta) => {
                if let NV::Map(m) = &mut meta.value.value {
                    if !m.iter().any(|e| e.key == "namespace") {
                        let start = meta.value.start;
                        m.push(entry("namespace", node(NV::Str("default".into()), start)));
                    }
                }
            }
            None => entries.push(entry(
                "metadata",
                node(
                    NV::Map(vec![entry(
                        "namespace",
                        node(NV::Str("default".into()), at),
                    )]),
                    at,
                ),
            )),
        }
    }
    let mut all = vec![
        entry("apiVersion", node(NV::Str(api_version.into()), at)),
        entry("kind", node(NV::Str(kind.into()), at)),
    ];
    all.extend(entries);
    Some(node(NV::Map(all), at))
}

/// Whether a `helm_release`'s `chart` is a local chart path (as the Helm provider reads it:
/// no `repository`, and a path rather than a `repo/chart` name or a URL).
pub(super) fn helm_local_chart(attributes: &Node) -> Option<String> {
    if attributes.get("repository").is_some() {
        return None;
    }
    let chart = attributes.get("chart")?.as_str()?;
    let local = chart.starts_with("./")
        || chart.starts_with("../")
        || chart.starts_with('/')
        || chart == "."
        || chart == "..";
    local.then(|| chart.to_string())
}

/// A `metadata.namespace` that refers to a `kubernetes_namespace` of the same module
/// (`kubernetes_namespace_v1.shop.metadata[0].name`, or its `id`) is that namespace's
/// configured name, which Terraform knows before apply: the reference is replaced by it
/// (keeping the reference's position).
fn resolve_namespace(object: &mut Node, module: &[super::Evaluated]) {
    let Some(NV::Map(meta)) = object_field_mut(object, "metadata") else {
        return;
    };
    let Some(ns) = meta.iter_mut().find(|e| e.key == "namespace") else {
        return;
    };
    let NV::Map(u) = &ns.value.value else {
        return;
    };
    let [only] = u.as_slice() else {
        return;
    };
    let (true, Some(reference)) = (only.key == "$unknown", only.value.as_str()) else {
        return;
    };
    let Some((ty, rest)) = reference.split_once('.') else {
        return;
    };
    if ty != "kubernetes_namespace" && ty != "kubernetes_namespace_v1" {
        return;
    }
    let Some((name, attr)) = rest.split_once('.') else {
        return;
    };
    if !matches!(attr, "metadata[0].name" | "metadata.0.name" | "id") {
        return;
    }
    let configured = module
        .iter()
        .filter(|m| m.ty == ty && m.name == name && !m.address.contains('['))
        .find_map(|m| {
            let meta = m.attributes.get("metadata")?;
            let first = match &meta.value {
                NV::Seq(items) => items.first()?,
                _ => meta,
            };
            first.get("name")?.as_str().map(str::to_string)
        });
    if let Some(n) = configured {
        ns.value.value = NV::Str(n);
    }
}

fn object_field_mut<'a>(object: &'a mut Node, key: &str) -> Option<&'a mut NV> {
    match &mut object.value {
        NV::Map(entries) => entries
            .iter_mut()
            .find(|e| e.key == key)
            .map(|e| &mut e.value.value),
        _ => None,
    }
}

impl super::Inst<'_> {
    /// After the Terraform document of resource `r`: the Kubernetes object it describes (a
    /// `kubernetes_*` resource), or the note that a `helm_release` of a local chart is not
    /// rendered with the release's values.
    pub(super) fn emit_kubernetes(
        &self,
        r: &super::Evaluated,
        module: &[super::Evaluated],
        docs: &mut Vec<super::Document>,
    ) {
        use crate::model::{NoteLevel, Subject};
        use std::sync::Arc;
        if r.ty == "helm_release" {
            if let Some(chart) = helm_local_chart(&r.attributes) {
                let path = self.file_path(r.file).to_string();
                self.root.note(
                    NoteLevel::Warning,
                    "terraform-helm-release-not-rendered",
                    &path,
                    Some(r.loc.pos),
                    format!(
                        "{path}:{}: {} installs the local chart {chart}, but plumbline does not \
                         render a Terraform helm_release with its values and set blocks; the \
                         chart is checked when it is in the scan (rendered with its defaults): \
                         declare the release as a Flux HelmRelease or Argo CD Application, or \
                         give its values with helm_charts in .plumbline.yaml",
                        r.loc.pos.line, r.address
                    ),
                );
            }
            return;
        }
        if !r.ty.starts_with("kubernetes_") {
            return;
        }
        let src = super::src_of(r.file);
        let mut object = object(&r.ty, &r.attributes, r.loc.pos, src);
        if let Some(o) = object.as_mut() {
            resolve_namespace(o, module);
        }
        let resource = object.as_ref().and_then(super::super::kubernetes::identity);
        let (Some(node), Some(resource)) = (object, resource) else {
            if r.ty == "kubernetes_manifest" {
                let path = self.file_path(r.file).to_string();
                self.root.note(
                    NoteLevel::Warning,
                    "terraform-kubernetes-manifest-unknown",
                    &path,
                    Some(r.loc.pos),
                    format!(
                        "{path}:{}: the manifest of {} (or its apiVersion or kind) is known only \
                         after apply, so no Kubernetes rule checks it; write the object in the \
                         configuration, or from a file of the repository",
                        r.loc.pos.line, r.address
                    ),
                );
            }
            return;
        };
        let mut doc = super::Document::new(Arc::clone(&self.def.files[r.file]), 0, node);
        if self.def.files.len() <= super::MAX_FILES_PER_DOCUMENT {
            doc.extra_files = self.def.files.clone();
        } else {
            super::set_src_deep(&mut doc.node, 0);
        }
        doc.resource = Some(resource);
        doc.subject = Some(Subject {
            source: "terraform".into(),
            kind: r.ty.clone(),
            address: r.address.clone(),
            via: self.via.clone(),
        });
        doc.module_origin = self.origin.clone();
        docs.push(doc);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_api() {
        assert_eq!(camel("run_as_non_root"), "runAsNonRoot");
        assert_eq!(camel("host_pid"), "hostPID");
        assert_eq!(camel("host_ipc"), "hostIPC");
        assert_eq!(camel("external_ips"), "externalIPs");
        assert_eq!(camel("non_resource_urls"), "nonResourceURLs");
        assert_eq!(camel("se_linux_options"), "seLinuxOptions");
        assert_eq!(api_name("container", "spec", true), "containers");
        assert_eq!(api_name("port", "service", true), "port");
        assert_eq!(api_name("path", "http", true), "paths");
        assert_eq!(api_name("path", "host_path", false), "path");
    }

    #[test]
    fn resource_types_map_to_kinds() {
        assert_eq!(
            object_type("kubernetes_deployment_v1"),
            Some(("apps/v1", "Deployment", true))
        );
        assert_eq!(
            object_type("kubernetes_cluster_role_binding"),
            Some(("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", false))
        );
        assert_eq!(
            object_type("kubernetes_cron_job_v1"),
            Some(("batch/v1", "CronJob", true))
        );
        assert_eq!(object_type("kubernetes_manifest"), None);
        assert_eq!(object_type("aws_s3_bucket"), None);
    }
}
