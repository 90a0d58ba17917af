# METADATA
# title: Privileged containers
# description: >-
#   A privileged container runs with all capabilities and unrestricted access
#   to the node's devices, which disables most container isolation. No
#   container may set securityContext.privileged to true.
# related_resources:
#   - https://kubernetes.io/docs/concepts/security/pod-security-standards/
# custom:
#   id: PL-K8S-0003
#   kinds: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   severity: HIGH
#   remediation: >-
#     Remove securityContext.privileged or set it to false. If the workload
#     needs one specific kernel feature, grant only that capability instead.
#   frameworks:
#     - PSS-baseline
#     - PSS-restricted
package plumbline.kubernetes.pss.privileged

# Versions: baseline level, the same in every version of the standard (v1.0 to v1.37).

import rego.v1

import data.plumbline.lib.kubernetes as k8s
import data.plumbline.lib.pss

deny contains result if {
	pss.baseline
	some entry in k8s.containers
	k8s.security_context(entry.container).privileged == true
	result := k8s.result(
		sprintf("%s is privileged (securityContext.privileged is true)", [k8s.describe_container(entry)]),
		k8s.container_field_path(entry, ["privileged"]),
	)
}
