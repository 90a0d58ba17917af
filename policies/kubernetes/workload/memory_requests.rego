# METADATA
# title: Memory requests not set
# description: >-
#   Without a memory request the scheduler places the container as if it needed no memory, so
#   nodes get overcommitted and the container is among the first evicted under memory
#   pressure. Every container and init container should set resources.requests.memory (a
#   memory limit alone also sets the request, which Kubernetes then defaults to the limit).
# related_resources:
#   - https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/
# custom:
#   id: PL-K8S-0019
#   kinds: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   severity: LOW
#   remediation: >-
#     Set resources.requests.memory to the memory the container needs at steady state, e.g.
#     128Mi.
#   frameworks:
#     - k8s-workload-hygiene
package plumbline.kubernetes.workload.memory_requests

import rego.v1

import data.plumbline.lib.kubernetes as k8s

deny contains result if {
	some entry in k8s.containers
	entry.kind != "ephemeralContainers"
	not declared(entry.container)
	result := k8s.result(
		sprintf("%s sets no memory request (resources.requests.memory)", [k8s.describe_container(entry)]),
		array.concat(entry.path, ["resources", "requests", "memory"]),
	)
}

# Kubernetes defaults a missing request to the limit, so a limit counts as a request.
declared(c) if k8s.has(c, ["resources", "requests", "memory"])

declared(c) if k8s.has(c, ["resources", "limits", "memory"])
