# METADATA
# title: Seccomp profile not set
# description: >-
#   The restricted profile requires a seccomp filter on every container of a
#   Linux pod: seccompProfile.type must be explicitly RuntimeDefault or
#   Localhost, set on the pod securityContext or on every container, and
#   Unconfined is not allowed anywhere.
# related_resources:
#   - https://kubernetes.io/docs/concepts/security/pod-security-standards/
#   - https://kubernetes.io/docs/tutorials/security/seccomp/
# custom:
#   id: PL-K8S-0016
#   kinds: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   severity: LOW
#   remediation: >-
#     Set spec.securityContext.seccompProfile.type to RuntimeDefault on the
#     pod (or securityContext.seccompProfile.type to RuntimeDefault or
#     Localhost on every container) and remove any Unconfined profile.
#   frameworks:
#     - PSS-restricted
package plumbline.kubernetes.pss.seccomp_restricted

# Versions: restricted level since v1.19 (the seccompProfile fields); since
# v1.25 it does not apply to Windows pods (spec.os.name: windows). A type the
# baseline control (PL-K8S-0010) forbids is reported by that rule alone.

import rego.v1

import data.plumbline.kubernetes.pss.seccomp_baseline as baseline
import data.plumbline.lib.kubernetes as k8s
import data.plumbline.lib.pss

allowed_types := {"RuntimeDefault", "Localhost"}

pod_value := object.get(k8s.pod_security_context, ["seccompProfile", "type"], null)

pod_sets_valid_profile if pod_value in allowed_types

applies if {
	pss.restricted
	pss.at_least(19)
	not pss.windows_exempt
}

violations contains result if {
	applies
	pod_value != null
	not pod_value in allowed_types
	result := k8s.result(
		sprintf("Pod sets securityContext.seccompProfile.type to %s; it must be RuntimeDefault or Localhost", [k8s.format_value(pod_value)]),
		array.concat(k8s.pod_security_context_path, ["seccompProfile", "type"]),
	)
}

# A container that explicitly sets a disallowed type.
violations contains result if {
	applies
	some entry in k8s.containers
	value := object.get(k8s.security_context(entry.container), ["seccompProfile", "type"], null)
	value != null
	not value in allowed_types
	result := k8s.result(
		sprintf("%s sets securityContext.seccompProfile.type to %s; it must be RuntimeDefault or Localhost", [k8s.describe_container(entry), k8s.format_value(value)]),
		k8s.container_field_path(entry, ["seccompProfile", "type"]),
	)
}

# A container without a profile of its own in a pod without a valid one.
violations contains result if {
	applies
	not pod_sets_valid_profile
	some entry in k8s.containers
	object.get(k8s.security_context(entry.container), ["seccompProfile", "type"], null) == null
	result := k8s.result(
		sprintf("%s has no seccomp profile: set securityContext.seccompProfile.type to RuntimeDefault or Localhost on the container or the pod", [k8s.describe_container(entry)]),
		k8s.container_field_path(entry, ["seccompProfile", "type"]),
	)
}

deny contains result if {
	some result in violations
	not pss.reported(baseline.deny, result.path)
}
