package plumbline.kubernetes.pss.sysctls_test

import rego.v1

import data.plumbline.kubernetes.pss.sysctls as pss

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

test_pod_without_sysctls_passes if {
	r := pss.deny with input as pod({"containers": [{"name": "app", "image": "nginx:1.27"}]})
	count(r) == 0
}

test_deployment_with_every_safe_sysctl_passes if {
	r := pss.deny with input as deployment({
		"securityContext": {"sysctls": [
			{"name": "kernel.shm_rmid_forced", "value": "1"},
			{"name": "net.ipv4.ip_local_port_range", "value": "1024 65535"},
			{"name": "net.ipv4.ip_unprivileged_port_start", "value": "80"},
			{"name": "net.ipv4.tcp_syncookies", "value": "1"},
			{"name": "net.ipv4.ping_group_range", "value": "0 2147483647"},
			{"name": "net.ipv4.ip_local_reserved_ports", "value": "8080"},
			{"name": "net.ipv4.tcp_keepalive_time", "value": "600"},
			{"name": "net.ipv4.tcp_fin_timeout", "value": "30"},
			{"name": "net.ipv4.tcp_keepalive_intvl", "value": "60"},
			{"name": "net.ipv4.tcp_keepalive_probes", "value": "5"},
		]},
		"containers": [{"name": "app", "image": "app:1"}],
	})
	count(r) == 0
}

test_cronjob_with_empty_sysctls_passes if {
	r := pss.deny with input as cronjob({"securityContext": {"sysctls": []}, "containers": [{"name": "job", "image": "job:1"}]})
	count(r) == 0
}

# --- failing cases ------------------------------------------------------------

test_unsafe_sysctl_denied if {
	r := pss.deny with input as deployment({
		"securityContext": {"sysctls": [
			{"name": "net.ipv4.tcp_syncookies", "value": "1"},
			{"name": "kernel.msgmax", "value": "65536"},
		]},
		"containers": [{"name": "app", "image": "app:1"}],
	})
	paths(r) == {["spec", "template", "spec", "securityContext", "sysctls", 1, "name"]}
	some f in r
	contains(f.msg, "kernel.msgmax")
}

test_pod_unsafe_sysctls_one_result_each if {
	r := pss.deny with input as pod({"securityContext": {"sysctls": [
		{"name": "net.core.somaxconn", "value": "1024"},
		{"name": "vm.swappiness", "value": "0"},
	]}})
	paths(r) == {["spec", "securityContext", "sysctls", 0, "name"], ["spec", "securityContext", "sysctls", 1, "name"]}
}

test_cronjob_unsafe_sysctl_denied if {
	r := pss.deny with input as cronjob({"securityContext": {"sysctls": [{"name": "kernel.sem", "value": "250 32000 100 128"}]}})
	paths(r) == {["spec", "jobTemplate", "spec", "template", "spec", "securityContext", "sysctls", 0, "name"]}
}

test_slash_separated_name_reported_with_hint if {
	# The standard (and Pod Security admission) compare the dotted names exactly.
	r := pss.deny with input as pod({"securityContext": {"sysctls": [{"name": "net/ipv4/tcp_syncookies", "value": "1"}]}})
	count(r) == 1
	some f in r
	contains(f.msg, `"net.ipv4.tcp_syncookies"`)
}

test_container_level_sysctls_are_not_a_field if {
	r := pss.deny with input as pod({"containers": [{"name": "a", "image": "a:1", "securityContext": {"sysctls": [{"name": "kernel.msgmax"}]}}]})
	count(r) == 0
}

# --- versions and levels -------------------------------------------------------

version_pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "v"}, "spec": spec}

version_sysctls(names) := version_pod({"securityContext": {"sysctls": [{"name": n, "value": "1"} | some n in names]}, "containers": [{"name": "a"}]})

# The safe set grows: v1.27, v1.29 and v1.32 each allow more sysctls.
test_safe_set_per_version if {
	count(pss.deny) == 1 with input as version_sysctls(["net.ipv4.ip_local_reserved_ports"]) with data.plumbline_settings.pss.version as 26
	count(pss.deny) == 0 with input as version_sysctls(["net.ipv4.ip_local_reserved_ports"]) with data.plumbline_settings.pss.version as 27
	count(pss.deny) == 1 with input as version_sysctls(["net.ipv4.tcp_keepalive_time"]) with data.plumbline_settings.pss.version as 28
	count(pss.deny) == 0 with input as version_sysctls(["net.ipv4.tcp_fin_timeout"]) with data.plumbline_settings.pss.version as 29
	count(pss.deny) == 2 with input as version_sysctls(["net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"]) with data.plumbline_settings.pss.version as 31
	count(pss.deny) == 0 with input as version_sysctls(["net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"]) with data.plumbline_settings.pss.version as 32
	count(pss.deny) == 2 with input as version_sysctls(["net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat"]) with data.plumbline_settings.pss.version as 36
	count(pss.deny) == 0 with input as version_sysctls(["net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat"]) with data.plumbline_settings.pss.version as 37
	count(pss.deny) == 0 with input as version_sysctls(["net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat"])
	count(pss.deny) == 0 with input as version_sysctls(["kernel.shm_rmid_forced", "net.ipv4.ping_group_range"]) with data.plumbline_settings.pss.version as 0
	r := pss.deny with input as version_sysctls(["net.ipv4.tcp_rmem"]) with data.plumbline_settings.pss.version as 25
	some f in r
	contains(f.msg, "Pod Security Standards v1.25 (it is safe from v1.32)")
	count(pss.deny) == 0 with input as version_sysctls(["kernel.msgmax"]) with data.plumbline_settings.pss.level as "privileged"
}
