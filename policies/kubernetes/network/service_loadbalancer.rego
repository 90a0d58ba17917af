# METADATA
# title: LoadBalancer Service
# description: >-
#   A LoadBalancer Service asks the cloud provider for a load balancer, which is reachable
#   from the internet unless the Service says otherwise. Make the exposure deliberate:
#   restrict loadBalancerSourceRanges, mark the load balancer internal, or expose the
#   application through an Ingress or Gateway. Services annotated as internal load balancers
#   (AWS, Azure, Google Cloud, Oracle Cloud annotations) and Services whose source ranges
#   (spec.loadBalancerSourceRanges, else the service.beta.kubernetes.io/load-balancer-source-ranges
#   annotation) leave out part of the internet are not reported. A range that contains every
#   IPv4 or IPv6 address (0.0.0.0/0, ::/0, 10.0.0.1/0: compared by address arithmetic)
#   restricts nothing. The legacy AWS internal annotation counts with any value but "false",
#   as the AWS cloud provider reads it.
# related_resources:
#   - https://kubernetes.io/docs/concepts/services-networking/service/#loadbalancer
# custom:
#   id: PL-K8S-0034
#   kinds: [Service]
#   severity: LOW
#   remediation: >-
#     Set spec.loadBalancerSourceRanges to the networks that need access, or annotate the
#     Service as an internal load balancer, or use ClusterIP behind an Ingress or Gateway.
#   frameworks:
#     - k8s-network
package plumbline.kubernetes.network.service_loadbalancer

import rego.v1

import data.plumbline.lib.aws

deny contains {"msg": msg, "path": ["spec", "type"]} if {
	input.spec.type == "LoadBalancer"
	not internal
	not restricted
	msg := sprintf("Service %s is of type LoadBalancer with no source ranges and no internal annotation", [name])
}

internal_annotations := {
	"service.beta.kubernetes.io/azure-load-balancer-internal": {"true"},
	"networking.gke.io/load-balancer-type": {"Internal"},
	"cloud.google.com/load-balancer-type": {"Internal", "internal"},
	"service.beta.kubernetes.io/oci-load-balancer-internal": {"true"},
}

internal if {
	some key, values in internal_annotations
	input.metadata.annotations[key] in values
}

internal if input.metadata.annotations["service.beta.kubernetes.io/aws-load-balancer-scheme"] == "internal"

# The AWS cloud provider makes the load balancer internal for any value of its legacy
# annotation but "" and "false".
internal if {
	v := input.metadata.annotations["service.beta.kubernetes.io/aws-load-balancer-internal"]
	is_string(v)
	not v in {"", "false"}
}

# The source ranges the cloud provider applies: the spec's list when it is not empty, else
# the legacy annotation's comma-separated list.
source_ranges := [r | some r in input.spec.loadBalancerSourceRanges; is_string(r)] if {
	is_array(input.spec.loadBalancerSourceRanges)
	count(input.spec.loadBalancerSourceRanges) > 0
} else := [trim_space(r) | some r in split(v, ","); trim_space(r) != ""] if {
	v := input.metadata.annotations["service.beta.kubernetes.io/load-balancer-source-ranges"]
	is_string(v)
} else := []

# Restricted when there are ranges and none of them is the whole internet.
restricted if {
	count(source_ranges) > 0
	not open_range
}

open_range if {
	some r in source_ranges
	aws.open_cidr(r)
}

name := sprintf("%q", [input.metadata.name]) if is_string(input.metadata.name)

else := "(unnamed)"
