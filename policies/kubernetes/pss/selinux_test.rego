package plumbline.kubernetes.pss.selinux_test

import rego.v1

import data.plumbline.kubernetes.pss.selinux as pss

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

test_pod_without_selinux_options_passes if {
	r := pss.deny with input as pod({"containers": [{"name": "app", "image": "nginx:1.27"}]})
	count(r) == 0
}

test_deployment_with_allowed_types_and_level_passes if {
	r := pss.deny with input as deployment({
		"securityContext": {"seLinuxOptions": {"type": "container_t", "level": "s0:c123,c456"}},
		"initContainers": [{"name": "init", "image": "i:1", "securityContext": {"seLinuxOptions": {"type": "container_init_t"}}}],
		"containers": [
			{"name": "vm", "image": "vm:1", "securityContext": {"seLinuxOptions": {"type": "container_kvm_t"}}},
			{"name": "engine", "image": "e:1", "securityContext": {"seLinuxOptions": {"type": "container_engine_t", "user": "", "role": ""}}},
		],
	})
	count(r) == 0
}

test_cronjob_with_empty_options_passes if {
	r := pss.deny with input as cronjob({
		"securityContext": {"seLinuxOptions": {"type": "", "user": null}},
		"containers": [{"name": "job", "image": "job:1", "securityContext": {"seLinuxOptions": {}}}],
	})
	count(r) == 0
}

# --- failing cases ------------------------------------------------------------

test_pod_level_type_denied if {
	r := pss.deny with input as pod({"securityContext": {"seLinuxOptions": {"type": "spc_t"}}, "containers": [{"name": "a", "image": "a:1"}]})
	paths(r) == {["spec", "securityContext", "seLinuxOptions", "type"]}
	some f in r
	contains(f.msg, "spc_t")
}

test_container_type_denied if {
	r := pss.deny with input as deployment({"containers": [{"name": "web", "image": "w:1", "securityContext": {"seLinuxOptions": {"type": "unconfined_t"}}}]})
	paths(r) == {["spec", "template", "spec", "containers", 0, "securityContext", "seLinuxOptions", "type"]}
	some f in r
	contains(f.msg, `Container "web"`)
}

test_init_container_user_denied if {
	r := pss.deny with input as cronjob({
		"initContainers": [{"name": "init", "image": "i:1", "securityContext": {"seLinuxOptions": {"user": "system_u"}}}],
		"containers": [{"name": "job", "image": "job:1"}],
	})
	paths(r) == {["spec", "jobTemplate", "spec", "template", "spec", "initContainers", 0, "securityContext", "seLinuxOptions", "user"]}
}

test_ephemeral_container_role_denied if {
	r := pss.deny with input as pod({
		"containers": [{"name": "app", "image": "app:1"}],
		"ephemeralContainers": [{"name": "debug", "image": "d:1", "securityContext": {"seLinuxOptions": {"role": "sysadm_r"}}}],
	})
	paths(r) == {["spec", "ephemeralContainers", 0, "securityContext", "seLinuxOptions", "role"]}
}

test_one_result_per_field if {
	r := pss.deny with input as pod({
		"securityContext": {"seLinuxOptions": {"type": "spc_t", "user": "system_u", "role": "system_r", "level": "s0"}},
		"containers": [{"name": "a", "image": "a:1", "securityContext": {"seLinuxOptions": {"user": "u"}}}],
	})
	count(r) == 4
}

# --- versions and levels -------------------------------------------------------

version_pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "v"}, "spec": spec}

# container_engine_t is allowed from v1.31 on.
test_container_engine_t_from_1_31 if {
	obj := version_pod({"containers": [{"name": "a", "securityContext": {"seLinuxOptions": {"type": "container_engine_t"}}}]})
	count(pss.deny) == 0 with input as obj
	count(pss.deny) == 0 with input as obj with data.plumbline_settings.pss.version as 31
	count(pss.deny) == 1 with input as obj with data.plumbline_settings.pss.version as 30
	kvm := version_pod({"containers": [{"name": "a", "securityContext": {"seLinuxOptions": {"type": "container_kvm_t"}}}]})
	count(pss.deny) == 0 with input as kvm with data.plumbline_settings.pss.version as 0
	count(pss.deny) == 0 with input as version_pod({"securityContext": {"seLinuxOptions": {"user": "root"}}}) with data.plumbline_settings.pss.level as "privileged"
}
