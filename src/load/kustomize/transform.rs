//! The built-in transformers: namespace, name prefix and suffix, labels, annotations,
//! replicas, images; and, once everything is accumulated, the name hash suffixes of generated
//! objects and the name references that follow every rename.

use super::{get_mut, map_at, scalar_string, seq, set_entry, At, Ctx, Kust, Res};
use crate::load::tree::{Node, Value};
use std::collections::HashMap;

/// Kinds without a namespace (kustomize leaves their namespace alone).
const CLUSTER_SCOPED: [&str; 22] = [
    "Namespace",
    "Node",
    "PersistentVolume",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "StorageClass",
    "PriorityClass",
    "IngressClass",
    "RuntimeClass",
    "CSIDriver",
    "CSINode",
    "VolumeAttachment",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "PodSecurityPolicy",
    "CertificateSigningRequest",
    "ComponentStatus",
    "FlowSchema",
];

/// Whether objects of `kind` have no namespace.
pub(crate) fn is_cluster_scoped(kind: &str) -> bool {
    CLUSTER_SCOPED.contains(&kind)
}

/// Kinds whose pods are described by `spec.template`.
const WORKLOADS: [&str; 6] = [
    "Deployment",
    "ReplicaSet",
    "DaemonSet",
    "StatefulSet",
    "Job",
    "ReplicationController",
];

fn meta_entry(res: &mut Res, key: &str, value: Value, at: At) {
    let meta = map_at(&mut res.node, "metadata", at);
    set_entry(meta, at.entry(key, value));
}

/// `namespace:`: every namespaced object, and the ServiceAccount subjects of role bindings
/// that name a ServiceAccount of the kustomization.
pub(super) fn namespace(kust: &Kust, acc: &mut [Res]) {
    let Some(node) = kust.get("namespace") else {
        return;
    };
    let Some(ns) = node.as_str().filter(|s| !s.is_empty()) else {
        return;
    };
    let at = At::of(node);
    let accounts: std::collections::BTreeSet<String> = acc
        .iter()
        .filter(|r| r.kind() == "ServiceAccount")
        .map(|r| r.name().to_string())
        .collect();
    for res in acc.iter_mut() {
        if !CLUSTER_SCOPED.contains(&res.kind()) {
            meta_entry(res, "namespace", Value::Str(ns.to_string()), at);
        }
        if matches!(res.kind(), "RoleBinding" | "ClusterRoleBinding") {
            if let Some(Value::Seq(subjects)) =
                get_mut(&mut res.node, "subjects").map(|n| &mut n.value)
            {
                for s in subjects {
                    let is_sa = s.get("kind").and_then(Node::as_str) == Some("ServiceAccount");
                    let name = s.get("name").and_then(Node::as_str).unwrap_or_default();
                    if is_sa && accounts.contains(name) {
                        set_entry(s, at.entry("namespace", Value::Str(ns.to_string())));
                    }
                }
            }
        }
    }
}

/// `namePrefix` and `nameSuffix` (not on CRDs, APIServices and Namespaces, as kustomize).
pub(super) fn prefix_suffix(kust: &Kust, acc: &mut [Res]) {
    let prefix = kust
        .get("namePrefix")
        .filter(|n| n.as_str().is_some_and(|s| !s.is_empty()));
    let suffix = kust
        .get("nameSuffix")
        .filter(|n| n.as_str().is_some_and(|s| !s.is_empty()));
    let Some(at) = prefix.or(suffix).map(At::of) else {
        return;
    };
    let p = prefix.and_then(Node::as_str).unwrap_or_default();
    let s = suffix.and_then(Node::as_str).unwrap_or_default();
    for res in acc.iter_mut() {
        if matches!(
            res.kind(),
            "CustomResourceDefinition" | "APIService" | "Namespace"
        ) {
            continue;
        }
        let name = format!("{p}{}{s}", res.name());
        meta_entry(res, "name", Value::Str(name), at);
    }
}

