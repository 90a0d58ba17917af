package plumbline.kubernetes.pss.host_namespaces_test

import rego.v1

import data.plumbline.kubernetes.pss.host_namespaces as pss

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

test_pod_without_host_namespaces_passes if {
	r := pss.deny with input as pod({"containers": [{"name": "app", "image": "nginx:1.27"}]})
	count(r) == 0
}

test_deployment_with_explicit_false_passes if {
	r := pss.deny with input as deployment({
		"hostNetwork": false,
		"hostPID": false,
		"hostIPC": false,
		"containers": [{"name": "app", "image": "app:1"}],
	})
	count(r) == 0
}

test_cronjob_with_null_passes if {
	r := pss.deny with input as cronjob({"hostNetwork": null, "containers": [{"name": "job", "image": "job:1"}]})
	count(r) == 0
}

# --- failing cases ------------------------------------------------------------

test_host_network_denied if {
	r := pss.deny with input as deployment({"hostNetwork": true, "containers": [{"name": "app", "image": "app:1"}]})
	paths(r) == {["spec", "template", "spec", "hostNetwork"]}
	some f in r
	contains(f.msg, "hostNetwork")
}

test_host_pid_denied if {
	r := pss.deny with input as pod({"hostPID": true, "containers": [{"name": "app", "image": "app:1"}]})
	paths(r) == {["spec", "hostPID"]}
}

test_host_ipc_denied if {
	r := pss.deny with input as cronjob({"hostIPC": true, "containers": [{"name": "job", "image": "job:1"}]})
	paths(r) == {["spec", "jobTemplate", "spec", "template", "spec", "hostIPC"]}
}

test_one_result_per_namespace if {
	r := pss.deny with input as pod({"hostNetwork": true, "hostPID": true, "hostIPC": true, "containers": []})
	paths(r) == {["spec", "hostNetwork"], ["spec", "hostPID"], ["spec", "hostIPC"]}
}

test_host_namespaces_in_other_workload_kinds if {
	every kind in ["StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job"] {
		r := pss.deny with input as {"kind": kind, "spec": {"template": {"spec": {"hostPID": true}}}}
		paths(r) == {["spec", "template", "spec", "hostPID"]}
	}
}

test_pod_template_kind if {
	r := pss.deny with input as {"apiVersion": "v1", "kind": "PodTemplate", "template": {"spec": {"hostNetwork": true}}}
	paths(r) == {["template", "spec", "hostNetwork"]}
}

# --- versions and levels -------------------------------------------------------

version_pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "v"}, "spec": spec}

test_every_version_and_level if {
	obj := version_pod({"hostPID": true, "containers": [{"name": "a"}]})
	every v in [0, 25, 37] {
		count(pss.deny) == 1 with input as obj with data.plumbline_settings.pss.version as v
	}
	count(pss.deny) == 0 with input as obj with data.plumbline_settings.pss.level as "privileged"
}
