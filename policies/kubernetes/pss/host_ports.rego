# METADATA
# title: Host ports
# description: >-
#   A hostPort binds a container port directly on the node's network
#   interfaces, bypassing Services and network policy and limiting where the
#   pod can be scheduled. containers[*].ports[*].hostPort must be unset or 0.
# related_resources:
#   - https://kubernetes.io/docs/concepts/security/pod-security-standards/
# custom:
#   id: PL-K8S-0006
#   kinds: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   severity: MEDIUM
#   remediation: >-
#     Remove hostPort from the container port (or set it to 0) and expose the
#     port through a Service of type ClusterIP, NodePort or LoadBalancer, or
#     an Ingress.
#   frameworks:
#     - PSS-baseline
#     - PSS-restricted
package plumbline.kubernetes.pss.host_ports

# Versions: baseline level, the same in every version of the standard (v1.0 to v1.37).

import rego.v1

import data.plumbline.lib.kubernetes as k8s
import data.plumbline.lib.pss

deny contains result if {
	pss.baseline
	some entry in k8s.containers
	some j, port in k8s.as_array(entry.container.ports)
	host_port := port.hostPort
	host_port != null
	host_port != 0
	result := k8s.result(
		sprintf("%s binds host port %s", [k8s.describe_container(entry), k8s.format_value(host_port)]),
		array.concat(entry.path, ["ports", j, "hostPort"]),
	)
}
