package plumbline.kubernetes.pss.seccomp_baseline_test

import rego.v1

import data.plumbline.kubernetes.pss.seccomp_baseline as pss

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

test_pod_without_seccomp_passes if {
	# Baseline allows leaving seccomp unset.
	r := pss.deny with input as pod({"containers": [{"name": "app", "image": "nginx:1.27"}]})
	count(r) == 0
}

test_deployment_with_runtime_default_and_localhost_passes if {
	r := pss.deny with input as deployment({
		"securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
		"containers": [{"name": "app", "image": "app:1", "securityContext": {"seccompProfile": {"type": "Localhost", "localhostProfile": "profiles/app.json"}}}],
	})
	count(r) == 0
}

test_cronjob_with_container_runtime_default_passes if {
	r := pss.deny with input as cronjob({"containers": [{"name": "job", "image": "job:1", "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}}]})
	count(r) == 0
}

# --- failing cases ------------------------------------------------------------

test_pod_level_unconfined_denied if {
	r := pss.deny with input as pod({"securityContext": {"seccompProfile": {"type": "Unconfined"}}, "containers": [{"name": "a", "image": "a:1"}]})
	paths(r) == {["spec", "securityContext", "seccompProfile", "type"]}
	some f in r
	contains(f.msg, "Unconfined")
}

test_container_unconfined_denied if {
	r := pss.deny with input as deployment({
		"securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
		"containers": [{"name": "web", "image": "w:1", "securityContext": {"seccompProfile": {"type": "Unconfined"}}}],
	})
	paths(r) == {["spec", "template", "spec", "containers", 0, "securityContext", "seccompProfile", "type"]}
	some f in r
	contains(f.msg, `Container "web"`)
}

test_init_container_unconfined_denied if {
	r := pss.deny with input as cronjob({
		"initContainers": [{"name": "init", "image": "i:1", "securityContext": {"seccompProfile": {"type": "Unconfined"}}}],
		"containers": [{"name": "job", "image": "job:1"}],
	})
	paths(r) == {["spec", "jobTemplate", "spec", "template", "spec", "initContainers", 0, "securityContext", "seccompProfile", "type"]}
}

test_ephemeral_container_unconfined_denied if {
	r := pss.deny with input as pod({
		"containers": [{"name": "app", "image": "app:1"}],
		"ephemeralContainers": [{"name": "debug", "image": "d:1", "securityContext": {"seccompProfile": {"type": "Unconfined"}}}],
	})
	paths(r) == {["spec", "ephemeralContainers", 0, "securityContext", "seccompProfile", "type"]}
}

test_unknown_type_denied if {
	r := pss.deny with input as pod({"containers": [{"name": "a", "image": "a:1", "securityContext": {"seccompProfile": {"type": "runtime/default"}}}]})
	count(r) == 1
}

# --- versions and levels -------------------------------------------------------

version_pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "v"}, "spec": spec}

# Before v1.19 the standard reads the seccomp annotations; from v1.19 the fields.
test_annotations_before_1_19_fields_after if {
	annotated := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "v", "annotations": {
		"seccomp.security.alpha.kubernetes.io/pod": "unconfined",
		"container.seccomp.security.alpha.kubernetes.io/a": "runtime/default",
		"container.seccomp.security.alpha.kubernetes.io/b": "",
		"container.seccomp.security.alpha.kubernetes.io/gone": "unconfined",
	}}, "spec": {"containers": [{"name": "a"}, {"name": "b"}]}}
	r := pss.deny with input as annotated with data.plumbline_settings.pss.version as 18
	{f.path | some f in r} == {
		["metadata", "annotations", "seccomp.security.alpha.kubernetes.io/pod"],
		["metadata", "annotations", "container.seccomp.security.alpha.kubernetes.io/b"],
	}
	count(pss.deny) == 0 with input as annotated with data.plumbline_settings.pss.version as 19
	allowed := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "v", "annotations": {
		"seccomp.security.alpha.kubernetes.io/pod": "docker/default",
		"container.seccomp.security.alpha.kubernetes.io/a": "localhost/profile.json",
	}}, "spec": {"containers": [{"name": "a"}]}}
	count(pss.deny) == 0 with input as allowed with data.plumbline_settings.pss.version as 0
	field := version_pod({"securityContext": {"seccompProfile": {"type": "Unconfined"}}, "containers": [{"name": "a"}]})
	count(pss.deny) == 0 with input as field with data.plumbline_settings.pss.version as 18
	count(pss.deny) == 1 with input as field with data.plumbline_settings.pss.version as 19
	count(pss.deny) == 0 with input as field with data.plumbline_settings.pss.level as "privileged"
}

# At the restricted level admission's restricted seccomp control replaces this
# one; from v1.25 it leaves Windows pods alone, so neither checks them.
test_windows_pod_at_the_restricted_level if {
	win := version_pod({"os": {"name": "windows"}, "securityContext": {"seccompProfile": {"type": "Unconfined"}}, "containers": [{"name": "a"}]})
	count(pss.deny) == 1 with input as win with data.plumbline_settings.pss.level as "baseline"
	count(pss.deny) == 0 with input as win
	count(pss.deny) == 1 with input as win with data.plumbline_settings.pss.version as 24
}