/// Where a kind keeps its pod template's metadata and its selectors, and whether kustomize
/// creates the selector when absent.
fn template_meta_paths(kind: &str) -> Vec<&'static [&'static str]> {
    if WORKLOADS.contains(&kind) {
        vec![&["spec", "template", "metadata"]]
    } else if kind == "CronJob" {
        vec![
            &["spec", "jobTemplate", "metadata"],
            &["spec", "jobTemplate", "spec", "template", "metadata"],
        ]
    } else {
        Vec::new()
    }
}

fn selector_paths(kind: &str) -> Vec<(&'static [&'static str], bool)> {
    match kind {
        "Service" => vec![(&["spec", "selector"], true)],
        "ReplicationController" => vec![(&["spec", "selector"], true)],
        "Deployment" | "ReplicaSet" | "DaemonSet" | "StatefulSet" => {
            vec![(&["spec", "selector", "matchLabels"], true)]
        }
        "Job" => vec![(&["spec", "selector", "matchLabels"], false)],
        "CronJob" => vec![(
            &["spec", "jobTemplate", "spec", "selector", "matchLabels"],
            false,
        )],
        "PodDisruptionBudget" => vec![(&["spec", "selector", "matchLabels"], false)],
        "NetworkPolicy" => vec![(&["spec", "podSelector", "matchLabels"], false)],
        _ => Vec::new(),
    }
}

/// Sets `key` in the mapping at `path`, creating the path when `create`.
fn set_in(node: &mut Node, path: &[&str], key: &str, value: &str, at: At, create: bool) {
    let mut here = node;
    for step in path {
        let exists = matches!(here.get(step).map(|n| &n.value), Some(Value::Map(_)));
        if !exists && !create {
            return;
        }
        here = map_at(here, step, at);
    }
    set_entry(here, at.entry(key, Value::Str(value.to_string())));
}

fn add_label(res: &mut Res, key: &str, value: &str, at: At, selectors: bool, templates: bool) {
    let kind = res.kind().to_string();
    set_in(&mut res.node, &["metadata", "labels"], key, value, at, true);
    if templates {
        for path in template_meta_paths(&kind) {
            let mut full = path.to_vec();
            full.push("labels");
            set_in(&mut res.node, &full, key, value, at, true);
        }
    }
    if selectors {
        for (path, create) in selector_paths(&kind) {
            set_in(&mut res.node, path, key, value, at, create);
        }
    }
}

