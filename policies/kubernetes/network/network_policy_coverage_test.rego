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

# Which policies select the workload is decided by the scanner (`related_by: pod-selector`,
# tested there against `k8s.selector_matches`): `input.related` holds only those.
test_selected_by_a_policy if {
	count(rule.deny) == 0 with input as with_related(deployment({"app": "web", "tier": "front"}), [policy({"matchLabels": {"app": "web"}})])
}

test_pod_and_cronjob if {
	pod := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "labels": {"app": "web"}}, "spec": {}}
	count(rule.deny) == 0 with input as with_related(pod, [policy({"matchLabels": {"app": "web"}})])
	r := rule.deny with input as with_related(pod, [])
	some f in r
	contains(f.msg, `Pod "p" is not selected by any NetworkPolicy of namespace "default"`)
	cron := {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"}, "spec": {"jobTemplate": {"spec": {"template": {"metadata": {"labels": {"app": "job"}}}}}}}
	count(rule.deny) == 1 with input as with_related(cron, [])
}

test_kind_without_pods_not_reported if {
	service := {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {}}
	count(rule.deny) == 0 with input as with_related(service, [])
}

test_without_related_nothing if {
	# Outside the namespace pass (no `related`), the rule has nothing to compare with.
	count(rule.deny) == 0 with input as deployment({"app": "web"})
}
