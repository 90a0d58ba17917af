# METADATA
# title: Capabilities not dropped (restricted)
# description: >-
#   The restricted profile requires every container of a Linux pod to drop
#   ALL Linux capabilities and to add back at most NET_BIND_SERVICE, so a
#   compromised process holds no capability it does not need.
# related_resources:
#   - https://kubernetes.io/docs/concepts/security/pod-security-standards/
#   - https://man7.org/linux/man-pages/man7/capabilities.7.html
# custom:
#   id: PL-K8S-0017
#   kinds: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   severity: LOW
#   remediation: >-
#     Add "ALL" to securityContext.capabilities.drop in every container, and
#     remove every entry of securityContext.capabilities.add other than
#     NET_BIND_SERVICE.
#   frameworks:
#     - PSS-restricted
package plumbline.kubernetes.pss.capabilities_restricted

# Versions: restricted level since v1.22; since v1.25 it does not apply to
# Windows pods (spec.os.name: windows). An added capability that the
# baseline control (PL-K8S-0004) forbids is reported by that rule alone.

import rego.v1

import data.plumbline.kubernetes.pss.capabilities_baseline as baseline
import data.plumbline.lib.kubernetes as k8s
import data.plumbline.lib.pss

# Whether the control applies to this pod at the evaluated version.
applies if {
	pss.restricted
	pss.at_least(22)
	not pss.windows_exempt
}

# Every field the control forbids, before the fields the baseline reports are left out.
violations contains result if {
	applies
	some entry in k8s.containers
	not drops_all(k8s.security_context(entry.container))
	result := k8s.result(
		sprintf("%s does not drop ALL capabilities (securityContext.capabilities.drop must contain \"ALL\")", [k8s.describe_container(entry)]),
		k8s.container_field_path(entry, ["capabilities", "drop"]),
	)
}

violations contains result if {
	applies
	some entry in k8s.containers
	add := k8s.security_context(entry.container).capabilities.add
	some i, capability in k8s.as_array(add)
	capability != null
	capability != "NET_BIND_SERVICE"
	result := k8s.result(
		sprintf("%s adds capability %s; only NET_BIND_SERVICE may be added", [k8s.describe_container(entry), k8s.format_value(capability)]),
		k8s.container_field_path(entry, ["capabilities", "add", i]),
	)
}

deny contains result if {
	some result in violations
	not pss.reported(baseline.deny, result.path)
}

drops_all(sc) if {
	some capability in k8s.as_array(sc.capabilities.drop)
	capability == "ALL"
}
