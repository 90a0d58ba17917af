package plumbline.kubernetes.network.service_loadbalancer_test

import rego.v1

import data.plumbline.kubernetes.network.service_loadbalancer as rule

svc(annotations, spec) := {"kind": "Service", "metadata": {"name": "web", "annotations": annotations}, "spec": spec}

test_public_load_balancer_denied if {
	r := rule.deny with input as svc({}, {"type": "LoadBalancer"})
	{f.path | some f in r} == {["spec", "type"]}
}

test_internal_or_restricted_passes if {
	every obj in [
		svc({"service.beta.kubernetes.io/aws-load-balancer-internal": "true"}, {"type": "LoadBalancer"}),
		svc({"service.beta.kubernetes.io/aws-load-balancer-scheme": "internal"}, {"type": "LoadBalancer"}),
		svc({"networking.gke.io/load-balancer-type": "Internal"}, {"type": "LoadBalancer"}),
		svc({"service.beta.kubernetes.io/azure-load-balancer-internal": "true"}, {"type": "LoadBalancer"}),
		svc({}, {"type": "LoadBalancer", "loadBalancerSourceRanges": ["10.0.0.0/8"]}),
		svc({}, {"type": "ClusterIP"}),
	] {
		count(rule.deny) == 0 with input as obj
	}
}

test_empty_source_ranges_or_false_annotation_denied if {
	every obj in [
		svc({}, {"type": "LoadBalancer", "loadBalancerSourceRanges": []}),
		svc({"service.beta.kubernetes.io/azure-load-balancer-internal": "false"}, {"type": "LoadBalancer"}),
	] {
		count(rule.deny) == 1 with input as obj
	}
}

test_source_ranges_by_value if {
	# A range that contains the whole internet, however written, restricts nothing.
	every ranges in [["0.0.0.0/0"], ["10.0.0.0/8", "10.1.2.3/0"], ["::/0"], ["0::/0"]] {
		count(rule.deny) == 1 with input as svc({}, {"type": "LoadBalancer", "loadBalancerSourceRanges": ranges})
	}
	# The legacy annotation counts when the spec has no ranges, by the same arithmetic.
	count(rule.deny) == 0 with input as svc({"service.beta.kubernetes.io/load-balancer-source-ranges": "203.0.113.0/24, 198.51.100.0/24"}, {"type": "LoadBalancer"})
	count(rule.deny) == 1 with input as svc({"service.beta.kubernetes.io/load-balancer-source-ranges": "203.0.113.0/24,0.0.0.0/0"}, {"type": "LoadBalancer"})
	# The spec's ranges win over the annotation.
	count(rule.deny) == 1 with input as svc({"service.beta.kubernetes.io/load-balancer-source-ranges": "203.0.113.0/24"}, {"type": "LoadBalancer", "loadBalancerSourceRanges": ["0.0.0.0/0"]})
}

test_aws_internal_annotation_any_value_but_false if {
	every v in ["true", "True", "0.0.0.0/0", "yes"] {
		count(rule.deny) == 0 with input as svc({"service.beta.kubernetes.io/aws-load-balancer-internal": v}, {"type": "LoadBalancer"})
	}
	every v in ["false", ""] {
		count(rule.deny) == 1 with input as svc({"service.beta.kubernetes.io/aws-load-balancer-internal": v}, {"type": "LoadBalancer"})
	}
}
