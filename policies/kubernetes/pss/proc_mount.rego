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

# Versions: baseline level from v1.0: procMount must be unset or Default.
# Since v1.35 the baseline level allows any procMount in a pod with its own
# user namespace (spec.hostUsers: false), while the restricted level still
# requires Default there; such a field is reported as a restricted finding.

import rego.v1

import data.plumbline.lib.kubernetes as k8s
import data.plumbline.lib.pss

# Whether the baseline level relaxes the control for this pod.
relaxed if {
	pss.at_least(35)
	pss.user_namespace_pod(k8s.pod_spec)
}

non_default contains {"entry": entry, "value": value} if {
	some entry in k8s.containers
	value := k8s.security_context(entry.container).procMount
	value != null
	value != "Default"
}

deny contains result if {
	pss.baseline
	not relaxed
	some bad in non_default
	result := k8s.result(
		sprintf("%s sets securityContext.procMount to %s; only Default is allowed", [k8s.describe_container(bad.entry), k8s.format_value(bad.value)]),
		k8s.container_field_path(bad.entry, ["procMount"]),
	)
}

deny contains result if {
	pss.restricted
	relaxed
	some bad in non_default
	result := k8s.result(
		sprintf("%s sets securityContext.procMount to %s; the baseline level allows it in a pod with spec.hostUsers: false, the restricted level allows only Default", [k8s.describe_container(bad.entry), k8s.format_value(bad.value)]),
		k8s.container_field_path(bad.entry, ["procMount"]),
	)
}
