package plumbline.kubernetes.pss.privilege_escalation_test

import rego.v1

import data.plumbline.kubernetes.pss.privilege_escalation as pss

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

no_escalation := {"allowPrivilegeEscalation": false}

# --- passing cases ------------------------------------------------------------

test_pod_with_escalation_disabled_passes if {
	r := pss.deny with input as pod({"containers": [{"name": "app", "image": "nginx:1.27", "securityContext": no_escalation}]})
	count(r) == 0
}

test_deployment_with_escalation_disabled_everywhere_passes if {
	r := pss.deny with input as deployment({
		"initContainers": [{"name": "init", "image": "i:1", "securityContext": no_escalation}],
		"containers": [
			{"name": "app", "image": "app:1", "securityContext": no_escalation},
			{"name": "sidecar", "image": "s:1", "securityContext": {"allowPrivilegeEscalation": false, "runAsNonRoot": true}},
		],
	})
	count(r) == 0
}

test_cronjob_with_escalation_disabled_passes if {
	r := pss.deny with input as cronjob({"containers": [{"name": "job", "image": "job:1", "securityContext": no_escalation}]})
	count(r) == 0
}

test_windows_pod_is_exempt if {
	r := pss.deny with input as pod({"os": {"name": "windows"}, "containers": [{"name": "app", "image": "app:1"}]})
	count(r) == 0
}

# --- failing cases ------------------------------------------------------------

test_container_escalation_true_denied if {
	r := pss.deny with input as deployment({"containers": [
		{"name": "ok", "image": "ok:1", "securityContext": no_escalation},
		{"name": "web", "image": "w:1", "securityContext": {"allowPrivilegeEscalation": true}},
	]})
	paths(r) == {["spec", "template", "spec", "containers", 1, "securityContext", "allowPrivilegeEscalation"]}
	some f in r
	contains(f.msg, `Container "web"`)
	contains(f.msg, "true")
}

test_container_without_field_denied if {
	# Unset is not allowed: the field must be explicitly false.
	r := pss.deny with input as pod({"containers": [{"name": "app", "image": "app:1"}]})
	paths(r) == {["spec", "containers", 0, "securityContext", "allowPrivilegeEscalation"]}
	some f in r
	contains(f.msg, "does not set")
}

test_init_container_denied if {
	r := pss.deny with input as cronjob({
		"initContainers": [{"name": "init", "image": "i:1", "securityContext": {"runAsNonRoot": true}}],
		"containers": [{"name": "job", "image": "job:1", "securityContext": no_escalation}],
	})
	paths(r) == {["spec", "jobTemplate", "spec", "template", "spec", "initContainers", 0, "securityContext", "allowPrivilegeEscalation"]}
	some f in r
	contains(f.msg, `Init container "init"`)
}

test_ephemeral_container_denied if {
	r := pss.deny with input as pod({
		"containers": [{"name": "app", "image": "app:1", "securityContext": no_escalation}],
		"ephemeralContainers": [{"name": "debug", "image": "d:1", "securityContext": {"allowPrivilegeEscalation": null}}],
	})
	paths(r) == {["spec", "ephemeralContainers", 0, "securityContext", "allowPrivilegeEscalation"]}
}

test_pod_level_field_does_not_count if {
	# allowPrivilegeEscalation only exists on containers.
	r := pss.deny with input as pod({"securityContext": {"allowPrivilegeEscalation": false}, "containers": [{"name": "a", "image": "a:1"}]})
	count(r) == 1
}

test_linux_pod_is_checked if {
	r := pss.deny with input as pod({"os": {"name": "linux"}, "containers": [{"name": "a", "image": "a:1"}]})
	count(r) == 1
}

# --- versions and levels -------------------------------------------------------

version_pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "v"}, "spec": spec}

# Restricted from v1.8; Windows pods are left alone from v1.25.
test_versions_and_levels if {
	obj := version_pod({"containers": [{"name": "a"}]})
	count(pss.deny) == 0 with input as obj with data.plumbline_settings.pss.version as 7
	count(pss.deny) == 1 with input as obj with data.plumbline_settings.pss.version as 8
	count(pss.deny) == 0 with input as obj with data.plumbline_settings.pss.level as "baseline"
	win := version_pod({"os": {"name": "windows"}, "containers": [{"name": "a"}]})
	count(pss.deny) == 1 with input as win with data.plumbline_settings.pss.version as 24
	count(pss.deny) == 0 with input as win with data.plumbline_settings.pss.version as 25
}
