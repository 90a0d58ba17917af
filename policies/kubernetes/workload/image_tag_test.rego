package plumbline.kubernetes.workload.image_tag_test

import rego.v1

import data.plumbline.kubernetes.workload.image_tag as rule

pod(containers) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": containers}}

test_pinned_tags_and_digests_pass if {
	r := rule.deny with input as pod([
		{"name": "a", "image": "nginx:1.27.3"},
		{"name": "b", "image": "registry.example.com:5000/team/app:v2"},
		{"name": "c", "image": "nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
		{"name": "d", "image": "nginx:latest@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
	])
	count(r) == 0
}

test_untagged_and_latest_denied if {
	r := rule.deny with input as pod([
		{"name": "ok", "image": "nginx:1.27"},
		{"name": "bare", "image": "nginx"},
		{"name": "port", "image": "registry.example.com:5000/app"},
		{"name": "latest", "image": "ghcr.io/acme/app:latest"},
	])
	{f.path | some f in r} == {
		["spec", "containers", 1, "image"],
		["spec", "containers", 2, "image"],
		["spec", "containers", 3, "image"],
	}
	some f in r
	contains(f.msg, `Container "latest" uses image "ghcr.io/acme/app:latest" with the tag latest`)
}

test_init_and_ephemeral_containers_checked if {
	r := rule.deny with input as {"kind": "Pod", "spec": {
		"initContainers": [{"name": "i", "image": "busybox"}],
		"ephemeralContainers": [{"name": "e", "image": "busybox:latest"}],
	}}
	{f.path | some f in r} == {["spec", "initContainers", 0, "image"], ["spec", "ephemeralContainers", 0, "image"]}
}

test_missing_or_non_string_image_ignored if {
	r := rule.deny with input as pod([{"name": "a"}, {"name": "b", "image": 3}, {"name": "c", "image": ""}])
	count(r) == 0
}
