package plumbline.kubernetes.pss.apparmor_test

import rego.v1

import data.plumbline.kubernetes.pss.apparmor as pss

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

test_pod_without_apparmor_settings_passes if {
	r := pss.deny with input as pod({"containers": [{"name": "app", "image": "nginx:1.27"}]})
	count(r) == 0
}

test_deployment_with_allowed_profiles_passes if {
	r := pss.deny with input as {
		"apiVersion": "apps/v1",
		"kind": "Deployment",
		"metadata": {"name": "shop", "annotations": {"container.apparmor.security.beta.kubernetes.io/app": "unconfined"}},
		"spec": {"template": {
			"metadata": {"annotations": {
				"container.apparmor.security.beta.kubernetes.io/app": "runtime/default",
				"container.apparmor.security.beta.kubernetes.io/sidecar": "localhost/k8s-sidecar",
				"example.com/unrelated": "unconfined",
			}},
			"spec": {
				"securityContext": {"appArmorProfile": {"type": "RuntimeDefault"}},
				"containers": [
					{"name": "app", "image": "app:1"},
					{"name": "sidecar", "image": "s:1", "securityContext": {"appArmorProfile": {"type": "Localhost", "localhostProfile": "k8s-sidecar"}}},
				],
			},
		}},
	}

	# The Deployment's own metadata is not the pod's: only the template counts.
	count(r) == 0
}

test_cronjob_with_runtime_default_passes if {
	r := pss.deny with input as cronjob({"containers": [{"name": "job", "image": "job:1", "securityContext": {"appArmorProfile": {"type": "RuntimeDefault"}}}]})
	count(r) == 0
}

# --- failing cases ------------------------------------------------------------

test_pod_level_unconfined_denied if {
	r := pss.deny with input as pod({"securityContext": {"appArmorProfile": {"type": "Unconfined"}}, "containers": [{"name": "a", "image": "a:1"}]})
	paths(r) == {["spec", "securityContext", "appArmorProfile", "type"]}
}

test_container_unconfined_denied if {
	r := pss.deny with input as deployment({"containers": [{"name": "web", "image": "web:1", "securityContext": {"appArmorProfile": {"type": "Unconfined"}}}]})
	paths(r) == {["spec", "template", "spec", "containers", 0, "securityContext", "appArmorProfile", "type"]}
	some f in r
	contains(f.msg, `Container "web"`)
	contains(f.msg, "Unconfined")
}

test_init_container_unconfined_denied if {
	r := pss.deny with input as cronjob({
		"initContainers": [{"name": "init", "image": "i:1", "securityContext": {"appArmorProfile": {"type": "Unconfined"}}}],
		"containers": [{"name": "job", "image": "job:1"}],
	})
	paths(r) == {["spec", "jobTemplate", "spec", "template", "spec", "initContainers", 0, "securityContext", "appArmorProfile", "type"]}
}

test_ephemeral_container_unconfined_denied if {
	r := pss.deny with input as pod({
		"containers": [{"name": "app", "image": "app:1"}],
		"ephemeralContainers": [{"name": "debug", "image": "d:1", "securityContext": {"appArmorProfile": {"type": "Unconfined"}}}],
	})
	paths(r) == {["spec", "ephemeralContainers", 0, "securityContext", "appArmorProfile", "type"]}
}

test_unconfined_annotation_denied if {
	r := pss.deny with input as {
		"apiVersion": "v1",
		"kind": "Pod",
		"metadata": {"name": "p", "annotations": {
			"container.apparmor.security.beta.kubernetes.io/app": "unconfined",
			"container.apparmor.security.beta.kubernetes.io/ok": "runtime/default",
		}},
		"spec": {"containers": [{"name": "app", "image": "app:1"}, {"name": "ok", "image": "ok:1"}]},
	}
	paths(r) == {["metadata", "annotations", "container.apparmor.security.beta.kubernetes.io/app"]}
	some f in r
	contains(f.msg, `"app"`)
	contains(f.msg, "unconfined")
}

test_template_annotation_denied if {
	r := pss.deny with input as {
		"kind": "CronJob",
		"spec": {"jobTemplate": {"spec": {"template": {
			"metadata": {"annotations": {"container.apparmor.security.beta.kubernetes.io/job": "docker-default"}},
			"spec": {"containers": [{"name": "job", "image": "job:1"}]},
		}}}},
	}
	paths(r) == {["spec", "jobTemplate", "spec", "template", "metadata", "annotations", "container.apparmor.security.beta.kubernetes.io/job"]}
}

test_other_profile_values_denied if {
	r := pss.deny with input as pod({"containers": [
		{"name": "a", "image": "a:1", "securityContext": {"appArmorProfile": {"type": "runtime/default"}}},
		{"name": "b", "image": "b:1", "securityContext": {"appArmorProfile": {"type": ""}}},
	]})
	count(r) == 2
}

test_annotation_values_must_match_exactly if {
	r := pss.deny with input as {
		"kind": "Pod",
		"metadata": {"annotations": {
			"container.apparmor.security.beta.kubernetes.io/a": "Runtime/Default",
			"container.apparmor.security.beta.kubernetes.io/b": "localhost",
			"container.apparmor.security.beta.kubernetes.io/c": "",
			"container.apparmor.security.beta.kubernetes.io/d": "localhost/",
		}},
		"spec": {"containers": []},
	}

	# "localhost/" matches the localhost/* pattern, and an empty value is allowed as
	# Pod Security admission allows it; the other two do not match.
	count(r) == 2
}

# --- versions and levels -------------------------------------------------------

version_pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "v"}, "spec": spec}

test_every_version_and_level if {
	obj := version_pod({"containers": [{"name": "a", "securityContext": {"appArmorProfile": {"type": "Unconfined"}}}]})
	every v in [0, 29, 30, 37] {
		count(pss.deny) == 1 with input as obj with data.plumbline_settings.pss.version as v
	}
	count(pss.deny) == 0 with input as obj with data.plumbline_settings.pss.level as "privileged"
}

# An empty annotation value is allowed (the runtime's default applies).
test_empty_annotation_value_allowed if {
	obj := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "v", "annotations": {"container.apparmor.security.beta.kubernetes.io/a": ""}}, "spec": {"containers": [{"name": "a"}]}}
	count(pss.deny) == 0 with input as obj
}
