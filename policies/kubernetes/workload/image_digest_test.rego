package plumbline.kubernetes.workload.image_digest_test

import rego.v1

import data.plumbline.kubernetes.workload.image_digest as rule

digest := "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

test_digest_passes if {
	r := rule.deny with input as {"kind": "Deployment", "spec": {"template": {"spec": {"containers": [
		{"name": "a", "image": concat("@", ["nginx", digest])},
		{"name": "b", "image": concat("@", ["registry.example.com:5000/app:1.2", digest])},
	]}}}}
	count(r) == 0
}

test_tag_without_digest_denied if {
	r := rule.deny with input as {"kind": "Deployment", "spec": {"template": {"spec": {"containers": [
		{"name": "a", "image": concat("@", ["nginx", digest])},
		{"name": "b", "image": "nginx:1.27.3"},
	]}}}}
	{f.path | some f in r} == {["spec", "template", "spec", "containers", 1, "image"]}
}

test_malformed_digest_denied if {
	r := rule.deny with input as {"kind": "Pod", "spec": {"containers": [{"name": "a", "image": "nginx@sha256:abc"}]}}
	count(r) == 1
}
