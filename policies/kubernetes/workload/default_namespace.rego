# METADATA
# title: Object in the default namespace
# description: >-
#   The `default` namespace is where everything lands by accident: it has no owner, usually no
#   NetworkPolicy, ResourceQuota or Pod Security label, and RBAC granted there applies to
#   whatever else was put there. Objects should live in a namespace of their own. Only an
#   explicit `metadata.namespace: default` is reported: a manifest without a namespace gets
#   one when it is applied (`kubectl -n`, Kustomize `namespace:`, Helm `--namespace`, Argo CD
#   and Flux destinations), which a scan of the manifest cannot know. Every namespaced kind
#   counts, custom resources (a knative Service, an Argo Rollout) included; the built-in
#   cluster-scoped kinds, which have no namespace, are not reported.
# related_resources:
#   - https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/
# custom:
#   id: PL-K8S-0026
#   kinds: ["*"]
#   severity: LOW
#   remediation: >-
#     Set metadata.namespace to the application's own namespace (or leave it out and set it
#     when applying).
#   frameworks:
#     - k8s-workload-hygiene
package plumbline.kubernetes.workload.default_namespace

import rego.v1

import data.plumbline.lib.kubernetes as k8s

# Built-in kinds that are not namespaced: a namespace written on them is ignored.
cluster_scoped := {
	"Namespace", "Node", "PersistentVolume", "StorageClass", "CSIDriver", "CSINode",
	"ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "APIService",
	"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
	"ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "PriorityClass",
	"RuntimeClass", "IngressClass", "PodSecurityPolicy", "VolumeAttachment",
	"CertificateSigningRequest", "ComponentStatus", "FlowSchema",
	"PriorityLevelConfiguration",
}

deny contains result if {
	not input.kind in cluster_scoped
	input.metadata.namespace == "default"
	result := k8s.result(
		sprintf("%s %s is in the default namespace", [input.kind, name]),
		["metadata", "namespace"],
	)
}

name := sprintf("%q", [input.metadata.name]) if is_string(input.metadata.name)

else := "(unnamed)"
