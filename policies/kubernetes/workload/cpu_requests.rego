# METADATA
# title: CPU requests not set
# description: >-
#   Without a CPU request the scheduler places the container as if it needed no CPU, so nodes
#   get overcommitted and the container is the first to be starved under contention. Every
#   container and init container should set resources.requests.cpu (a CPU limit alone also
#   sets the request, which Kubernetes then defaults to the limit).
# related_resources:
#   - https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/
# custom:
#   id: PL-K8S-0018
#   kinds: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   severity: LOW
#   remediation: >-
#     Set resources.requests.cpu to the CPU the container needs at steady state, e.g. 100m.
#   frameworks:
#     - k8s-workload-hygiene
package plumbline.kubernetes.workload.cpu_requests

import rego.v1

import data.plumbline.lib.kubernetes as k8s

deny contains result if {
	some entry in k8s.containers
	entry.kind != "ephemeralContainers"
	not declared(entry.container)
	result := k8s.result(
		sprintf("%s sets no CPU request (resources.requests.cpu)", [k8s.describe_container(entry)]),
		array.concat(entry.path, ["resources", "requests", "cpu"]),
	)
}

# Kubernetes defaults a missing request to the limit, so a limit counts as a request.
declared(c) if k8s.has(c, ["resources", "requests", "cpu"])

declared(c) if k8s.has(c, ["resources", "limits", "cpu"])
