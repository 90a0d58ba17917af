package plumbline.kubernetes.network.network_policy_coverage_test

import rego.v1

import data.plumbline.kubernetes.network.network_policy_coverage as rule

deployment(labels) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "web", "namespace": "shop"},
	"spec": {"template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "c", "image": "nginx:1"}]}}},
}

policy(selector) := {
	"apiVersion": "networking.k8s.io/v1",
	"kind": "NetworkPolicy",
	"metadata": {"name": "np", "namespace": "shop"},
	"spec": {"podSelector": selector, "policyTypes": ["Ingress"]},
}

with_related(obj, related) := object.union(obj, {"related": related})

test_no_policy_in_namespace if {
	r := rule.deny with input as with_related(deployment({"app": "web"}), [])
	{f.path | some f in r} == {["metadata", "name"]}
	some f in r
	contains(f.msg, `Deployment "web" is not selected by any NetworkPolicy of namespace "shop"`)
}

test_policy_selecting_other_pods if {
	count(rule.deny) == 1 with input as with_related(deployment({"app": "web"}), [policy({"matchLabels": {"app": "db"}})])
}

test_selected_by_labels if {
	count(rule.deny) == 0 with input as with_related(deployment({"app": "web", "tier": "front"}), [policy({"matchLabels": {"app": "web"}})])
}

test_selected_by_empty_selector if {
	every sel in [{}, null, {"matchLabels": {}}] {
		count(rule.deny) == 0 with input as with_related(deployment({"app": "web"}), [policy(sel)])
	}
}

test_match_expressions if {
	web := deployment({"app": "web", "tier": "front"})
	every sel in [
		{"matchExpressions": [{"key": "app", "operator": "In", "values": ["web", "api"]}]},
		{"matchExpressions": [{"key": "tier", "operator": "Exists"}]},
		{"matchExpressions": [{"key": "debug", "operator": "DoesNotExist"}]},
		{"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["db"]}]},
		{"matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["prod"]}]},
	] {
		count(rule.deny) == 0 with input as with_related(web, [policy(sel)])
	}
	every sel in [
		{"matchExpressions": [{"key": "app", "operator": "In", "values": ["db"]}]},
		{"matchExpressions": [{"key": "env", "operator": "Exists"}]},
		{"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]},
		{"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["web"]}]},
		{"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "tier", "operator": "In", "values": ["back"]}]},
	] {
		count(rule.deny) == 1 with input as with_related(web, [policy(sel)])
	}
}

test_pod_and_cronjob_labels if {
	pod := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "labels": {"app": "web"}}, "spec": {}}
	count(rule.deny) == 0 with input as with_related(pod, [policy({"matchLabels": {"app": "web"}})])
	cron := {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"}, "spec": {"jobTemplate": {"spec": {"template": {"metadata": {"labels": {"app": "job"}}}}}}}
	count(rule.deny) == 0 with input as with_related(cron, [policy({"matchLabels": {"app": "job"}})])
	count(rule.deny) == 1 with input as with_related(cron, [policy({"matchLabels": {"app": "web"}})])
}

test_without_related_nothing if {
	# Outside the namespace pass (no `related`), the rule has nothing to compare with.
	count(rule.deny) == 0 with input as deployment({"app": "web"})
}
