# METADATA
# title: CPU limits not set
# description: >-
#   A container without a CPU limit can use all the CPU of its node and slow down every other
#   workload there. Every container and init container should set resources.limits.cpu (or
#   the namespace should have a LimitRange, which a manifest scan cannot see).
# related_resources:
#   - https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/
# custom:
#   id: PL-K8S-0020
#   kinds: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   severity: LOW
#   remediation: >-
#     Set resources.limits.cpu, e.g. 500m, or give the namespace a LimitRange with a default
#     CPU limit and waive this rule.
#   frameworks:
#     - k8s-workload-hygiene
package plumbline.kubernetes.workload.cpu_limits

import rego.v1

import data.plumbline.lib.kubernetes as k8s

deny contains result if {
	some entry in k8s.containers
	entry.kind != "ephemeralContainers"
	not declared(entry.container)
	result := k8s.result(
		sprintf("%s sets no CPU limit (resources.limits.cpu)", [k8s.describe_container(entry)]),
		array.concat(entry.path, ["resources", "limits", "cpu"]),
	)
}

declared(c) if k8s.has(c, ["resources", "limits", "cpu"])
