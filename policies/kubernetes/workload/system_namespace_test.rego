package plumbline.kubernetes.workload.system_namespace_test

import rego.v1

import data.plumbline.kubernetes.workload.system_namespace as rule

test_kube_system_and_kube_public_denied if {
	every ns in ["kube-system", "kube-public"] {
		r := rule.deny with input as {"kind": "Pod", "metadata": {"name": "p", "namespace": ns}}
		{f.path | some f in r} == {["metadata", "namespace"]}
	}
}

test_other_namespaces_pass if {
	every obj in [
		{"kind": "Pod", "metadata": {"name": "p", "namespace": "default"}},
		{"kind": "Pod", "metadata": {"name": "p", "namespace": "kube-node-lease-x"}},
		{"kind": "Pod", "metadata": {"name": "p"}},
		{"kind": "Pod", "metadata": null},
	] {
		count(rule.deny) == 0 with input as obj
	}
}
