package plumbline.kubernetes.pss.seccomp_restricted_test

import rego.v1

import data.plumbline.kubernetes.pss.seccomp_baseline as baseline
import data.plumbline.kubernetes.pss.seccomp_restricted as pss

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

test_pod_level_runtime_default_passes if {
	r := pss.deny with input as pod({
		"securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
		"initContainers": [{"name": "init", "image": "i:1"}],
		"containers": [{"name": "app", "image": "nginx:1.27"}],
	})
	count(r) == 0
}

test_deployment_with_every_container_set_passes if {
	# The pod-level field may be unset when every container sets a valid type.
	r := pss.deny with input as deployment({"containers": [
		{"name": "app", "image": "app:1", "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}},
		{"name": "side", "image": "s:1", "securityContext": {"seccompProfile": {"type": "Localhost", "localhostProfile": "side.json"}}},
	]})
	count(r) == 0
}

test_cronjob_with_pod_localhost_passes if {
	r := pss.deny with input as cronjob({
		"securityContext": {"seccompProfile": {"type": "Localhost", "localhostProfile": "job.json"}},
		"containers": [{"name": "job", "image": "job:1"}],
	})
	count(r) == 0
}

test_windows_pod_is_exempt if {
	r := pss.deny with input as pod({"os": {"name": "windows"}, "containers": [{"name": "app", "image": "app:1"}]})
	count(r) == 0
}

# --- failing cases ------------------------------------------------------------

test_nothing_set_denies_each_container if {
	r := pss.deny with input as deployment({
		"initContainers": [{"name": "init", "image": "i:1"}],
		"containers": [{"name": "app", "image": "app:1"}],
	})
	paths(r) == {
		["spec", "template", "spec", "initContainers", 0, "securityContext", "seccompProfile", "type"],
		["spec", "template", "spec", "containers", 0, "securityContext", "seccompProfile", "type"],
	}
}

test_only_unset_containers_denied if {
	r := pss.deny with input as pod({"containers": [
		{"name": "set", "image": "a:1", "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}},
		{"name": "unset", "image": "b:1"},
	]})
	paths(r) == {["spec", "containers", 1, "securityContext", "seccompProfile", "type"]}
	some f in r
	contains(f.msg, `Container "unset"`)
}

test_container_unconfined_denied_even_with_pod_default if {
	r := pss.violations with input as pod({
		"securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
		"containers": [{"name": "web", "image": "w:1", "securityContext": {"seccompProfile": {"type": "Unconfined"}}}],
	})
	paths(r) == {["spec", "containers", 0, "securityContext", "seccompProfile", "type"]}
}

test_pod_unconfined_denied_even_if_containers_set if {
	r := pss.violations with input as cronjob({
		"securityContext": {"seccompProfile": {"type": "Unconfined"}},
		"containers": [{"name": "job", "image": "job:1", "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}}],
	})
	paths(r) == {["spec", "jobTemplate", "spec", "template", "spec", "securityContext", "seccompProfile", "type"]}
}

test_pod_unconfined_and_unset_container if {
	r := pss.violations with input as pod({
		"securityContext": {"seccompProfile": {"type": "Unconfined"}},
		"containers": [{"name": "a", "image": "a:1"}],
	})
	count(r) == 2
}

test_init_container_unset_denied if {
	r := pss.deny with input as cronjob({
		"initContainers": [{"name": "init", "image": "i:1"}],
		"containers": [{"name": "job", "image": "job:1", "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}}],
	})
	paths(r) == {["spec", "jobTemplate", "spec", "template", "spec", "initContainers", 0, "securityContext", "seccompProfile", "type"]}
}

test_ephemeral_container_unset_denied if {
	r := pss.deny with input as pod({
		"containers": [{"name": "app", "image": "app:1", "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}}],
		"ephemeralContainers": [{"name": "debug", "image": "d:1"}],
	})
	paths(r) == {["spec", "ephemeralContainers", 0, "securityContext", "seccompProfile", "type"]}
}

test_legacy_annotation_does_not_count if {
	# seccomp annotations have been ignored by Kubernetes since v1.27; the field is required.
	r := pss.deny with input as {
		"apiVersion": "v1",
		"kind": "Pod",
		"metadata": {"name": "p", "annotations": {"seccomp.security.alpha.kubernetes.io/pod": "runtime/default"}},
		"spec": {"containers": [{"name": "app", "image": "app:1"}]},
	}
	count(r) == 1
}

# An explicit Unconfined fails the baseline too: its rule reports the field,
# and this rule only the fields the baseline allows.
test_unconfined_left_to_the_baseline_control if {
	obj := pod({
		"securityContext": {"seccompProfile": {"type": "Unconfined"}},
		"containers": [{"name": "a", "image": "a:1"}],
	})
	paths(pss.deny) == {["spec", "containers", 0, "securityContext", "seccompProfile", "type"]} with input as obj
	some f in baseline.deny with input as obj
	f.path == ["spec", "securityContext", "seccompProfile", "type"]
	endswith(f.msg, "; this also fails the restricted level")
}

test_versions_before_1_19_and_windows_since_1_25 if {
	obj := pod({"containers": [{"name": "a", "image": "a:1"}]})
	count(pss.deny) == 1 with input as obj
	count(pss.deny) == 0 with input as obj with data.plumbline_settings.pss.version as 18
	count(pss.deny) == 1 with input as obj with data.plumbline_settings.pss.version as 19
	win := pod({"os": {"name": "windows"}, "containers": [{"name": "a", "image": "a:1"}]})
	count(pss.deny) == 1 with input as win with data.plumbline_settings.pss.version as 24
	count(pss.deny) == 0 with input as win with data.plumbline_settings.pss.version as 25
	count(pss.deny) == 0 with input as obj with data.plumbline_settings.pss.level as "baseline"
}
