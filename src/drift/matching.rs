//! Declared ↔ live identity: which kinds and namespaces a reader must list, and which live
//! object a declared document is.
//!
//! Objects are the same when their API group (not version: `apps/v1` and `apps/v1beta2`
//! name the same object), kind, namespace and name are. A namespaced object declared
//! without `metadata.namespace` lives in the default namespace, as with `kubectl apply`
//! (the kubeconfig context's namespace, else `default`); a cluster-scoped object has none,
//! whatever its manifest says.

use crate::live::{KindRequest, KindScope, LiveCluster, LiveObject};
use crate::load::tree::Node;
use crate::load::Document;
use crate::model::ResourceId;
use std::collections::{BTreeMap, BTreeSet};

/// Core and built-in kinds that are cluster-scoped, for when no discovery result says.
/// Anything else is taken to be namespaced.
pub const CLUSTER_SCOPED: &[(&str, &str)] = &[
    ("", "Namespace"),
    ("", "Node"),
    ("", "PersistentVolume"),
    ("", "ComponentStatus"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("apiregistration.k8s.io", "APIService"),
    (
        "admissionregistration.k8s.io",
        "MutatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io",
        "ValidatingWebhookConfiguration",
    ),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
    (
        "admissionregistration.k8s.io",
        "ValidatingAdmissionPolicyBinding",
    ),
    ("storage.k8s.io", "StorageClass"),
    ("storage.k8s.io", "CSIDriver"),
    ("storage.k8s.io", "CSINode"),
    ("storage.k8s.io", "VolumeAttachment"),
    ("scheduling.k8s.io", "PriorityClass"),
    ("node.k8s.io", "RuntimeClass"),
    ("networking.k8s.io", "IngressClass"),
    ("networking.k8s.io", "IPAddress"),
    ("networking.k8s.io", "ServiceCIDR"),
    ("certificates.k8s.io", "CertificateSigningRequest"),
    ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
    ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
    ("policy", "PodSecurityPolicy"),
];

/// The API group of an `apiVersion`: `apps/v1` → `apps`, `v1` → `` (core).
pub fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(g, _)| g)
}

/// An object's identity across versions: group, kind, namespace, name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub group: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl Key {
    /// `group/kind/namespace/name` (core group: `kind/namespace/name` would be ambiguous, so
    /// the group is always there, empty for core).
    pub fn qualified(&self) -> String {
        format!(
            "{}/{}/{}/{}",
            self.group,
            self.kind,
            self.namespace.as_deref().unwrap_or(""),
            self.name
        )
    }

    /// Where the object lives in a cluster: `cluster/namespace/kind/name`.
    pub fn live_location(&self, cluster: &str) -> String {
        format!(
            "{cluster}/{}/{}/{}",
            self.namespace.as_deref().unwrap_or(""),
            self.kind,
            self.name
        )
    }

    /// `Deployment demo/web` or `Namespace demo`, for messages.
    pub fn display(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }
}

/// Whether kinds are namespaced: discovery results first (a cluster's complete scopes),
/// then the built-in list of cluster-scoped kinds.
#[derive(Debug, Clone, Default)]
pub struct Scopes {
    known: BTreeMap<(String, String), bool>,
}

impl Scopes {
    pub fn from_clusters(clusters: &[LiveCluster]) -> Self {
        let mut known = BTreeMap::new();
        for c in clusters {
            for s in &c.complete {
                known.insert((s.group.clone(), s.kind.clone()), s.namespaced);
            }
        }
        Self { known }
    }

    /// Adds what the CustomResourceDefinitions declared in Git say (`spec.scope`) about the
    /// kinds they define, where discovery did not already say.
    pub fn with_declared_crds(mut self, documents: &[Document]) -> Self {
        for (doc, id) in declared_objects(documents) {
            if id.kind != "CustomResourceDefinition"
                || group_of(&id.api_version) != "apiextensions.k8s.io"
            {
                continue;
            }
            let spec = doc.node.get("spec");
            let field = |path: &[&str]| {
                let mut n = spec?;
                for p in path {
                    n = n.get(p)?;
                }
                n.as_str()
            };
            if let (Some(group), Some(kind), Some(scope)) = (
                field(&["group"]),
                field(&["names", "kind"]),
                field(&["scope"]),
            ) {
                self.known
                    .entry((group.to_string(), kind.to_string()))
                    .or_insert(scope == "Namespaced");
            }
        }
        self
    }

