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

test_selects_nothing if {
	r := rule.deny with input as policy({"matchLabels": {"app": "rarelabel"}}, [deployment({"app": "web"})])
	{f.path | some f in r} == {["spec", "podSelector"]}
	some f in r
	contains(f.msg, `NetworkPolicy "np" selects the pods of no workload of namespace "shop"`)
	count(rule.deny) == 1 with input as policy({"matchLabels": {"app": "web"}}, [])
}

test_selects_a_workload if {
	count(rule.deny) == 0 with input as policy({"matchLabels": {"app": "web"}}, [deployment({"app": "db"}), deployment({"app": "web"})])
	count(rule.deny) == 0 with input as policy({"matchExpressions": [{"key": "app", "operator": "Exists"}]}, [deployment({"app": "db"})])
}

test_empty_selector_never_reported if {
	every sel in [{}, {"matchLabels": {}}, null] {
		count(rule.deny) == 0 with input as policy(sel, [])
	}
}
