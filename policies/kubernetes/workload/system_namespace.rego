# METADATA
# title: Object in a system namespace
# description: >-
#   kube-system holds the control plane's own components and kube-public is readable by
#   everyone, unauthenticated users included. Application objects placed there share the
#   most privileged service accounts and secrets of the cluster (kube-system), or are
#   exposed to anyone (kube-public). Cluster add-ons installed in kube-system on purpose
#   (CNI, CoreDNS, metrics-server) should be waived with the reason.
# related_resources:
#   - https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/
# custom:
#   id: PL-K8S-0037
#   kinds: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, Service, Ingress, ConfigMap, Secret, ServiceAccount, Role, RoleBinding, NetworkPolicy, PersistentVolumeClaim, HorizontalPodAutoscaler, PodDisruptionBudget, LimitRange, ResourceQuota, Endpoints, EndpointSlice]
#   severity: MEDIUM
#   remediation: >-
#     Move the object to a namespace of its own; for a cluster add-on that must live in
#     kube-system, waive the finding with the reason.
#   frameworks:
#     - k8s-workload-hygiene
package plumbline.kubernetes.workload.system_namespace

import rego.v1

import data.plumbline.lib.kubernetes as k8s

deny contains result if {
	ns := input.metadata.namespace
	ns in {"kube-system", "kube-public"}
	result := k8s.result(
		sprintf("%s %s is in the system namespace %s", [input.kind, name, ns]),
		["metadata", "namespace"],
	)
}

name := sprintf("%q", [input.metadata.name]) if is_string(input.metadata.name)

else := "(unnamed)"
