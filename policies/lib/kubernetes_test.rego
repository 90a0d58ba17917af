package plumbline.lib.kubernetes_test

import rego.v1

import data.plumbline.lib.kubernetes as k8s

spec := {
	"containers": [{"name": "app", "image": "nginx:1.27", "securityContext": {"privileged": false}}],
	"initContainers": [{"name": "setup", "image": "busybox:1.36"}],
	"ephemeralContainers": [{"name": "debug", "image": "busybox:1.36"}],
	"volumes": [{"name": "data", "emptyDir": {}}],
	"securityContext": {"runAsNonRoot": true},
}

meta := {"labels": {"app": "shop"}, "annotations": {"a": "b"}}

template := {"metadata": meta, "spec": spec}

# --- pod spec location per kind ---------------------------------------------

test_pod_paths if {
	obj := {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}
	k8s.pod_spec_path == ["spec"] with input as obj
	k8s.pod_meta_path == ["metadata"] with input as obj
	k8s.pod_spec == spec with input as obj
	k8s.pod_meta == meta with input as obj
}

test_template_kinds_paths if {
	every kind in ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job"] {
		obj := {"kind": kind, "metadata": {"name": "x"}, "spec": {"template": template}}
		k8s.pod_spec_path == ["spec", "template", "spec"] with input as obj
		k8s.pod_meta_path == ["spec", "template", "metadata"] with input as obj
		k8s.pod_spec == spec with input as obj
		k8s.pod_meta == meta with input as obj
	}
}

test_cronjob_paths if {
	obj := {"kind": "CronJob", "spec": {"schedule": "@daily", "jobTemplate": {"spec": {"template": template}}}}
	k8s.pod_spec_path == ["spec", "jobTemplate", "spec", "template", "spec"] with input as obj
	k8s.pod_meta_path == ["spec", "jobTemplate", "spec", "template", "metadata"] with input as obj
	k8s.pod_spec == spec with input as obj
	k8s.pod_meta == meta with input as obj
}

test_pod_template_paths if {
	obj := {"apiVersion": "v1", "kind": "PodTemplate", "metadata": {"name": "t"}, "template": template}
	k8s.pod_spec_path == ["template", "spec"] with input as obj
	k8s.pod_meta_path == ["template", "metadata"] with input as obj
	k8s.pod_spec == spec with input as obj
}

test_other_kinds_have_no_pod_spec if {
	every obj in [
		{"kind": "ConfigMap", "data": {"spec": "x"}},
		{"kind": "Service", "spec": {"containers": [{"name": "x"}]}},
		{"kind": "PodSecurityPolicy", "spec": {"privileged": true}},
		{"kind": "List", "items": [{"kind": "Pod", "spec": spec}]},
		{"spec": spec},
		{"kind": ["Pod"], "spec": spec},
	] {
		not k8s.pod_spec with input as obj
		not k8s.pod_spec_path with input as obj
		count(k8s.containers) == 0 with input as obj
		count(k8s.volumes) == 0 with input as obj
	}
}

# --- containers and volumes -------------------------------------------------

test_containers_enumerates_all_three_lists if {
	obj := {"kind": "Deployment", "spec": {"template": template}}
	cs := k8s.containers with input as obj
	count(cs) == 3
	{"container": spec.containers[0], "path": ["spec", "template", "spec", "containers", 0], "kind": "containers"} in cs
	{"container": spec.initContainers[0], "path": ["spec", "template", "spec", "initContainers", 0], "kind": "initContainers"} in cs
	{"container": spec.ephemeralContainers[0], "path": ["spec", "template", "spec", "ephemeralContainers", 0], "kind": "ephemeralContainers"} in cs
}

test_volumes_have_paths if {
	vs := k8s.volumes with input as {"kind": "Pod", "spec": spec}
	vs == {{"volume": {"name": "data", "emptyDir": {}}, "path": ["spec", "volumes", 0]}}
}

test_describe if {
	k8s.describe_container({"container": {"name": "web"}, "path": ["spec", "containers", 0], "kind": "containers"}) == `Container "web"`
	k8s.describe_container({"container": {"name": "setup"}, "path": ["spec", "initContainers", 0], "kind": "initContainers"}) == `Init container "setup"`
	k8s.describe_container({"container": {}, "path": ["spec", "ephemeralContainers", 2], "kind": "ephemeralContainers"}) == "Ephemeral container #2 (unnamed)"
	k8s.describe_volume({"volume": {"name": "data"}, "path": ["spec", "volumes", 0]}) == `Volume "data"`
	k8s.describe_volume({"volume": {"name": 7}, "path": ["spec", "volumes", 1]}) == "Volume #1 (unnamed)"
}

test_security_context_helpers if {
	k8s.security_context({"securityContext": {"privileged": true}}) == {"privileged": true}
	k8s.security_context({}) == {}
	k8s.security_context({"securityContext": "oops"}) == {}
	k8s.security_context("not an object") == {}
	k8s.pod_security_context == {"runAsNonRoot": true} with input as {"kind": "Pod", "spec": spec}
	k8s.pod_security_context == {} with input as {"kind": "Pod", "spec": {"containers": []}}
	not k8s.pod_security_context with input as {"kind": "Secret"}
}

test_windows_pod if {
	k8s.is_windows_pod with input as {"kind": "Pod", "spec": {"os": {"name": "windows"}}}
	not k8s.is_windows_pod with input as {"kind": "Pod", "spec": {"os": {"name": "linux"}}}
	not k8s.is_windows_pod with input as {"kind": "Pod", "spec": {}}
}

test_get_and_has if {
	k8s.get({"a": {"b": [10, 20]}}, ["a", "b", 1]) == 20
	not k8s.get({"a": {"b": null}}, ["a", "b"])
	not k8s.get({"a": "str"}, ["a", "b"])
	not k8s.get("str", ["a"])
	k8s.get({"a": false}, ["a"]) == false
	k8s.has({"a": false}, ["a"])
	not k8s.has({"a": null}, ["a"])
}

test_result_shape if {
	k8s.result("m", ["spec", 0]) == {"msg": "m", "path": ["spec", 0]}
}

test_format_value if {
	k8s.format_value("x") == `"x"`
	k8s.format_value(8080) == "8080"
	k8s.format_value(true) == "true"
}

# --- robustness: malformed inputs never raise errors -----------------------

test_malformed_inputs if {
	every obj in [
		"just a string",
		42,
		null,
		[],
		{},
		{"kind": "Pod"},
		{"kind": "Pod", "spec": null},
		{"kind": "Pod", "spec": "text"},
		{"kind": "Pod", "spec": {"containers": "text", "volumes": {"a": 1}, "initContainers": [1, null, "x"]}},
		{"kind": "Deployment", "spec": {"template": []}},
		{"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": 3}}}}},
	] {
		count(k8s.containers) == 0 with input as obj
		count(k8s.volumes) == 0 with input as obj
	}
}
