# METADATA
# title: Readiness probe not set
# description: >-
#   A container without a readiness probe receives Service traffic as soon as it starts,
#   before it can answer, and keeps receiving it while it is overloaded or draining. Every
#   long-running container should declare a readinessProbe. Jobs and CronJobs run to
#   completion and are not checked; init containers cannot have probes.
# related_resources:
#   - https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/
# custom:
#   id: PL-K8S-0023
#   kinds: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController]
#   severity: LOW
#   remediation: >-
#     Add a readinessProbe that succeeds only when the container can serve requests.
#   frameworks:
#     - k8s-workload-hygiene
package plumbline.kubernetes.workload.readiness_probe

import rego.v1

import data.plumbline.lib.kubernetes as k8s

deny contains result if {
	not input.kind in {"Job", "CronJob"}
	some entry in k8s.containers
	entry.kind == "containers"
	not k8s.has(entry.container, ["readinessProbe"])
	result := k8s.result(
		sprintf("%s has no readiness probe (readinessProbe)", [k8s.describe_container(entry)]),
		entry.path,
	)
}
