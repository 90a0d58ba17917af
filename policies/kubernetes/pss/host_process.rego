# METADATA
# title: Windows HostProcess containers
# description: >-
#   Windows HostProcess containers run directly on the node with the
#   privileges of the host, bypassing container isolation entirely. The
#   baseline profile forbids setting windowsOptions.hostProcess to true on the
#   pod or on any container.
# related_resources:
#   - https://kubernetes.io/docs/concepts/security/pod-security-standards/
# custom:
#   id: PL-K8S-0001
#   kinds: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   severity: HIGH
#   remediation: >-
#     Remove securityContext.windowsOptions.hostProcess from the pod and from
#     every container, or set it to false. Run node-level Windows tooling
#     outside of ordinary application namespaces.
#   frameworks:
#     - PSS-baseline
#     - PSS-restricted
package plumbline.kubernetes.pss.host_process

# Versions: baseline level, the same in every version of the standard (v1.0 to v1.37).

import rego.v1

import data.plumbline.lib.kubernetes as k8s
import data.plumbline.lib.pss

deny contains result if {
	pss.baseline
	k8s.pod_security_context.windowsOptions.hostProcess == true
	result := k8s.result(
		"Pod sets securityContext.windowsOptions.hostProcess to true; HostProcess pods have privileged access to the Windows node",
		array.concat(k8s.pod_security_context_path, ["windowsOptions", "hostProcess"]),
	)
}

deny contains result if {
	pss.baseline
	some entry in k8s.containers
	k8s.security_context(entry.container).windowsOptions.hostProcess == true
	result := k8s.result(
		sprintf("%s sets securityContext.windowsOptions.hostProcess to true; HostProcess containers have privileged access to the Windows node", [k8s.describe_container(entry)]),
		k8s.container_field_path(entry, ["windowsOptions", "hostProcess"]),
	)
}
