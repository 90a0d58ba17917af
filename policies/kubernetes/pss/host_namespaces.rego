# METADATA
# title: Host namespaces
# description: >-
#   Sharing the host's network, PID or IPC namespace lets a pod see and reach
#   node-level processes, interfaces and shared memory, which breaks the
#   isolation between the workload and the node. spec.hostNetwork,
#   spec.hostPID and spec.hostIPC must be unset or false.
# related_resources:
#   - https://kubernetes.io/docs/concepts/security/pod-security-standards/
# custom:
#   id: PL-K8S-0002
#   kinds: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   severity: HIGH
#   remediation: >-
#     Remove spec.hostNetwork, spec.hostPID and spec.hostIPC from the pod spec
#     or set them to false. Expose network services through a Service instead
#     of the host network.
#   frameworks:
#     - PSS-baseline
#     - PSS-restricted
package plumbline.kubernetes.pss.host_namespaces

# Versions: baseline level, the same in every version of the standard (v1.0 to v1.37).

import rego.v1

import data.plumbline.lib.kubernetes as k8s
import data.plumbline.lib.pss

namespaces := {
	"hostNetwork": "network",
	"hostPID": "PID",
	"hostIPC": "IPC",
}

deny contains result if {
	pss.baseline
	spec := k8s.pod_spec
	some field, name in namespaces
	spec[field] == true
	result := k8s.result(
		sprintf("Pod sets spec.%s to true and shares the host's %s namespace", [field, name]),
		array.concat(k8s.pod_spec_path, [field]),
	)
}
