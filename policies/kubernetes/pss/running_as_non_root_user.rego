# METADATA
# title: Running as UID 0
# description: >-
#   Setting runAsUser to 0 runs the container's processes as root, whatever
#   the image says. The restricted profile forbids runAsUser 0 on the pod and
#   on every container.
# related_resources:
#   - https://kubernetes.io/docs/concepts/security/pod-security-standards/
# custom:
#   id: PL-K8S-0015
#   kinds: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   severity: MEDIUM
#   remediation: >-
#     Remove runAsUser 0, or set runAsUser to a non-zero UID (for example
#     10001) that the image supports.
#   frameworks:
#     - PSS-restricted
package plumbline.kubernetes.pss.running_as_non_root_user

# Versions: restricted level since v1.23; since v1.35 a pod with its own user
# namespace (spec.hostUsers: false) is exempt.

import rego.v1

import data.plumbline.lib.kubernetes as k8s
import data.plumbline.lib.pss

applies if {
	pss.restricted
	pss.at_least(23)
	not user_namespace_exempt
}

user_namespace_exempt if {
	pss.at_least(35)
	pss.user_namespace_pod(k8s.pod_spec)
}

deny contains result if {
	applies
	k8s.pod_security_context.runAsUser == 0
	result := k8s.result(
		"Pod sets securityContext.runAsUser to 0 (root)",
		array.concat(k8s.pod_security_context_path, ["runAsUser"]),
	)
}

deny contains result if {
	applies
	some entry in k8s.containers
	k8s.security_context(entry.container).runAsUser == 0
	result := k8s.result(
		sprintf("%s sets securityContext.runAsUser to 0 (root)", [k8s.describe_container(entry)]),
		k8s.container_field_path(entry, ["runAsUser"]),
	)
}
