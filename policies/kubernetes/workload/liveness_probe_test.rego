package plumbline.kubernetes.workload.liveness_probe_test

import rego.v1

import data.plumbline.kubernetes.workload.liveness_probe as rule

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

probe := {"httpGet": {"path": "/healthz", "port": 8080}}

test_probe_set_passes if {
	r := rule.deny with input as deployment({"containers": [{"name": "app", "image": "a:1", "livenessProbe": probe}]})
	count(r) == 0
}

test_missing_probe_denied_per_container if {
	r := rule.deny with input as deployment({"containers": [
		{"name": "app", "image": "a:1", "livenessProbe": probe},
		{"name": "sidecar", "image": "s:1"},
	]})
	paths(r) == {["spec", "template", "spec", "containers", 1]}
	some f in r
	contains(f.msg, `Container "sidecar"`)
}

test_init_and_ephemeral_containers_not_checked if {
	r := rule.deny with input as pod({
		"initContainers": [{"name": "setup", "image": "s:1"}],
		"containers": [{"name": "app", "image": "a:1", "livenessProbe": probe}],
		"ephemeralContainers": [{"name": "debug", "image": "d:1"}],
	})
	count(r) == 0
}

test_jobs_are_not_checked if {
	r := rule.deny with input as cronjob({"containers": [{"name": "job", "image": "j:1"}]})
	count(r) == 0
	r2 := rule.deny with input as {"kind": "Job", "spec": {"template": {"spec": {"containers": [{"name": "j"}]}}}}
	count(r2) == 0
}
