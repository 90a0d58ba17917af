# METADATA
# title: Running as root allowed
# description: >-
#   Containers must be required to run as a non-root user: runAsNonRoot must
#   be true, either on the pod securityContext (and not overridden with false
#   by any container) or on every container. Without it an image whose user
#   is root starts as root.
# related_resources:
#   - https://kubernetes.io/docs/concepts/security/pod-security-standards/
# custom:
#   id: PL-K8S-0014
#   kinds: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   severity: MEDIUM
#   remediation: >-
#     Set spec.securityContext.runAsNonRoot to true on the pod (or
#     securityContext.runAsNonRoot to true on every container), remove any
#     runAsNonRoot false, and build the image with a non-root USER.
#   frameworks:
#     - PSS-restricted
package plumbline.kubernetes.pss.running_as_non_root

# Versions: restricted level from v1.0; since v1.35 a pod with its own user
# namespace (spec.hostUsers: false) is exempt, since root in the pod is not
# root on the node.

import rego.v1

import data.plumbline.lib.kubernetes as k8s
import data.plumbline.lib.pss

applies if {
	pss.restricted
	not user_namespace_exempt
}

user_namespace_exempt if {
	pss.at_least(35)
	pss.user_namespace_pod(k8s.pod_spec)
}

pod_value := object.get(k8s.pod_security_context, "runAsNonRoot", null)

pod_requires_non_root if pod_value == true

# The pod-level field may be left unset (when every container sets it), but
# if it is set it must be true.
deny contains result if {
	applies
	pod_value != null
	pod_value != true
	result := k8s.result(
		sprintf("Pod sets securityContext.runAsNonRoot to %s; it must be true", [k8s.format_value(pod_value)]),
		array.concat(k8s.pod_security_context_path, ["runAsNonRoot"]),
	)
}

# A container that explicitly sets anything other than true.
deny contains result if {
	applies
	some entry in k8s.containers
	value := object.get(k8s.security_context(entry.container), "runAsNonRoot", null)
	value != null
	value != true
	result := k8s.result(
		sprintf("%s sets securityContext.runAsNonRoot to %s; it must be true", [k8s.describe_container(entry), k8s.format_value(value)]),
		k8s.container_field_path(entry, ["runAsNonRoot"]),
	)
}

# A container that does not set it, in a pod that does not require it.
deny contains result if {
	applies
	not pod_requires_non_root
	some entry in k8s.containers
	object.get(k8s.security_context(entry.container), "runAsNonRoot", null) == null
	result := k8s.result(
		sprintf("%s does not set securityContext.runAsNonRoot to true and the pod does not set spec.securityContext.runAsNonRoot to true", [k8s.describe_container(entry)]),
		k8s.container_field_path(entry, ["runAsNonRoot"]),
	)
}
