package plumbline.kubernetes.network.network_policy_unused_test

import rego.v1

import data.plumbline.kubernetes.network.network_policy_unused as rule

deployment(labels) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "web", "namespace": "shop"},
	"spec": {"template": {"metadata": {"labels": labels}}},
}

policy(selector, related) := {
	"apiVersion": "networking.k8s.io/v1",
	"kind": "NetworkPolicy",
	"metadata": {"name": "np", "namespace": "shop"},
	"spec": {"podSelector": selector},
	"related": related,
}

# Which workloads the policy selects is decided by the scanner (`related_by: pod-selector`,
# tested there against `k8s.selector_matches`): `input.related` holds only those.
test_selects_nothing if {
	r := rule.deny with input as policy({"matchLabels": {"app": "rarelabel"}}, [])
	{f.path | some f in r} == {["spec", "podSelector"]}
	some f in r
	contains(f.msg, `NetworkPolicy "np" selects the pods of no workload of namespace "shop"`)
	count(rule.deny) == 1 with input as policy({"matchExpressions": [{"key": "app", "operator": "Exists"}]}, [])
}

test_selects_a_workload if {
	count(rule.deny) == 0 with input as policy({"matchLabels": {"app": "web"}}, [deployment({"app": "web"})])
}

test_outside_the_namespace_pass_nothing if {
	p := object.remove(policy({"matchLabels": {"app": "web"}}, []), ["related"])
	count(rule.deny) == 0 with input as p
}

test_empty_selector_never_reported if {
	every sel in [{}, {"matchLabels": {}}, null] {
		count(rule.deny) == 0 with input as policy(sel, [])
	}
}