    pub fn namespaced(&self, group: &str, kind: &str) -> bool {
        match self.known.get(&(group.to_string(), kind.to_string())) {
            Some(n) => *n,
            None => !CLUSTER_SCOPED.contains(&(group, kind)),
        }
    }
}

/// How declared identities are completed.
#[derive(Debug, Clone)]
pub struct Defaulting {
    /// Namespace of a namespaced object declared without one.
    pub namespace: String,
    pub scopes: Scopes,
}

impl Defaulting {
    /// The identity `kubectl apply` gives a declared object.
    pub fn key(&self, id: &ResourceId) -> Key {
        let group = group_of(&id.api_version).to_string();
        let namespace = if self.scopes.namespaced(&group, &id.kind) {
            Some(
                id.namespace
                    .clone()
                    .unwrap_or_else(|| self.namespace.clone()),
            )
        } else {
            None
        };
        Key {
            group,
            kind: id.kind.clone(),
            namespace,
            name: id.name.clone(),
        }
    }
}

/// The identity of a live object (its namespace as served).
pub fn live_key(o: &LiveObject) -> Key {
    Key {
        group: group_of(&o.id.api_version).to_string(),
        kind: o.id.kind.clone(),
        namespace: o.id.namespace.clone().filter(|n| !n.is_empty()),
        name: o.id.name.clone(),
    }
}

/// Declared documents that are Kubernetes objects a cluster can hold: named (not
/// `generateName`), not a `*List`. Objects described by Terraform resources (`kubernetes_*`,
/// which may hold values known only after apply) are left to Terraform's own plan.
pub fn declared_objects(documents: &[Document]) -> impl Iterator<Item = (&Document, &ResourceId)> {
    documents.iter().filter_map(|d| {
        if d.subject.is_some() {
            return None;
        }
        let id = d.resource.as_ref()?;
        let named = d
            .node
            .get("metadata")
            .and_then(|m| m.get("name"))
            .and_then(Node::as_str)
            .is_some_and(|n| !n.is_empty());
        named.then_some((d, id))
    })
}

/// What to ask a reader for: each declared kind (grouped by apiVersion and kind as
/// declared) with the namespaces its objects live in after defaulting; `extra_namespaces`
/// (for unmanaged objects) are added to every namespaced kind.
pub fn kind_requests(
    documents: &[Document],
    defaulting: &Defaulting,
    extra_namespaces: &BTreeSet<String>,
) -> Vec<KindRequest> {
    let mut by_kind: BTreeMap<(String, String), KindRequest> = BTreeMap::new();
    for (_, id) in declared_objects(documents) {
        let key = defaulting.key(id);
        let req = by_kind
            .entry((id.api_version.clone(), id.kind.clone()))
            .or_insert_with(|| KindRequest {
                api_version: id.api_version.clone(),
                kind: id.kind.clone(),
                namespaces: BTreeSet::new(),
            });
        if let Some(ns) = key.namespace {
            req.namespaces.insert(ns);
            req.namespaces.extend(extra_namespaces.iter().cloned());
        }
    }
    by_kind.into_values().collect()
}

/// Whether a cluster listed `group`/`kind` completely where `namespace` is.
pub fn is_complete(
    cluster: &LiveCluster,
    group: &str,
    kind: &str,
    namespace: Option<&str>,
) -> bool {
    cluster.complete.iter().any(|s: &KindScope| {
        s.group == group
            && s.kind == kind
            && match (&s.namespace, namespace) {
                (None, _) => true,
                (Some(listed), Some(ns)) => listed == ns,
                (Some(_), None) => false,
            }
    })
}

/// A cluster's objects by identity.
pub fn index(cluster: &LiveCluster) -> BTreeMap<Key, &LiveObject> {
    cluster.objects.iter().map(|o| (live_key(o), o)).collect()
}

/// What a HorizontalPodAutoscaler scales: `(group or None when not given, kind, namespace,
/// name)`.
type ScaleTarget = (Option<String>, String, Option<String>, String);

fn scale_target(hpa: &serde_json::Value, namespace: Option<&str>) -> Option<ScaleTarget> {
    let r = hpa.pointer("/spec/scaleTargetRef")?;
    Some((
        r.get("apiVersion")
            .and_then(|v| v.as_str())
            .map(|v| group_of(v).to_string()),
        r.get("kind")?.as_str()?.to_string(),
        namespace.map(str::to_string),
        r.get("name")?.as_str()?.to_string(),
    ))
}

