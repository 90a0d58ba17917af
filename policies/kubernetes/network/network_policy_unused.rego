# METADATA
# title: NetworkPolicy selects no workload of the scan
# description: >-
#   A NetworkPolicy whose podSelector matches the pods of no workload in its namespace
#   protects nothing: usually its labels drifted from the workload's (a renamed `app`
#   label), and the pods it was written for run unprotected. Pods made by an operator from
#   its own resources, or by workloads applied from outside the repository, are not seen:
#   waive the finding for those. A policy with an empty podSelector (every pod) is never
#   reported. Not evaluated in a scan of the changed files (--base).
# related_resources:
#   - https://kubernetes.io/docs/concepts/services-networking/network-policies/
# custom:
#   id: PL-K8S-0039
#   kinds: [NetworkPolicy]
#   related_kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   related_by: pod-selector
#   severity: LOW
#   remediation: >-
#     Make the podSelector match the labels of the pods it is meant to protect (the
#     workload's `spec.template.metadata.labels`), or remove the policy.
#   frameworks:
#     - k8s-network
package plumbline.kubernetes.network.network_policy_unused

import rego.v1

import data.plumbline.lib.kubernetes as k8s

# `custom.related_by: pod-selector`: `input.related` holds exactly the workloads of the
# namespace whose pods this policy's podSelector selects (as `k8s.selector_matches`).
deny contains {"msg": msg, "path": ["spec", "podSelector"]} if {
	is_array(input.related)
	is_object(input.spec)
	selector := k8s.object_or_empty(object.get(input.spec, "podSelector", {}))
	count(k8s.object_or_empty(object.get(selector, "matchLabels", {}))) + count(k8s.as_array(object.get(selector, "matchExpressions", []))) > 0
	count(input.related) == 0
	msg := sprintf(
		"NetworkPolicy %s selects the pods of no workload of namespace %q in the scan",
		[name, namespace],
	)
}

namespace := ns if {
	ns := input.metadata.namespace
	is_string(ns)
} else := "default"

name := sprintf("%q", [input.metadata.name]) if is_string(input.metadata.name)

else := "(unnamed)"
