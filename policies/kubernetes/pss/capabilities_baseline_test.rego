package plumbline.kubernetes.pss.capabilities_baseline_test

import rego.v1

import data.plumbline.kubernetes.pss.capabilities_baseline as pss

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

test_pod_without_capabilities_passes if {
	r := pss.deny with input as pod({"containers": [{"name": "app", "image": "nginx:1.27"}]})
	count(r) == 0
}

test_deployment_with_every_allowed_capability_passes if {
	r := pss.deny with input as deployment({"containers": [{
		"name": "app",
		"image": "app:1",
		"securityContext": {"capabilities": {
			"add": [
				"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
				"NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
			],
			"drop": ["NET_RAW"],
		}},
	}]})
	count(r) == 0
}

test_cronjob_dropping_all_passes if {
	r := pss.deny with input as cronjob({"containers": [{
		"name": "job",
		"image": "job:1",
		"securityContext": {"capabilities": {"drop": ["ALL"], "add": []}},
	}]})
	count(r) == 0
}

test_drop_list_is_not_checked if {
	r := pss.deny with input as pod({"containers": [{"name": "a", "image": "a:1", "securityContext": {"capabilities": {"drop": ["SYS_ADMIN"]}}}]})
	count(r) == 0
}

# --- failing cases ------------------------------------------------------------

test_sys_admin_in_container_denied if {
	r := pss.deny with input as deployment({"containers": [{
		"name": "fuse",
		"image": "fuse:1",
		"securityContext": {"capabilities": {"add": ["CHOWN", "SYS_ADMIN"]}},
	}]})
	paths(r) == {["spec", "template", "spec", "containers", 0, "securityContext", "capabilities", "add", 1]}
	some f in r
	contains(f.msg, `Container "fuse"`)
	contains(f.msg, `"SYS_ADMIN"`)
}

test_init_container_capability_denied if {
	r := pss.deny with input as cronjob({
		"initContainers": [{"name": "net", "image": "net:1", "securityContext": {"capabilities": {"add": ["NET_ADMIN"]}}}],
		"containers": [{"name": "job", "image": "job:1"}],
	})
	paths(r) == {["spec", "jobTemplate", "spec", "template", "spec", "initContainers", 0, "securityContext", "capabilities", "add", 0]}
}

test_ephemeral_container_capability_denied if {
	r := pss.deny with input as pod({
		"containers": [{"name": "app", "image": "app:1"}],
		"ephemeralContainers": [{"name": "strace", "image": "debug:1", "securityContext": {"capabilities": {"add": ["SYS_PTRACE"]}}}],
	})
	paths(r) == {["spec", "ephemeralContainers", 0, "securityContext", "capabilities", "add", 0]}
	some f in r
	contains(f.msg, `Ephemeral container "strace"`)
}

test_one_result_per_capability if {
	r := pss.deny with input as pod({"containers": [{
		"name": "a",
		"image": "a:1",
		"securityContext": {"capabilities": {"add": ["NET_RAW", "CHOWN", "SYS_MODULE", "ALL"]}},
	}]})
	paths(r) == {
		["spec", "containers", 0, "securityContext", "capabilities", "add", 0],
		["spec", "containers", 0, "securityContext", "capabilities", "add", 2],
		["spec", "containers", 0, "securityContext", "capabilities", "add", 3],
	}
}

test_capability_names_are_exact if {
	# The standard lists the bare upper-case names; other spellings are not on the list.
	r := pss.deny with input as pod({"containers": [{
		"name": "a",
		"image": "a:1",
		"securityContext": {"capabilities": {"add": ["CAP_CHOWN", "chown"]}},
	}]})
	count(r) == 2
}

# --- versions and levels -------------------------------------------------------

version_pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "v"}, "spec": spec}

# The note that the field also fails restricted appears only where the
# restricted capabilities control exists (v1.22) and applies (not a Windows
# pod since v1.25), and only when the restricted level is evaluated.
test_also_restricted_note_follows_the_restricted_control if {
	obj := version_pod({"containers": [{"name": "a", "securityContext": {"capabilities": {"add": ["SYS_ADMIN"]}}}]})
	msgs := {f.msg | some f in pss.deny} with input as obj
	some m in msgs
	endswith(m, "; this also fails the restricted level")
	old := {f.msg | some f in pss.deny} with input as obj with data.plumbline_settings.pss.version as 21
	some o in old
	not contains(o, "restricted")
	base := {f.msg | some f in pss.deny} with input as obj with data.plumbline_settings.pss.level as "baseline"
	some b in base
	not contains(b, "restricted")
	win := version_pod({"os": {"name": "windows"}, "containers": [{"name": "a", "securityContext": {"capabilities": {"add": ["SYS_ADMIN"]}}}]})
	w := {f.msg | some f in pss.deny} with input as win with data.plumbline_settings.pss.level as "baseline"
	some x in w
	not contains(x, "restricted")
	count(pss.deny) == 0 with input as obj with data.plumbline_settings.pss.level as "privileged"
}

# At the restricted level admission's restricted capabilities control replaces
# this one; from v1.25 it leaves Windows pods alone, so neither checks them.
test_windows_pod_at_the_restricted_level if {
	win := version_pod({"os": {"name": "windows"}, "containers": [{"name": "a", "securityContext": {"capabilities": {"add": ["SYS_ADMIN"]}}}]})
	count(pss.deny) == 1 with input as win with data.plumbline_settings.pss.level as "baseline"
	count(pss.deny) == 0 with input as win
	count(pss.deny) == 1 with input as win with data.plumbline_settings.pss.version as 24
}
