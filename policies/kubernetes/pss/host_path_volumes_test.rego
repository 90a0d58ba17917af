package plumbline.kubernetes.pss.host_path_volumes_test

import rego.v1

import data.plumbline.kubernetes.pss.host_path_volumes as pss

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

test_pod_without_volumes_passes if {
	r := pss.deny with input as pod({"containers": [{"name": "app", "image": "nginx:1.27"}]})
	count(r) == 0
}

test_deployment_with_core_volumes_passes if {
	r := pss.deny with input as deployment({
		"containers": [{"name": "app", "image": "app:1"}],
		"volumes": [
			{"name": "cache", "emptyDir": {}},
			{"name": "config", "configMap": {"name": "app-config"}},
			{"name": "data", "persistentVolumeClaim": {"claimName": "data"}},
			{"name": "nothing", "hostPath": null},
		],
	})
	count(r) == 0
}

test_cronjob_with_secret_volume_passes if {
	r := pss.deny with input as cronjob({
		"containers": [{"name": "job", "image": "job:1"}],
		"volumes": [{"name": "creds", "secret": {"secretName": "creds"}}],
	})
	count(r) == 0
}

# --- failing cases ------------------------------------------------------------

test_host_path_volume_denied if {
	r := pss.deny with input as deployment({
		"containers": [{"name": "app", "image": "app:1"}],
		"volumes": [
			{"name": "cache", "emptyDir": {}},
			{"name": "docker-sock", "hostPath": {"path": "/var/run/docker.sock", "type": "Socket"}},
		],
	})
	paths(r) == {["spec", "template", "spec", "volumes", 1, "hostPath"]}
	some f in r
	contains(f.msg, `Volume "docker-sock"`)
	contains(f.msg, "/var/run/docker.sock")
}

test_pod_host_path_denied if {
	r := pss.deny with input as pod({"containers": [], "volumes": [{"name": "root", "hostPath": {"path": "/"}}]})
	paths(r) == {["spec", "volumes", 0, "hostPath"]}
}

test_cronjob_host_path_denied if {
	r := pss.deny with input as cronjob({"containers": [], "volumes": [{"name": "logs", "hostPath": {"path": "/var/log"}}]})
	paths(r) == {["spec", "jobTemplate", "spec", "template", "spec", "volumes", 0, "hostPath"]}
}

test_host_path_without_path_still_denied if {
	r := pss.deny with input as pod({"volumes": [{"name": "odd", "hostPath": {}}]})
	count(r) == 1
}

test_one_result_per_volume if {
	r := pss.deny with input as pod({"volumes": [
		{"name": "a", "hostPath": {"path": "/etc"}},
		{"name": "b", "hostPath": {"path": "/proc"}},
	]})
	count(r) == 2
}

test_host_path_in_kube_system_is_still_denied if {
	# The standard has no namespace exemption; exemptions are an admission setting.
	obj := {
		"apiVersion": "v1",
		"kind": "Pod",
		"metadata": {"name": "fluentd", "namespace": "kube-system"},
		"spec": {"volumes": [{"name": "a", "hostPath": {"path": "/var/log"}}]},
	}
	r := pss.deny with input as obj
	count(r) == 1
}

# --- versions and levels -------------------------------------------------------

version_pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "v"}, "spec": spec}

test_every_version_and_level if {
	obj := version_pod({"containers": [{"name": "a"}], "volumes": [{"name": "h", "hostPath": {"path": "/"}}]})
	every v in [0, 25, 37] {
		count(pss.deny) == 1 with input as obj with data.plumbline_settings.pss.version as v
	}
	count(pss.deny) == 0 with input as obj with data.plumbline_settings.pss.level as "privileged"
}
