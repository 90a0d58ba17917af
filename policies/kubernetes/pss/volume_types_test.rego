package plumbline.kubernetes.pss.volume_types_test

import rego.v1

import data.plumbline.kubernetes.pss.host_path_volumes as host_path
import data.plumbline.kubernetes.pss.volume_types as pss

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

test_deployment_with_every_allowed_type_passes if {
	r := pss.deny with input as deployment({
		"containers": [{"name": "app", "image": "app:1"}],
		"volumes": [
			{"name": "a", "configMap": {"name": "cfg"}},
			{"name": "b", "csi": {"driver": "secrets-store.csi.k8s.io"}},
			{"name": "c", "downwardAPI": {"items": []}},
			{"name": "d", "emptyDir": {"medium": "Memory"}},
			{"name": "e", "ephemeral": {"volumeClaimTemplate": {"spec": {}}}},
			{"name": "f", "persistentVolumeClaim": {"claimName": "data"}},
			{"name": "g", "projected": {"sources": []}},
			{"name": "h", "secret": {"secretName": "s"}},
			{"name": "only-a-name"},
			{"name": "null-source", "nfs": null, "emptyDir": {}},
		],
	})
	count(r) == 0
}

test_cronjob_with_pvc_passes if {
	r := pss.deny with input as cronjob({
		"containers": [{"name": "job", "image": "job:1"}],
		"volumes": [{"name": "backup", "persistentVolumeClaim": {"claimName": "backup"}}],
	})
	count(r) == 0
}

# --- failing cases ------------------------------------------------------------

# A hostPath volume fails both levels: the baseline's hostPath control reports
# it, so the restricted control leaves the field alone (one finding per field).
test_host_path_left_to_the_baseline_control if {
	obj := deployment({
		"containers": [{"name": "app", "image": "app:1"}],
		"volumes": [{"name": "cfg", "configMap": {"name": "c"}}, {"name": "host", "hostPath": {"path": "/data"}}],
	})
	r := pss.deny with input as obj
	count(r) == 0
	v := pss.violations with input as obj
	paths(v) == {["spec", "template", "spec", "volumes", 1, "hostPath"]}
	b := host_path.deny with input as obj
	some f in b
	endswith(f.msg, "; this also fails the restricted level")
	b2 := host_path.deny with input as obj with data.plumbline_settings.pss.level as "baseline"
	some f2 in b2
	not contains(f2.msg, "restricted")
}

test_restricted_only_at_the_restricted_level if {
	obj := pod({"containers": [{"name": "app"}], "volumes": [{"name": "n", "nfs": {"server": "x", "path": "/"}}]})
	count(pss.deny) == 1 with input as obj
	count(pss.deny) == 0 with input as obj with data.plumbline_settings.pss.level as "baseline"
}

test_network_and_cloud_volumes_denied if {
	r := pss.deny with input as pod({"volumes": [
		{"name": "nfs", "nfs": {"server": "nfs.local", "path": "/exports"}},
		{"name": "git", "gitRepo": {"repository": "https://example.com/repo.git"}},
		{"name": "ebs", "awsElasticBlockStore": {"volumeID": "vol-1"}},
		{"name": "iscsi", "iscsi": {"targetPortal": "10.0.0.1:3260", "iqn": "iqn.x", "lun": 0}},
	]})
	paths(r) == {
		["spec", "volumes", 0, "nfs"],
		["spec", "volumes", 1, "gitRepo"],
		["spec", "volumes", 2, "awsElasticBlockStore"],
		["spec", "volumes", 3, "iscsi"],
	}
}

test_cronjob_flex_volume_denied if {
	r := pss.deny with input as cronjob({"volumes": [{"name": "flex", "flexVolume": {"driver": "vendor/driver"}}]})
	paths(r) == {["spec", "jobTemplate", "spec", "template", "spec", "volumes", 0, "flexVolume"]}
}

test_unknown_source_denied if {
	r := pss.deny with input as pod({"volumes": [{"name": "x", "someFutureSource": {}}]})
	count(r) == 1
}

# --- versions and levels -------------------------------------------------------

version_pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "v"}, "spec": spec}

test_every_version if {
	obj := version_pod({"containers": [{"name": "a"}], "volumes": [{"name": "g", "gitRepo": {"repository": "x"}}]})
	every v in [0, 25, 37] {
		count(pss.deny) == 1 with input as obj with data.plumbline_settings.pss.version as v
	}
}

# Image volumes are allowed at every version (admission's v1.0 check allows them).
test_image_volume_allowed_at_every_version if {
	obj := version_pod({"containers": [{"name": "a"}], "volumes": [{"name": "i", "image": {"reference": "data:1"}}]})
	every v in [0, 25, 37] {
		count(pss.deny) == 0 with input as obj with data.plumbline_settings.pss.version as v
	}
}
