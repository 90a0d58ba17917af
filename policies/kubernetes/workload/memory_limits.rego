# METADATA
# title: Memory limits not set
# description: >-
#   A container without a memory limit can use all the memory of its node, which makes the
#   kernel kill other workloads' processes. Every container and init container should set
#   resources.limits.memory (or the namespace should have a LimitRange, which a manifest scan
#   cannot see).
# related_resources:
#   - https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/
# custom:
#   id: PL-K8S-0021
#   kinds: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   severity: MEDIUM
#   remediation: >-
#     Set resources.limits.memory, e.g. 256Mi, or give the namespace a LimitRange with a
#     default memory limit and waive this rule.
#   frameworks:
#     - k8s-workload-hygiene
package plumbline.kubernetes.workload.memory_limits

import rego.v1

import data.plumbline.lib.kubernetes as k8s

deny contains result if {
	some entry in k8s.containers
	entry.kind != "ephemeralContainers"
	not declared(entry.container)
	result := k8s.result(
		sprintf("%s sets no memory limit (resources.limits.memory)", [k8s.describe_container(entry)]),
		array.concat(entry.path, ["resources", "limits", "memory"]),
	)
}

declared(c) if k8s.has(c, ["resources", "limits", "memory"])