/// Objects some HorizontalPodAutoscaler scales, declared or live: their `spec.replicas` is
/// the autoscaler's to set, so it is not drift.
#[derive(Debug, Default)]
pub struct HpaTargets(Vec<ScaleTarget>);

impl HpaTargets {
    pub fn collect(
        documents: &[Document],
        defaulting: &Defaulting,
        clusters: &[LiveCluster],
    ) -> Self {
        let mut out = Vec::new();
        for (doc, id) in declared_objects(documents) {
            if id.kind == "HorizontalPodAutoscaler" && group_of(&id.api_version) == "autoscaling" {
                let key = defaulting.key(id);
                out.extend(scale_target(&doc.node.to_json(), key.namespace.as_deref()));
            }
        }
        for c in clusters {
            for o in &c.objects {
                if o.id.kind == "HorizontalPodAutoscaler"
                    && group_of(&o.id.api_version) == "autoscaling"
                {
                    out.extend(scale_target(&o.body, o.id.namespace.as_deref()));
                }
            }
        }
        Self(out)
    }

    pub fn targets(&self, key: &Key) -> bool {
        self.0.iter().any(|(group, kind, ns, name)| {
            kind == &key.kind
                && name == &key.name
                && ns == &key.namespace
                && group.as_deref().is_none_or(|g| g == key.group)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(api_version: &str, kind: &str, ns: Option<&str>, name: &str) -> ResourceId {
        ResourceId {
            api_version: api_version.into(),
            kind: kind.into(),
            namespace: ns.map(str::to_string),
            name: name.into(),
        }
    }

    fn defaulting() -> Defaulting {
        Defaulting {
            namespace: "team".into(),
            scopes: Scopes::default(),
        }
    }

    /// An object a Terraform resource describes (it has a subject) is not compared with the
    /// cluster; the same object in a manifest is.
    #[test]
    fn terraform_described_objects_are_not_declared_for_drift() {
        use crate::load::tree::{Entry, Node, Value};
        use crate::model::{Pos, SourceFile, Subject};
        let p = Pos::new(1, 1);
        let s = |v: &str| Node::new(Value::Str(v.into()), p, None);
        let e = |k: &str, value: Node| Entry {
            key: k.into(),
            key_start: p,
            key_end_byte: None,
            value,
        };
        let node = Node::new(
            Value::Map(vec![
                e("apiVersion", s("v1")),
                e("kind", s("ConfigMap")),
                e(
                    "metadata",
                    Node::new(Value::Map(vec![e("name", s("c"))]), p, None),
                ),
            ]),
            p,
            None,
        );
        let file = std::sync::Arc::new(SourceFile::new("main.tf".into(), String::new()));
        let mut manifest = Document::new(std::sync::Arc::clone(&file), 0, node.clone());
        manifest.resource = Some(id("v1", "ConfigMap", None, "c"));
        let mut described = Document::new(file, 0, node);
        described.resource = Some(id("v1", "ConfigMap", None, "c"));
        described.subject = Some(Subject {
            source: "terraform".into(),
            kind: "kubernetes_config_map".into(),
            address: "kubernetes_config_map.c".into(),
            via: Vec::new(),
        });
        let docs = [manifest, described];
        let declared: Vec<_> = declared_objects(&docs).collect();
        assert_eq!(declared.len(), 1);
        assert!(declared[0].0.subject.is_none());
    }

    #[test]
    fn groups_not_versions() {
        assert_eq!(group_of("apps/v1"), "apps");
        assert_eq!(group_of("v1"), "");
        assert_eq!(
            group_of("rbac.authorization.k8s.io/v1"),
            "rbac.authorization.k8s.io"
        );
        let d = defaulting();
        assert_eq!(
            d.key(&id("apps/v1", "Deployment", Some("a"), "web")),
            d.key(&id("apps/v1beta2", "Deployment", Some("a"), "web"))
        );
        assert_ne!(
            d.key(&id("v1", "Deployment", Some("a"), "web")),
            d.key(&id("apps/v1", "Deployment", Some("a"), "web"))
        );
    }

    #[test]
    fn namespaces_default_like_kubectl_apply() {
        let d = defaulting();
        let k = d.key(&id("v1", "ConfigMap", None, "c"));
        assert_eq!(k.namespace.as_deref(), Some("team"));
        // Cluster-scoped kinds have no namespace, even when the manifest gives one.
        let k = d.key(&id(
            "rbac.authorization.k8s.io/v1",
            "ClusterRole",
            Some("x"),
            "r",
        ));
        assert_eq!(k.namespace, None);
        // Discovery wins over the built-in list.
        let cluster = LiveCluster {
            complete: vec![KindScope {
                group: "example.com".into(),
                version: "v1".into(),
                kind: "Widget".into(),
                resource: "widgets".into(),
                namespaced: false,
                namespace: None,
            }],
            ..LiveCluster::default()
        };
        let d = Defaulting {
            scopes: Scopes::from_clusters(&[cluster]),
            ..defaulting()
        };
        assert_eq!(
            d.key(&id("example.com/v1", "Widget", None, "w")).namespace,
            None
        );
    }

    #[test]
    fn requests_group_declared_kinds_with_their_namespaces() {
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\n\
                    kind: ConfigMap\nmetadata: {name: b, namespace: shop}\n---\napiVersion: \
                    rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\n---\n\
                    apiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: c-}\n---\nplain: yaml\n";
        let docs = crate::load::load_file("a.yaml", text.as_bytes(), &Default::default()).documents;
        let extra: BTreeSet<String> = ["audit".to_string()].into();
        let reqs = kind_requests(&docs, &defaulting(), &extra);
        assert_eq!(reqs.len(), 2, "{reqs:?}");
        assert_eq!(reqs[0].kind, "ClusterRole");
        assert!(reqs[0].namespaces.is_empty(), "cluster-scoped");
        assert_eq!(reqs[1].kind, "ConfigMap");
        assert_eq!(
            reqs[1].namespaces.iter().collect::<Vec<_>>(),
            ["audit", "shop", "team"],
            "defaulted, declared and extra; generateName objects are not matched"
        );
    }

    #[test]
    fn declared_crds_say_the_scope_of_their_kinds() {
        let text = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n\
                    metadata: {name: gadgets.example.com}\nspec:\n  group: example.com\n  \
                    names: {kind: Gadget, plural: gadgets}\n  scope: Cluster\n";
        let docs = crate::load::load_file("c.yaml", text.as_bytes(), &Default::default()).documents;
        let d = Defaulting {
            namespace: "team".into(),
            scopes: Scopes::default().with_declared_crds(&docs),
        };
        assert_eq!(
            d.key(&id("example.com/v1", "Gadget", Some("x"), "g"))
                .namespace,
            None
        );
        assert_eq!(
            defaulting()
                .key(&id("example.com/v1", "Gadget", None, "g"))
                .namespace
                .as_deref(),
            Some("team"),
            "unknown kinds are namespaced"
        );
    }

    #[test]
    fn autoscalers_claim_replicas_of_their_target_only() {
        let text =
            "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h}\n\
                    spec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n";
        let docs = crate::load::load_file("h.yaml", text.as_bytes(), &Default::default()).documents;
        let hpa = HpaTargets::collect(&docs, &defaulting(), &[]);
        let d = defaulting();
        assert!(hpa.targets(&d.key(&id("apps/v1", "Deployment", None, "web"))));
        assert!(!hpa.targets(&d.key(&id("apps/v1", "Deployment", Some("other"), "web"))));
        assert!(!hpa.targets(&d.key(&id("apps/v1", "StatefulSet", None, "web"))));
    }

    #[test]
    fn completeness_is_per_namespace() {
        let scope = |ns: Option<&str>| KindScope {
            group: "apps".into(),
            version: "v1".into(),
            kind: "Deployment".into(),
            resource: "deployments".into(),
            namespaced: true,
            namespace: ns.map(str::to_string),
        };
        let c = LiveCluster {
            complete: vec![scope(Some("demo"))],
            ..LiveCluster::default()
        };
        assert!(is_complete(&c, "apps", "Deployment", Some("demo")));
        assert!(!is_complete(&c, "apps", "Deployment", Some("other")));
        assert!(!is_complete(&c, "", "Deployment", Some("demo")));
        let c = LiveCluster {
            complete: vec![scope(None)],
            ..LiveCluster::default()
        };
        assert!(is_complete(&c, "apps", "Deployment", Some("other")));
    }
}
