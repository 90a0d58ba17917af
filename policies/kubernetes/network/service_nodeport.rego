# METADATA
# title: NodePort Service
# description: >-
#   A NodePort Service opens the same port on every node of the cluster, bypassing ingress
#   controllers, load balancer policies and usually the firewall rules written for them.
#   Expose applications through an Ingress or Gateway, or a LoadBalancer Service, instead.
# related_resources:
#   - https://kubernetes.io/docs/concepts/services-networking/service/#type-nodeport
# custom:
#   id: PL-K8S-0033
#   kinds: [Service]
#   severity: MEDIUM
#   remediation: >-
#     Use type ClusterIP behind an Ingress or Gateway (or a LoadBalancer Service where a
#     dedicated load balancer is intended).
#   frameworks:
#     - k8s-network
package plumbline.kubernetes.network.service_nodeport

import rego.v1

deny contains {"msg": msg, "path": ["spec", "type"]} if {
	input.spec.type == "NodePort"
	msg := sprintf("Service %s is of type NodePort: it opens a port on every node", [name])
}

name := sprintf("%q", [input.metadata.name]) if is_string(input.metadata.name)

else := "(unnamed)"
