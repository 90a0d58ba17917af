# METADATA
# title: LoadBalancer Service
# description: >-
#   A LoadBalancer Service asks the cloud provider for a load balancer, which is reachable
#   from the internet unless the Service says otherwise. Make the exposure deliberate:
#   restrict loadBalancerSourceRanges, mark the load balancer internal, or expose the
#   application through an Ingress or Gateway. Services annotated as internal load balancers
#   (AWS, Azure, Google Cloud, Oracle Cloud annotations) and Services with
#   loadBalancerSourceRanges are not reported.
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

deny contains {"msg": msg, "path": ["spec", "type"]} if {
	input.spec.type == "LoadBalancer"
	not internal
	not restricted
	msg := sprintf("Service %s is of type LoadBalancer with no source ranges and no internal annotation", [name])
}

internal_annotations := {
	"service.beta.kubernetes.io/aws-load-balancer-internal": {"true", "0.0.0.0/0"},
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

restricted if {
	is_array(input.spec.loadBalancerSourceRanges)
	count(input.spec.loadBalancerSourceRanges) > 0
}

name := sprintf("%q", [input.metadata.name]) if is_string(input.metadata.name)

else := "(unnamed)"
