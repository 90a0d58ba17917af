# METADATA
# title: Ingress without TLS
# description: >-
#   An Ingress without a `tls` section serves its hosts over plain HTTP (or with the
#   controller's default certificate), so credentials and cookies cross the network in clear
#   text. Every Ingress should name the hosts it terminates TLS for and the Secret with
#   their certificate.
# related_resources:
#   - https://kubernetes.io/docs/concepts/services-networking/ingress/#tls
# custom:
#   id: PL-K8S-0035
#   kinds: [Ingress]
#   severity: MEDIUM
#   remediation: >-
#     Add spec.tls with the hosts and a secretName (cert-manager can create the certificate),
#     and configure the controller to redirect HTTP to HTTPS.
#   frameworks:
#     - k8s-network
package plumbline.kubernetes.network.ingress_tls

import rego.v1

deny contains {"msg": msg, "path": ["spec", "tls"]} if {
	is_object(input.spec)
	not has_tls
	msg := sprintf("Ingress %s has no TLS section (spec.tls): it serves over plain HTTP", [name])
}

has_tls if {
	is_array(input.spec.tls)
	count(input.spec.tls) > 0
}

name := sprintf("%q", [input.metadata.name]) if is_string(input.metadata.name)

else := "(unnamed)"
