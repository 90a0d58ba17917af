# METADATA
# title: Workload not selected by any NetworkPolicy
# description: >-
#   Pods that no NetworkPolicy selects accept connections from every pod of the cluster and
#   may connect anywhere: one compromised pod elsewhere reaches them. This rule looks for a
#   NetworkPolicy of the workload's namespace among the objects of the scan (an object
#   without a namespace is in `default`) whose podSelector selects the workload's pod
#   labels; a policy applied from outside the repository is not seen. Not evaluated in a
#   scan of the changed files (--base), which does not see every file.
# related_resources:
#   - https://kubernetes.io/docs/concepts/services-networking/network-policies/
# custom:
#   id: PL-K8S-0038
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   related_kinds: [NetworkPolicy]
#   related_by: pod-selector
#   severity: MEDIUM
#   remediation: >-
#     Add a NetworkPolicy to the namespace that selects these pods (a default-deny policy
#     with `podSelector: {}` and the allowed flows on top of it covers every workload).
#   frameworks:
#     - k8s-network
package plumbline.kubernetes.network.network_policy_coverage

import rego.v1

import data.plumbline.lib.kubernetes as k8s

# `custom.related_by: pod-selector`: `input.related` holds exactly the NetworkPolicies of the
# namespace whose podSelector selects this workload's pods (as `k8s.selector_matches`).
deny contains {"msg": msg, "path": ["metadata", "name"]} if {
	is_array(input.related)
	_ = k8s.pod_labels_of(input) # a kind that makes pods
	count(input.related) == 0
	msg := sprintf(
		"%s %s is not selected by any NetworkPolicy of namespace %q in the scan: its pods accept traffic from any pod",
		[input.kind, name, namespace],
	)
}

namespace := ns if {
	ns := input.metadata.namespace
	is_string(ns)
} else := "default"

name := sprintf("%q", [input.metadata.name]) if is_string(input.metadata.name)

else := "(unnamed)"
