# METADATA
# title: Privilege escalation allowed
# description: >-
#   Unless allowPrivilegeEscalation is explicitly false, a process in the
#   container can gain more privileges than its parent (for example through
#   setuid binaries). The restricted profile requires every container of a
#   Linux pod to set securityContext.allowPrivilegeEscalation to false.
# related_resources:
#   - https://kubernetes.io/docs/concepts/security/pod-security-standards/
# custom:
#   id: PL-K8S-0013
#   kinds: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   severity: MEDIUM
#   remediation: >-
#     Set securityContext.allowPrivilegeEscalation to false in every container,
#     init container and ephemeral container.
#   frameworks:
#     - PSS-restricted
package plumbline.kubernetes.pss.privilege_escalation

# Versions: restricted level since v1.8 (when allowPrivilegeEscalation
# appeared); since v1.25 it does not apply to Windows pods
# (spec.os.name: windows).

import rego.v1

import data.plumbline.lib.kubernetes as k8s
import data.plumbline.lib.pss

deny contains result if {
	pss.restricted
	pss.at_least(8)
	not pss.windows_exempt
	some entry in k8s.containers
	value := object.get(k8s.security_context(entry.container), "allowPrivilegeEscalation", null)
	value != false
	result := k8s.result(
		sprintf("%s %s; it must set securityContext.allowPrivilegeEscalation to false", [k8s.describe_container(entry), describe(value)]),
		k8s.container_field_path(entry, ["allowPrivilegeEscalation"]),
	)
}

describe(null) := "does not set securityContext.allowPrivilegeEscalation"

describe(value) := sprintf("sets securityContext.allowPrivilegeEscalation to %s", [k8s.format_value(value)]) if value != null
