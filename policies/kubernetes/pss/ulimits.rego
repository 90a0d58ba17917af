# METADATA
# title: Container ulimits
# description: >-
#   securityContext.ulimits raises or lowers a container's resource limits
#   past what the node's runtime grants by default; from v1.37 only the
#   privileged level allows it, so the field must be unset.
# related_resources:
#   - https://kubernetes.io/docs/concepts/security/pod-security-standards/
# custom:
#   id: PL-K8S-0041
#   kinds: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   severity: MEDIUM
#   remediation: >-
#     Remove securityContext.ulimits from the container and keep the node's
#     default limits.
#   frameworks:
#     - PSS-baseline
#     - PSS-restricted
package plumbline.kubernetes.pss.ulimits

# Versions: baseline level since v1.37 (no such control before).

import rego.v1

import data.plumbline.lib.kubernetes as k8s
import data.plumbline.lib.pss

deny contains result if {
	pss.baseline
	pss.at_least(37)
	some entry in k8s.containers
	value := k8s.security_context(entry.container).ulimits
	value != null
	result := k8s.result(
		sprintf("%s sets securityContext.ulimits; only the privileged level allows it", [k8s.describe_container(entry)]),
		k8s.container_field_path(entry, ["ulimits"]),
	)
}
