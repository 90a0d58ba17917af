# METADATA
# title: Liveness probe not set
# description: >-
#   A container without a liveness probe that hangs (deadlock, stuck event loop) keeps
#   running and keeps receiving traffic until someone restarts it by hand. Every long-running
#   container should declare a livenessProbe. Jobs and CronJobs run to completion and are not
#   checked; init containers cannot have probes.
# related_resources:
#   - https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/
# custom:
#   id: PL-K8S-0022
#   kinds: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController]
#   severity: LOW
#   remediation: >-
#     Add a livenessProbe (httpGet, tcpSocket, grpc or exec) that fails when the process can
#     no longer make progress; keep it cheaper and more tolerant than the readiness probe.
#   frameworks:
#     - k8s-workload-hygiene
package plumbline.kubernetes.workload.liveness_probe

import rego.v1

import data.plumbline.lib.kubernetes as k8s

deny contains result if {
	not input.kind in {"Job", "CronJob"}
	some entry in k8s.containers
	entry.kind == "containers"
	not k8s.has(entry.container, ["livenessProbe"])
	result := k8s.result(
		sprintf("%s has no liveness probe (livenessProbe)", [k8s.describe_container(entry)]),
		entry.path,
	)
}
