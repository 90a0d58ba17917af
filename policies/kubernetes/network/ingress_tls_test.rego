package plumbline.kubernetes.network.ingress_tls_test

import rego.v1

import data.plumbline.kubernetes.network.ingress_tls as rule

ingress(spec) := {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "web"}, "spec": spec}

rules := [{"host": "shop.example.com", "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]

test_ingress_with_tls_passes if {
	r := rule.deny with input as ingress({"tls": [{"hosts": ["shop.example.com"], "secretName": "shop-tls"}], "rules": rules})
	count(r) == 0
}

test_ingress_without_tls_denied if {
	every spec in [{"rules": rules}, {"rules": rules, "tls": []}, {"rules": rules, "tls": null}] {
		r := rule.deny with input as ingress(spec)
		{f.path | some f in r} == {["spec", "tls"]}
	}
}

test_malformed_ignored if {
	every obj in ["x", null, {"kind": "Ingress"}, {"kind": "Ingress", "spec": "x"}] {
		count(rule.deny) == 0 with input as obj
	}
}
