# METADATA
# title: Seccomp profile disabled
# description: >-
#   Seccomp filters the system calls a container can make. Setting the
#   seccomp profile type to Unconfined on the pod or on a container disables
#   that filter; only RuntimeDefault and Localhost (or leaving it unset) are
#   allowed.
# related_resources:
#   - https://kubernetes.io/docs/concepts/security/pod-security-standards/
#   - https://kubernetes.io/docs/tutorials/security/seccomp/
# custom:
#   id: PL-K8S-0010
#   kinds: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   severity: MEDIUM
#   remediation: >-
#     Set securityContext.seccompProfile.type to RuntimeDefault (or Localhost
#     with a profile that is loaded on the nodes) instead of Unconfined.
#   frameworks:
#     - PSS-baseline
#     - PSS-restricted
package plumbline.kubernetes.pss.seccomp_baseline

import rego.v1

import data.plumbline.lib.kubernetes as k8s

allowed_types := {"RuntimeDefault", "Localhost"}

deny contains result if {
	value := k8s.pod_security_context.seccompProfile.type
	value != null
	not value in allowed_types
	result := k8s.result(
		sprintf("Pod sets securityContext.seccompProfile.type to %s; only RuntimeDefault or Localhost are allowed", [k8s.format_value(value)]),
		array.concat(k8s.pod_security_context_path, ["seccompProfile", "type"]),
	)
}

deny contains result if {
	some entry in k8s.containers
	value := k8s.security_context(entry.container).seccompProfile.type
	value != null
	not value in allowed_types
	result := k8s.result(
		sprintf("%s sets securityContext.seccompProfile.type to %s; only RuntimeDefault or Localhost are allowed", [k8s.describe_container(entry), k8s.format_value(value)]),
		k8s.container_field_path(entry, ["seccompProfile", "type"]),
	)
}