fn pairs(node: Option<&Node>) -> Vec<(String, String, At)> {
    match node.map(|n| &n.value) {
        Some(Value::Map(entries)) => entries
            .iter()
            .map(|e| {
                (
                    e.key.clone(),
                    scalar_string(&e.value).unwrap_or_default(),
                    At {
                        start: e.key_start,
                        end_byte: e.value.end_byte,
                        src: e.value.src,
                    },
                )
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// `commonLabels` (metadata, selectors and templates) and `labels` (metadata; selectors and
/// templates with `includeSelectors`, templates with `includeTemplates`).
pub(super) fn labels(kust: &Kust, acc: &mut [Res]) {
    for (k, v, at) in pairs(kust.get("commonLabels")) {
        for res in acc.iter_mut() {
            add_label(res, &k, &v, at, true, true);
        }
    }
    for item in seq(kust.get("labels")) {
        let flag = |name: &str| item.get(name).is_some_and(|n| n.value == Value::Bool(true));
        let selectors = flag("includeSelectors");
        let templates = selectors || flag("includeTemplates");
        for (k, v, at) in pairs(item.get("pairs")) {
            for res in acc.iter_mut() {
                add_label(res, &k, &v, at, selectors, templates);
            }
        }
    }
}

/// `commonAnnotations`: metadata and pod templates.
pub(super) fn annotations(kust: &Kust, acc: &mut [Res]) {
    for (k, v, at) in pairs(kust.get("commonAnnotations")) {
        for res in acc.iter_mut() {
            let kind = res.kind().to_string();
            set_in(
                &mut res.node,
                &["metadata", "annotations"],
                &k,
                &v,
                at,
                true,
            );
            for path in template_meta_paths(&kind) {
                let mut full = path.to_vec();
                full.push("annotations");
                set_in(&mut res.node, &full, &k, &v, at, true);
            }
        }
    }
}

/// `replicas:` (name, count) on the kinds that have `spec.replicas`. The entries apply in
/// order, so the last one that names an object (by current or original name) decides; they
/// are looked up by name rather than each walking every object.
pub(super) fn replicas(kust: &Kust, acc: &mut [Res]) {
    let mut by_name: HashMap<&str, (usize, &Node)> = HashMap::new();
    for (i, item) in seq(kust.get("replicas")).iter().enumerate() {
        let Some(name) = item.get("name").and_then(Node::as_str) else {
            continue;
        };
        let Some(count) = item.get("count") else {
            continue;
        };
        by_name.insert(name, (i, count));
    }
    if by_name.is_empty() {
        return;
    }
    const KINDS: [&str; 4] = [
        "Deployment",
        "ReplicaSet",
        "StatefulSet",
        "ReplicationController",
    ];
    for res in acc.iter_mut() {
        if !KINDS.contains(&res.kind()) {
            continue;
        }
        let chosen = [res.name(), res.orig_name.as_str()]
            .into_iter()
            .filter_map(|n| by_name.get(n))
            .max_by_key(|(i, _)| *i)
            .map(|(_, count)| *count);
        if let Some(count) = chosen {
            let at = At::of(count);
            let spec = map_at(&mut res.node, "spec", at);
            set_entry(spec, at.entry("replicas", count.value.clone()));
        }
    }
}

/// An image reference split into name, tag and digest.
fn split_image(image: &str) -> (&str, Option<&str>, Option<&str>) {
    let (rest, digest) = match image.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (image, None),
    };
    let slash = rest.rfind('/').map_or(0, |i| i + 1);
    match rest[slash..].rfind(':') {
        Some(i) => (&rest[..slash + i], Some(&rest[slash + i + 1..]), digest),
        None => (rest, None, digest),
    }
}

/// `images:` (newName, newTag, digest, tagSuffix) on every container, init container and
/// ephemeral container.
pub(super) fn images(kust: &Kust, acc: &mut [Res]) {
    for item in seq(kust.get("images")) {
        let Some(name) = item.get("name").and_then(Node::as_str) else {
            continue;
        };
        let field = |k: &str| {
            item.get(k)
                .filter(|n| scalar_string(n).is_some_and(|s| !s.is_empty()))
        };
        let new_name = field("newName");
        let new_tag = field("newTag");
        let digest = field("digest");
        let suffix = field("tagSuffix");
        let Some(at) = digest.or(new_tag).or(new_name).or(suffix).map(At::of) else {
            continue;
        };
        let rewrite = |image: &str| -> Option<String> {
            let (n, tag, dig) = split_image(image);
            if n != name {
                return None;
            }
            let n = new_name.and_then(Node::as_str).unwrap_or(n);
            let mut out = n.to_string();
            if let Some(d) = digest.and_then(scalar_string) {
                out.push('@');
                out.push_str(&d);
            } else if let Some(t) = new_tag.and_then(scalar_string) {
                out.push(':');
                out.push_str(&t);
                if let Some(s) = suffix.and_then(scalar_string) {
                    out.push_str(&s);
                }
            } else {
                if let Some(t) = tag {
                    out.push(':');
                    out.push_str(t);
                    if let Some(s) = suffix.and_then(scalar_string) {
                        out.push_str(&s);
                    }
                }
                if let Some(d) = dig {
                    out.push('@');
                    out.push_str(d);
                }
            }
            Some(out)
        };
        for res in acc.iter_mut() {
            rewrite_images(&mut res.node, &rewrite, at);
        }
    }
}

fn rewrite_images(node: &mut Node, rewrite: &dyn Fn(&str) -> Option<String>, at: At) {
    match &mut node.value {
        Value::Map(entries) => {
            for e in entries.iter_mut() {
                let containers = matches!(
                    e.key.as_str(),
                    "containers" | "initContainers" | "ephemeralContainers"
                );
                if containers {
                    if let Value::Seq(items) = &mut e.value.value {
                        for c in items {
                            let new = c.get("image").and_then(Node::as_str).and_then(rewrite);
                            if let Some(new) = new {
                                set_entry(c, at.entry("image", Value::Str(new)));
                            }
                        }
                    }
                } else {
                    rewrite_images(&mut e.value, rewrite, at);
                }
            }
        }
        Value::Seq(items) => items
            .iter_mut()
            .for_each(|n| rewrite_images(n, rewrite, at)),
        _ => {}
    }
}

/// A rename: objects of `kind` called `from` are now called `to`.
struct Rename {
    kind: String,
    from: String,
    to: String,
    ns: Option<String>,
}

/// The end of the top-level build: hash suffixes on generated objects, then every reference
/// to a renamed object follows the rename.
pub(super) fn finish(_cx: &mut Ctx, acc: &mut [Res]) {
    for res in acc.iter_mut().filter(|r| r.hash) {
        let hash = super::generate::name_hash(&res.node);
        let name = format!("{}-{hash}", res.name());
        let at = res
            .node
            .get("metadata")
            .and_then(|m| m.get("name"))
            .map_or(At::of(&res.node), At::of);
        meta_entry(res, "name", Value::Str(name), at);
    }
    let renames: Vec<Rename> = acc
        .iter()
        .filter(|r| r.name() != r.orig_name && !r.orig_name.is_empty())
        .map(|r| Rename {
            kind: r.kind().to_string(),
            from: r.orig_name.clone(),
            to: r.name().to_string(),
            ns: r.namespace().map(str::to_string),
        })
        .collect();
    if renames.is_empty() {
        return;
    }
    // The renames by kind and former name: each reference looks up its own, rather than
    // walking every rename (which made a render quadratic in its generated objects).
    let mut by_from: HashMap<(&str, &str), Vec<&Rename>> = HashMap::new();
    for r in &renames {
        by_from
            .entry((r.kind.as_str(), r.from.as_str()))
            .or_default()
            .push(r);
    }
    for res in acc.iter_mut() {
        let ns = res.namespace().map(str::to_string);
        let kind = res.kind().to_string();
        let follow = |node: &mut Node, target_kind: &str| {
            let Some(name) = node.as_str() else {
                return;
            };
            let candidates: &[&Rename] =
                by_from.get(&(target_kind, name)).map_or(&[], Vec::as_slice);
            let chosen = candidates
                .iter()
                .find(|r| r.ns == ns)
                .or(candidates.first());
            // The reference keeps its own line: that is where it is declared.
            if let Some(r) = chosen {
                node.value = Value::Str(r.to.clone());
            }
        };
        references(&mut res.node, &kind, &follow);
    }
}

/// Calls `follow(node, kind)` on every field of `node` that names an object of `kind`.
fn references(node: &mut Node, kind: &str, follow: &dyn Fn(&mut Node, &str)) {
    let pod_spec_paths: &[&[&str]] = match kind {
        "Pod" => &[&["spec"]],
        "CronJob" => &[&["spec", "jobTemplate", "spec", "template", "spec"]],
        k if WORKLOADS.contains(&k) => &[&["spec", "template", "spec"]],
        _ => &[],
    };
    for path in pod_spec_paths {
        if let Some(spec) = walk(node, path) {
            pod_spec_references(spec, follow);
        }
    }
    match kind {
        "StatefulSet" => {
            if let Some(n) = walk(node, &["spec", "serviceName"]) {
                follow(n, "Service");
            }
        }
        "Ingress" => {
            for tls in items(walk(node, &["spec", "tls"])) {
                if let Some(n) = get_mut(tls, "secretName") {
                    follow(n, "Secret");
                }
            }
            if let Some(n) = walk(node, &["spec", "defaultBackend", "service", "name"]) {
                follow(n, "Service");
            }
            for rule in items(walk(node, &["spec", "rules"])) {
                for p in items(walk(rule, &["http", "paths"])) {
                    if let Some(n) = walk(p, &["backend", "service", "name"]) {
                        follow(n, "Service");
                    }
                    if let Some(n) = walk(p, &["backend", "serviceName"]) {
                        follow(n, "Service");
                    }
                }
            }
        }
        "RoleBinding" | "ClusterRoleBinding" => {
            let role_kind = node
                .get("roleRef")
                .and_then(|r| r.get("kind"))
                .and_then(Node::as_str)
                .unwrap_or_default()
                .to_string();
            if let Some(n) = walk(node, &["roleRef", "name"]) {
                follow(n, &role_kind);
            }
            for s in items(get_mut(node, "subjects")) {
                if s.get("kind").and_then(Node::as_str) == Some("ServiceAccount") {
                    if let Some(n) = get_mut(s, "name") {
                        follow(n, "ServiceAccount");
                    }
                }
            }
        }
        "HorizontalPodAutoscaler" => {
            let target = node
                .get("spec")
                .and_then(|s| s.get("scaleTargetRef"))
                .and_then(|r| r.get("kind"))
                .and_then(Node::as_str)
                .unwrap_or_default()
                .to_string();
            if let Some(n) = walk(node, &["spec", "scaleTargetRef", "name"]) {
                follow(n, &target);
            }
        }
        "ServiceAccount" => {
            for field in ["secrets", "imagePullSecrets"] {
                for s in items(get_mut(node, field)) {
                    if let Some(n) = get_mut(s, "name") {
                        follow(n, "Secret");
                    }
                }
            }
        }
        _ => {}
    }
}

fn pod_spec_references(spec: &mut Node, follow: &dyn Fn(&mut Node, &str)) {
    for field in ["serviceAccountName", "serviceAccount"] {
        if let Some(n) = get_mut(spec, field) {
            follow(n, "ServiceAccount");
        }
    }
    for s in items(get_mut(spec, "imagePullSecrets")) {
        if let Some(n) = get_mut(s, "name") {
            follow(n, "Secret");
        }
    }
    for v in items(get_mut(spec, "volumes")) {
        if let Some(n) = walk(v, &["configMap", "name"]) {
            follow(n, "ConfigMap");
        }
        if let Some(n) = walk(v, &["secret", "secretName"]) {
            follow(n, "Secret");
        }
        if let Some(n) = walk(v, &["persistentVolumeClaim", "claimName"]) {
            follow(n, "PersistentVolumeClaim");
        }
        for source in items(walk(v, &["projected", "sources"])) {
            if let Some(n) = walk(source, &["configMap", "name"]) {
                follow(n, "ConfigMap");
            }
            if let Some(n) = walk(source, &["secret", "name"]) {
                follow(n, "Secret");
            }
        }
    }
    for list in ["containers", "initContainers", "ephemeralContainers"] {
        for c in items(get_mut(spec, list)) {
            for e in items(get_mut(c, "env")) {
                if let Some(n) = walk(e, &["valueFrom", "configMapKeyRef", "name"]) {
                    follow(n, "ConfigMap");
                }
                if let Some(n) = walk(e, &["valueFrom", "secretKeyRef", "name"]) {
                    follow(n, "Secret");
                }
            }
            for e in items(get_mut(c, "envFrom")) {
                if let Some(n) = walk(e, &["configMapRef", "name"]) {
                    follow(n, "ConfigMap");
                }
                if let Some(n) = walk(e, &["secretRef", "name"]) {
                    follow(n, "Secret");
                }
            }
        }
    }
}

fn walk<'a>(node: &'a mut Node, path: &[&str]) -> Option<&'a mut Node> {
    let mut here = node;
    for step in path {
        here = get_mut(here, step)?;
    }
    Some(here)
}

fn items(node: Option<&mut Node>) -> impl Iterator<Item = &mut Node> {
    let items: &mut [Node] = match node.map(|n| &mut n.value) {
        Some(Value::Seq(items)) => items,
        _ => &mut [],
    };
    items.iter_mut()
}

#[cfg(test)]
mod tests {
    use super::split_image;

    #[test]
    fn splits_images() {
        assert_eq!(split_image("nginx"), ("nginx", None, None));
        assert_eq!(split_image("nginx:1.2"), ("nginx", Some("1.2"), None));
        assert_eq!(
            split_image("localhost:5000/app:v1@sha256:ab"),
            ("localhost:5000/app", Some("v1"), Some("sha256:ab"))
        );
        assert_eq!(
            split_image("localhost:5000/app"),
            ("localhost:5000/app", None, None)
        );
    }
}
