package plumbline.kubernetes.pss.ulimits_test

import rego.v1

import data.plumbline.kubernetes.pss.ulimits as pss

pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "shop"}, "spec": spec}

test_ulimits_denied_from_1_37 if {
	obj := pod({
		"containers": [{"name": "a", "securityContext": {"ulimits": [{"name": "nofile", "soft": 1, "hard": 2}]}}],
		"initContainers": [{"name": "b", "securityContext": {"ulimits": []}}],
	})
	r := pss.deny with input as obj
	{f.path | some f in r} == {
		["spec", "containers", 0, "securityContext", "ulimits"],
		["spec", "initContainers", 0, "securityContext", "ulimits"],
	}
	count(pss.deny) == 0 with input as obj with data.plumbline_settings.pss.version as 36
}

test_unset_allowed if {
	count(pss.deny) == 0 with input as pod({"containers": [{"name": "a", "securityContext": {"ulimits": null}}]})
}
