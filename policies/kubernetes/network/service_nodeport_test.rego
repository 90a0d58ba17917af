package plumbline.kubernetes.network.service_nodeport_test

import rego.v1

import data.plumbline.kubernetes.network.service_nodeport as rule

svc(spec) := {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": spec}

test_nodeport_denied if {
	r := rule.deny with input as svc({"type": "NodePort", "ports": [{"port": 80, "nodePort": 30080}]})
	{f.path | some f in r} == {["spec", "type"]}
	some f in r
	contains(f.msg, `Service "web" is of type NodePort`)
}

test_other_types_pass if {
	every spec in [{}, {"type": "ClusterIP"}, {"type": "LoadBalancer"}, {"type": "ExternalName"}, {"type": ["NodePort"]}] {
		count(rule.deny) == 0 with input as svc(spec)
	}
}
