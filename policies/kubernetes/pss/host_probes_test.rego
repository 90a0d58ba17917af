package plumbline.kubernetes.pss.host_probes_test

import rego.v1

import data.plumbline.kubernetes.pss.host_probes as pss

pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "shop"}, "spec": spec}

deployment(spec) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "shop"},
	"spec": {"template": {"spec": spec}},
}

paths(findings) := {f.path | some f in findings}

test_every_probe_and_handler_host_denied if {
	r := pss.deny with input as deployment({"containers": [{
		"name": "web",
		"livenessProbe": {"httpGet": {"host": "10.0.0.1", "port": 80}},
		"readinessProbe": {"tcpSocket": {"host": "metadata", "port": 80}},
		"startupProbe": {"httpGet": {"port": 80}},
		"lifecycle": {"postStart": {"httpGet": {"host": "127.0.0.1", "port": 1}}, "preStop": {"tcpSocket": {"host": "node", "port": 2}}},
	}]})
	paths(r) == {
		["spec", "template", "spec", "containers", 0, "livenessProbe", "httpGet", "host"],
		["spec", "template", "spec", "containers", 0, "readinessProbe", "tcpSocket", "host"],
		["spec", "template", "spec", "containers", 0, "lifecycle", "postStart", "httpGet", "host"],
		["spec", "template", "spec", "containers", 0, "lifecycle", "preStop", "tcpSocket", "host"],
	}
	some f in r
	contains(f.msg, `livenessProbe.httpGet.host to "10.0.0.1"`)
}

test_init_and_ephemeral_containers if {
	r := pss.deny with input as pod({
		"initContainers": [{"name": "i", "startupProbe": {"httpGet": {"host": "x"}}}],
		"ephemeralContainers": [{"name": "e", "readinessProbe": {"httpGet": {"host": "y"}}}],
		"containers": [{"name": "c"}],
	})
	count(r) == 2
}

test_empty_or_absent_host_allowed if {
	r := pss.deny with input as pod({"containers": [{
		"name": "web",
		"livenessProbe": {"httpGet": {"host": "", "port": 80}},
		"readinessProbe": {"exec": {"command": ["true"]}},
		"lifecycle": {"preStop": {"sleep": {"seconds": 1}}},
	}]})
	count(r) == 0
}

# The control is part of the standard from v1.34 on.
test_versions if {
	obj := pod({"containers": [{"name": "web", "livenessProbe": {"httpGet": {"host": "10.0.0.1"}}}]})
	count(pss.deny) == 0 with input as obj with data.plumbline_settings.pss.version as 33
	count(pss.deny) == 1 with input as obj with data.plumbline_settings.pss.version as 34
	count(pss.deny) == 1 with input as obj
	count(pss.deny) == 0 with input as obj with data.plumbline_settings.pss.level as "privileged"
}

test_malformed_inputs_produce_nothing if {
	every obj in [
		pod({"containers": [{"livenessProbe": "x", "lifecycle": {"postStart": 1}}]}),
		pod({"containers": [{"readinessProbe": {"httpGet": "x", "tcpSocket": {"host": null}}}]}),
		pod({"containers": "x"}),
	] {
		count(pss.deny) == 0 with input as obj
	}
}
