# METADATA
# title: Unmasked /proc mount
# description: >-
#   By default the container runtime masks sensitive paths under /proc. A
#   procMount of Unmasked exposes them, which can leak host information and
#   allow kernel settings to be changed. securityContext.procMount must be
#   unset or Default.
# related_resources:
#   - https://kubernetes.io/docs/concepts/security/pod-security-standards/
# custom:
#   id: PL-K8S-0009
#   kinds: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   severity: MEDIUM
#   remediation: >-
#     Remove securityContext.procMount from the container or set it to
#     Default.
#   frameworks:
#     - PSS-baseline
#     - PSS-restricted
package plumbline.kubernetes.pss.proc_mount

import rego.v1

import data.plumbline.lib.kubernetes as k8s

deny contains result if {
	some entry in k8s.containers
	value := k8s.security_context(entry.container).procMount
	value != null
	value != "Default"
	result := k8s.result(
		sprintf("%s sets securityContext.procMount to %s; only Default is allowed", [k8s.describe_container(entry), k8s.format_value(value)]),
		k8s.container_field_path(entry, ["procMount"]),
	)
}
