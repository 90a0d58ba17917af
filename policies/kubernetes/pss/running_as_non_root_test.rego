package plumbline.kubernetes.pss.running_as_non_root_test

import rego.v1

import data.plumbline.kubernetes.pss.running_as_non_root as pss

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

test_pod_level_true_passes if {
	r := pss.deny with input as pod({
		"securityContext": {"runAsNonRoot": true},
		"initContainers": [{"name": "init", "image": "i:1"}],
		"containers": [{"name": "app", "image": "nginx:1.27"}],
	})
	count(r) == 0
}

test_deployment_with_every_container_true_passes if {
	# The pod-level field may be unset when every container sets it.
	r := pss.deny with input as deployment({
		"initContainers": [{"name": "init", "image": "i:1", "securityContext": {"runAsNonRoot": true}}],
		"containers": [{"name": "app", "image": "app:1", "securityContext": {"runAsNonRoot": true}}],
	})
	count(r) == 0
}

test_cronjob_with_pod_and_container_true_passes if {
	r := pss.deny with input as cronjob({
		"securityContext": {"runAsNonRoot": true, "runAsUser": 10001},
		"containers": [{"name": "job", "image": "job:1", "securityContext": {"runAsNonRoot": true}}],
	})
	count(r) == 0
}

# --- failing cases ------------------------------------------------------------

test_nothing_set_denies_each_container if {
	r := pss.deny with input as deployment({
		"initContainers": [{"name": "init", "image": "i:1"}],
		"containers": [{"name": "app", "image": "app:1"}, {"name": "side", "image": "s:1", "securityContext": {}}],
	})
	paths(r) == {
		["spec", "template", "spec", "initContainers", 0, "securityContext", "runAsNonRoot"],
		["spec", "template", "spec", "containers", 0, "securityContext", "runAsNonRoot"],
		["spec", "template", "spec", "containers", 1, "securityContext", "runAsNonRoot"],
	}
}

test_container_false_denied_even_with_pod_true if {
	r := pss.deny with input as pod({
		"securityContext": {"runAsNonRoot": true},
		"containers": [{"name": "legacy", "image": "l:1", "securityContext": {"runAsNonRoot": false, "runAsUser": 1000}}],
	})
	paths(r) == {["spec", "containers", 0, "securityContext", "runAsNonRoot"]}
	some f in r
	contains(f.msg, `Container "legacy"`)
	contains(f.msg, "false")
}

test_init_container_without_field_denied if {
	r := pss.deny with input as cronjob({
		"initContainers": [{"name": "init", "image": "i:1"}],
		"containers": [{"name": "job", "image": "job:1", "securityContext": {"runAsNonRoot": true}}],
	})
	paths(r) == {["spec", "jobTemplate", "spec", "template", "spec", "initContainers", 0, "securityContext", "runAsNonRoot"]}
}

test_ephemeral_container_false_denied if {
	r := pss.deny with input as pod({
		"securityContext": {"runAsNonRoot": true},
		"containers": [{"name": "app", "image": "app:1"}],
		"ephemeralContainers": [{"name": "debug", "image": "d:1", "securityContext": {"runAsNonRoot": false}}],
	})
	paths(r) == {["spec", "ephemeralContainers", 0, "securityContext", "runAsNonRoot"]}
}

test_pod_level_false_denied if {
	# The pod-level field may be unset, but when set it must be true.
	r := pss.deny with input as pod({
		"securityContext": {"runAsNonRoot": false},
		"containers": [{"name": "app", "image": "app:1", "securityContext": {"runAsNonRoot": true}}],
	})
	paths(r) == {["spec", "securityContext", "runAsNonRoot"]}
}

test_pod_level_false_and_unset_container if {
	r := pss.deny with input as pod({
		"securityContext": {"runAsNonRoot": false},
		"containers": [{"name": "app", "image": "app:1"}],
	})
	paths(r) == {["spec", "securityContext", "runAsNonRoot"], ["spec", "containers", 0, "securityContext", "runAsNonRoot"]}
}

test_run_as_user_alone_is_not_enough if {
	r := pss.deny with input as pod({"securityContext": {"runAsUser": 1000}, "containers": [{"name": "app", "image": "app:1"}]})
	count(r) == 1
}

# --- versions and levels -------------------------------------------------------

version_pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "v"}, "spec": spec}

# From v1.35 a pod with its own user namespace is exempt.
test_user_namespace_exemption_from_1_35 if {
	obj := version_pod({"hostUsers": false, "containers": [{"name": "a"}]})
	count(pss.deny) == 0 with input as obj
	count(pss.deny) == 1 with input as obj with data.plumbline_settings.pss.version as 34
	count(pss.deny) == 1 with input as version_pod({"hostUsers": true, "containers": [{"name": "a"}]})
	count(pss.deny) == 0 with input as version_pod({"containers": [{"name": "a"}]}) with data.plumbline_settings.pss.level as "baseline"
}
