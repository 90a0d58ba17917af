package plumbline.kubernetes.pss.running_as_non_root_user_test

import rego.v1

import data.plumbline.kubernetes.pss.running_as_non_root_user as pss

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

test_pod_without_run_as_user_passes if {
	r := pss.deny with input as pod({"containers": [{"name": "app", "image": "nginx:1.27"}]})
	count(r) == 0
}

test_deployment_with_non_zero_users_passes if {
	r := pss.deny with input as deployment({
		"securityContext": {"runAsUser": 10001},
		"containers": [{"name": "app", "image": "app:1", "securityContext": {"runAsUser": 1}}],
	})
	count(r) == 0
}

test_cronjob_with_null_user_passes if {
	r := pss.deny with input as cronjob({
		"securityContext": {"runAsUser": null},
		"containers": [{"name": "job", "image": "job:1", "securityContext": {"runAsUser": 65534}}],
	})
	count(r) == 0
}

# --- failing cases ------------------------------------------------------------

test_pod_level_root_denied if {
	r := pss.deny with input as pod({"securityContext": {"runAsUser": 0}, "containers": [{"name": "a", "image": "a:1"}]})
	paths(r) == {["spec", "securityContext", "runAsUser"]}
}

test_pod_level_root_denied_even_if_containers_override if {
	r := pss.deny with input as deployment({
		"securityContext": {"runAsUser": 0},
		"containers": [{"name": "a", "image": "a:1", "securityContext": {"runAsUser": 1000}}],
	})
	paths(r) == {["spec", "template", "spec", "securityContext", "runAsUser"]}
}

test_container_root_denied if {
	r := pss.deny with input as deployment({"containers": [{"name": "web", "image": "w:1", "securityContext": {"runAsUser": 0}}]})
	paths(r) == {["spec", "template", "spec", "containers", 0, "securityContext", "runAsUser"]}
	some f in r
	contains(f.msg, `Container "web"`)
}

test_init_container_root_denied if {
	r := pss.deny with input as cronjob({
		"initContainers": [{"name": "chown", "image": "busybox:1", "securityContext": {"runAsUser": 0}}],
		"containers": [{"name": "job", "image": "job:1"}],
	})
	paths(r) == {["spec", "jobTemplate", "spec", "template", "spec", "initContainers", 0, "securityContext", "runAsUser"]}
}

test_ephemeral_container_root_denied if {
	r := pss.deny with input as pod({
		"containers": [{"name": "app", "image": "app:1"}],
		"ephemeralContainers": [{"name": "debug", "image": "d:1", "securityContext": {"runAsUser": 0}}],
	})
	paths(r) == {["spec", "ephemeralContainers", 0, "securityContext", "runAsUser"]}
}

# --- versions and levels -------------------------------------------------------

version_pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "v"}, "spec": spec}

# Restricted from v1.23; from v1.35 a pod with its own user namespace is exempt.
test_versions if {
	obj := version_pod({"securityContext": {"runAsUser": 0}, "containers": [{"name": "a"}]})
	count(pss.deny) == 0 with input as obj with data.plumbline_settings.pss.version as 22
	count(pss.deny) == 1 with input as obj with data.plumbline_settings.pss.version as 23
	userns := version_pod({"hostUsers": false, "securityContext": {"runAsUser": 0}, "containers": [{"name": "a"}]})
	count(pss.deny) == 1 with input as userns with data.plumbline_settings.pss.version as 34
	count(pss.deny) == 0 with input as userns with data.plumbline_settings.pss.version as 35
	count(pss.deny) == 0 with input as obj with data.plumbline_settings.pss.level as "baseline"
}
