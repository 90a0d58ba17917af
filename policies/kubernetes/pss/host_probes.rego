# METADATA
# title: Host field in probes and lifecycle handlers
# description: >-
#   A probe or lifecycle handler with httpGet.host or tcpSocket.host makes the
#   kubelet connect to that address from the node, which a pod can use to reach
#   services on the node's network that it could not reach itself. The
#   standard requires the host field to be unset or empty in every
#   livenessProbe, readinessProbe, startupProbe and lifecycle
#   postStart/preStop handler.
# related_resources:
#   - https://kubernetes.io/docs/concepts/security/pod-security-standards/
# custom:
#   id: PL-K8S-0040
#   kinds: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   severity: MEDIUM
#   remediation: >-
#     Remove the host field from the probe or lifecycle handler; the kubelet
#     then connects to the pod's own IP address.
#   frameworks:
#     - PSS-baseline
#     - PSS-restricted
package plumbline.kubernetes.pss.host_probes

# Versions: baseline level since v1.34 (no such control before).

import rego.v1

import data.plumbline.lib.kubernetes as k8s
import data.plumbline.lib.pss

probes := ["livenessProbe", "readinessProbe", "startupProbe"]

handlers := ["postStart", "preStop"]

# Every handler of a container, with its path from the container.
handler_paths(c) := {[p] | some p in probes; is_object(c[p])} | {["lifecycle", h] | some h in handlers; is_object(c.lifecycle[h])}

deny contains result if {
	pss.baseline
	pss.at_least(34)
	some entry in k8s.containers
	some rel in handler_paths(entry.container)
	handler := object.get(entry.container, rel, {})
	some action in ["httpGet", "tcpSocket"]
	host := handler[action].host
	host != null
	host != ""
	where := concat(".", array.concat(rel, [action, "host"]))
	result := k8s.result(
		sprintf("%s sets %s to %s; probes and lifecycle handlers must not name a host", [k8s.describe_container(entry), where, k8s.format_value(host)]),
		array.concat(array.concat(entry.path, rel), [action, "host"]),
	)
}
