package plumbline.kubernetes.pss.proc_mount_test

import rego.v1

import data.plumbline.kubernetes.pss.proc_mount as pss

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

test_pod_without_proc_mount_passes if {
	r := pss.deny with input as pod({"containers": [{"name": "app", "image": "nginx:1.27"}]})
	count(r) == 0
}

test_deployment_with_default_proc_mount_passes if {
	r := pss.deny with input as deployment({"containers": [{"name": "app", "image": "app:1", "securityContext": {"procMount": "Default"}}]})
	count(r) == 0
}

test_cronjob_with_null_proc_mount_passes if {
	r := pss.deny with input as cronjob({"containers": [{"name": "job", "image": "job:1", "securityContext": {"procMount": null}}]})
	count(r) == 0
}

# --- failing cases ------------------------------------------------------------

test_unmasked_container_denied if {
	r := pss.deny with input as deployment({"containers": [{"name": "builder", "image": "b:1", "securityContext": {"procMount": "Unmasked"}}]})
	paths(r) == {["spec", "template", "spec", "containers", 0, "securityContext", "procMount"]}
	some f in r
	contains(f.msg, `Container "builder"`)
	contains(f.msg, "Unmasked")
}

test_unmasked_init_container_denied if {
	r := pss.deny with input as cronjob({
		"initContainers": [{"name": "init", "image": "i:1", "securityContext": {"procMount": "Unmasked"}}],
		"containers": [{"name": "job", "image": "job:1"}],
	})
	paths(r) == {["spec", "jobTemplate", "spec", "template", "spec", "initContainers", 0, "securityContext", "procMount"]}
}

test_unmasked_ephemeral_container_denied if {
	r := pss.deny with input as pod({
		"containers": [{"name": "app", "image": "app:1"}],
		"ephemeralContainers": [{"name": "debug", "image": "d:1", "securityContext": {"procMount": "Unmasked"}}],
	})
	paths(r) == {["spec", "ephemeralContainers", 0, "securityContext", "procMount"]}
}

test_values_other_than_default_denied if {
	r := pss.deny with input as pod({"containers": [
		{"name": "a", "image": "a:1", "securityContext": {"procMount": "default"}},
		{"name": "b", "image": "b:1", "securityContext": {"procMount": ""}},
	]})
	count(r) == 2
}

# --- versions and levels -------------------------------------------------------

version_pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "v"}, "spec": spec}

# From v1.35 the baseline allows any procMount in a pod with spec.hostUsers:
# false; the restricted level still requires Default there.
test_user_namespace_relaxation_from_1_35 if {
	userns := version_pod({"hostUsers": false, "containers": [{"name": "a", "securityContext": {"procMount": "Unmasked"}}]})
	count(pss.deny) == 0 with input as userns with data.plumbline_settings.pss.level as "baseline"
	count(pss.deny) == 1 with input as userns with data.plumbline_settings.pss.level as "baseline" with data.plumbline_settings.pss.version as 34
	r := pss.deny with input as userns
	count(r) == 1
	some f in r
	contains(f.msg, "restricted level allows only Default")
	old := pss.deny with input as userns with data.plumbline_settings.pss.version as 34
	some o in old
	not contains(o.msg, "hostUsers")
	host := version_pod({"hostUsers": true, "containers": [{"name": "a", "securityContext": {"procMount": "Unmasked"}}]})
	count(pss.deny) == 1 with input as host with data.plumbline_settings.pss.level as "baseline"
	count(pss.deny) == 0 with input as host with data.plumbline_settings.pss.level as "privileged"
}
