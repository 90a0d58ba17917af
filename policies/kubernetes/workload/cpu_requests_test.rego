package plumbline.kubernetes.workload.cpu_requests_test

import rego.v1

import data.plumbline.kubernetes.workload.cpu_requests as rule

pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "shop"}, "spec": spec}

deployment(spec) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "shop"},
	"spec": {"template": {"metadata": {"labels": {"app": "shop"}}, "spec": spec}},
}

cronjob(spec) := {
	"apiVersion": "batch/v1",
	"kind": "CronJob",
	"metadata": {"name": "shop"},
	"spec": {"schedule": "@daily", "jobTemplate": {"spec": {"template": {"spec": spec}}}},
}

paths(findings) := {f.path | some f in findings}

test_malformed_inputs_produce_nothing if {
	every obj in [
		"text", null, {"kind": "Pod"}, {"kind": "Pod", "spec": "x"},
		{"kind": "Pod", "spec": {"containers": "x", "initContainers": [null, 1]}},
		{"kind": "Deployment", "spec": {"template": null}},
		{"kind": "CronJob", "spec": {"jobTemplate": []}},
	] {
		count(rule.deny) == 0 with input as obj
	}
}

test_set_passes if {
	r := rule.deny with input as deployment({
		"initContainers": [{"name": "init", "image": "i:1", "resources": {"requests": {"cpu": "100m"}}}],
		"containers": [{"name": "app", "image": "a:1", "resources": {"requests": {"cpu": "100m"}}}],
	})
	count(r) == 0
}

test_missing_is_denied_with_path if {
	r := rule.deny with input as deployment({"containers": [
		{"name": "ok", "image": "a:1", "resources": {"requests": {"cpu": "100m"}}},
		{"name": "web", "image": "w:1", "resources": {"requests": {"memory": "64Mi"}}},
	]})
	paths(r) == {["spec", "template", "spec", "containers", 1, "resources", "requests", "cpu"]}
	some f in r
	contains(f.msg, `Container "web"`)
}

test_init_container_checked_ephemeral_not if {
	r := rule.deny with input as cronjob({
		"initContainers": [{"name": "setup", "image": "s:1"}],
		"containers": [{"name": "job", "image": "j:1", "resources": {"requests": {"cpu": "100m"}}}],
		"ephemeralContainers": [{"name": "debug", "image": "d:1"}],
	})
	paths(r) == {["spec", "jobTemplate", "spec", "template", "spec", "initContainers", 0, "resources", "requests", "cpu"]}
}

test_null_value_is_missing if {
	r := rule.deny with input as pod({"containers": [{"name": "a", "image": "a:1", "resources": {"requests": {"cpu": null}}}]})
	count(r) == 1
}

test_other_kinds_ignored if {
	r := rule.deny with input as {"kind": "Service", "spec": {"containers": [{"name": "a"}]}}
	count(r) == 0
}

test_limit_counts_as_request if {
	# Kubernetes copies a limit into a missing request.
	r := rule.deny with input as pod({"containers": [{"name": "a", "image": "a:1", "resources": {"limits": {"cpu": "1"}}}]})
	count(r) == 0
}
