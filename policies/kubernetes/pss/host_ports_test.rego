package plumbline.kubernetes.pss.host_ports_test

import rego.v1

import data.plumbline.kubernetes.pss.host_ports as pss

# --- fixtures ----------------------------------------------------------------

pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "shop"}, "spec": spec}

deployment(spec) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "shop"},
	"spec": {
		"selector": {"matchLabels": {"app": "shop"}},
		"template": {"metadata": {"labels": {"app": "shop"}}, "spec": spec},
	},
}

cronjob(spec) := {
	"apiVersion": "batch/v1",
	"kind": "CronJob",
	"metadata": {"name": "shop"},
	"spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": {"spec": spec}}}},
}

paths(findings) := {f.path | some f in findings}

# --- robustness ---------------------------------------------------------------

test_malformed_inputs_produce_nothing if {
	every obj in [
		"not an object",
		null,
		[{"kind": "Pod"}],
		{"kind": "Pod"},
		{"kind": "Pod", "spec": "text"},
		{"kind": "Pod", "spec": {"containers": "text", "initContainers": [null, 1, "x"], "volumes": {"a": 1}}},
		{"kind": "Pod", "spec": {"securityContext": {"sysctls": "x", "seLinuxOptions": 1, "windowsOptions": [], "seccompProfile": "x", "appArmorProfile": null, "runAsNonRoot": null}}},
		{"kind": "Deployment", "spec": {"template": {"spec": null, "metadata": {"annotations": "x"}}}},
		{"kind": "CronJob", "spec": {"jobTemplate": []}},
	] {
		count(pss.deny) == 0 with input as obj
	}
}

test_malformed_container_fields_do_not_error if {
	every obj in [
		pod({"containers": [{"name": "a", "securityContext": "text", "ports": "80"}]}),
		pod({"containers": [{"name": 1, "securityContext": {"capabilities": "x", "seLinuxOptions": [], "seccompProfile": 1, "windowsOptions": "x"}, "ports": [1, null, {"hostPort": null}]}]}),
		pod({"containers": [{"securityContext": {"capabilities": {"add": "SYS_ADMIN", "drop": {"a": 1}}, "appArmorProfile": "x"}}]}),
		pod({"volumes": [1, "x", null, {"name": null}], "securityContext": {"sysctls": [1, {"name": null}, {"value": "1"}]}}),
	] {
		r := pss.deny with input as obj
		is_set(r)
	}
}

test_other_kinds_are_ignored if {
	every obj in [
		{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"spec": "hostNetwork: true"}},
		{"apiVersion": "v1", "kind": "Service", "spec": {"hostNetwork": true, "containers": [{"name": "x", "securityContext": {"privileged": true}}]}},
		{"apiVersion": "policy/v1beta1", "kind": "PodSecurityPolicy", "spec": {"privileged": true, "hostPID": true, "volumes": ["hostPath"]}},
		{"apiVersion": "serving.knative.dev/v1", "kind": "Configuration", "spec": {"template": {"spec": {"hostIPC": true, "containers": [{"name": "x"}]}}}},
		{"apiVersion": "v1", "kind": "List", "items": [{"kind": "Pod", "spec": {"hostPID": true, "containers": [{"name": "x", "securityContext": {"privileged": true}}]}}]},
	] {
		count(pss.deny) == 0 with input as obj
	}
}

# --- passing cases ------------------------------------------------------------

test_pod_without_host_ports_passes if {
	r := pss.deny with input as pod({"containers": [{"name": "app", "image": "nginx:1.27", "ports": [{"containerPort": 80}]}]})
	count(r) == 0
}

test_deployment_with_host_port_zero_passes if {
	r := pss.deny with input as deployment({"containers": [{"name": "app", "image": "app:1", "ports": [
		{"containerPort": 8080, "hostPort": 0},
		{"containerPort": 9090, "hostPort": null},
	]}]})
	count(r) == 0
}

test_cronjob_without_ports_passes if {
	r := pss.deny with input as cronjob({"containers": [{"name": "job", "image": "job:1"}]})
	count(r) == 0
}

# --- failing cases ------------------------------------------------------------

test_container_host_port_denied if {
	r := pss.deny with input as deployment({"containers": [{"name": "web", "image": "web:1", "ports": [
		{"name": "http", "containerPort": 80},
		{"name": "https", "containerPort": 443, "hostPort": 443},
	]}]})
	paths(r) == {["spec", "template", "spec", "containers", 0, "ports", 1, "hostPort"]}
	some f in r
	contains(f.msg, `Container "web"`)
	contains(f.msg, "443")
}

test_init_container_host_port_denied if {
	r := pss.deny with input as cronjob({
		"initContainers": [{"name": "probe", "image": "p:1", "ports": [{"containerPort": 53, "hostPort": 53, "protocol": "UDP"}]}],
		"containers": [{"name": "job", "image": "job:1"}],
	})
	paths(r) == {["spec", "jobTemplate", "spec", "template", "spec", "initContainers", 0, "ports", 0, "hostPort"]}
}

test_ephemeral_container_host_port_denied if {
	r := pss.deny with input as pod({
		"containers": [{"name": "app", "image": "app:1"}],
		"ephemeralContainers": [{"name": "debug", "image": "d:1", "ports": [{"containerPort": 2345, "hostPort": 2345}]}],
	})
	paths(r) == {["spec", "ephemeralContainers", 0, "ports", 0, "hostPort"]}
}

test_one_result_per_host_port if {
	r := pss.deny with input as pod({"containers": [
		{"name": "a", "image": "a:1", "ports": [{"containerPort": 80, "hostPort": 80}, {"containerPort": 443, "hostPort": 443}]},
		{"name": "b", "image": "b:1", "ports": [{"containerPort": 9100, "hostPort": 9100}]},
	]})
	count(r) == 3
}

# --- versions and levels -------------------------------------------------------

version_pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "v"}, "spec": spec}

test_every_version_and_level if {
	obj := version_pod({"containers": [{"name": "a", "ports": [{"containerPort": 80, "hostPort": 80}]}]})
	every v in [0, 25, 37] {
		count(pss.deny) == 1 with input as obj with data.plumbline_settings.pss.version as v
	}
	count(pss.deny) == 0 with input as obj with data.plumbline_settings.pss.level as "privileged"
}
