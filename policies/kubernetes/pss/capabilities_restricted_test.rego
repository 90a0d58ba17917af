package plumbline.kubernetes.pss.capabilities_restricted_test

import rego.v1

import data.plumbline.kubernetes.pss.capabilities_baseline as baseline
import data.plumbline.kubernetes.pss.capabilities_restricted as pss

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

drop_all := {"capabilities": {"drop": ["ALL"]}}

# --- passing cases ------------------------------------------------------------

test_pod_dropping_all_passes if {
	r := pss.deny with input as pod({"containers": [{"name": "app", "image": "nginx:1.27", "securityContext": drop_all}]})
	count(r) == 0
}

test_deployment_adding_net_bind_service_passes if {
	r := pss.deny with input as deployment({
		"initContainers": [{"name": "init", "image": "i:1", "securityContext": drop_all}],
		"containers": [{"name": "web", "image": "w:1", "securityContext": {"capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}}}],
	})
	count(r) == 0
}

test_cronjob_dropping_all_passes if {
	r := pss.deny with input as cronjob({"containers": [{"name": "job", "image": "job:1", "securityContext": {"capabilities": {"drop": ["NET_RAW", "ALL"]}}}]})
	count(r) == 0
}

test_windows_pod_is_exempt if {
	r := pss.deny with input as pod({"os": {"name": "windows"}, "containers": [{"name": "app", "image": "app:1"}]})
	count(r) == 0
}

# --- failing cases ------------------------------------------------------------

test_container_not_dropping_all_denied if {
	r := pss.deny with input as deployment({"containers": [{"name": "web", "image": "w:1", "securityContext": {"capabilities": {"drop": ["NET_RAW"]}}}]})
	paths(r) == {["spec", "template", "spec", "containers", 0, "securityContext", "capabilities", "drop"]}
	some f in r
	contains(f.msg, `Container "web"`)
}

test_container_without_security_context_denied if {
	r := pss.deny with input as pod({"containers": [{"name": "app", "image": "app:1"}]})
	paths(r) == {["spec", "containers", 0, "securityContext", "capabilities", "drop"]}
}

test_init_container_denied if {
	r := pss.deny with input as cronjob({
		"initContainers": [{"name": "init", "image": "i:1"}],
		"containers": [{"name": "job", "image": "job:1", "securityContext": drop_all}],
	})
	paths(r) == {["spec", "jobTemplate", "spec", "template", "spec", "initContainers", 0, "securityContext", "capabilities", "drop"]}
}

test_ephemeral_container_denied if {
	r := pss.deny with input as pod({
		"containers": [{"name": "app", "image": "app:1", "securityContext": drop_all}],
		"ephemeralContainers": [{"name": "debug", "image": "d:1", "securityContext": {"capabilities": {"drop": []}}}],
	})
	paths(r) == {["spec", "ephemeralContainers", 0, "securityContext", "capabilities", "drop"]}
}

test_added_capabilities_denied_one_each if {
	obj := pod({"containers": [{
		"name": "app",
		"image": "app:1",
		"securityContext": {"capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE", "CHOWN", "SYS_ADMIN"]}},
	}]})
	paths(pss.violations) == {
		["spec", "containers", 0, "securityContext", "capabilities", "add", 1],
		["spec", "containers", 0, "securityContext", "capabilities", "add", 2],
	} with input as obj

	# SYS_ADMIN also fails the baseline, whose rule reports that field alone.
	paths(pss.deny) == {["spec", "containers", 0, "securityContext", "capabilities", "add", 1]} with input as obj
	some f in baseline.deny with input as obj
	f.path == ["spec", "containers", 0, "securityContext", "capabilities", "add", 2]
	endswith(f.msg, "; this also fails the restricted level")
}

test_lowercase_all_is_not_all if {
	# The standard (and Pod Security admission) require the exact value "ALL".
	r := pss.deny with input as pod({"containers": [{"name": "app", "image": "app:1", "securityContext": {"capabilities": {"drop": ["all"]}}}]})
	count(r) == 1
}

# --- versions and levels -------------------------------------------------------

version_pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "v"}, "spec": spec}

# Restricted from v1.22; Windows pods are left alone from v1.25.
test_versions_and_levels if {
	obj := version_pod({"containers": [{"name": "a"}]})
	count(pss.deny) == 0 with input as obj with data.plumbline_settings.pss.version as 21
	count(pss.deny) == 1 with input as obj with data.plumbline_settings.pss.version as 22
	count(pss.deny) == 0 with input as obj with data.plumbline_settings.pss.level as "baseline"
	win := version_pod({"os": {"name": "windows"}, "containers": [{"name": "a"}]})
	count(pss.deny) == 1 with input as win with data.plumbline_settings.pss.version as 24
	count(pss.deny) == 0 with input as win with data.plumbline_settings.pss.version as 25
}
