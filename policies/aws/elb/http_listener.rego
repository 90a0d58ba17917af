# METADATA
# title: Load balancer listener serves plain HTTP
# description: >-
#   An HTTP listener that does not redirect to HTTPS carries requests and
#   cookies unencrypted.
# custom:
#   id: PL-AWS-0052
#   kinds: [aws_lb_listener, aws_alb_listener, aws_elb]
#   severity: HIGH
#   remediation: >-
#     Serve HTTPS, and make the HTTP listener's default action a redirect to
#     HTTPS.
#   frameworks:
#     - AWS-FSBP-ELB.1
package plumbline.aws.elb.http_listener

import rego.v1

import data.plumbline.lib.aws

# The provider accepts protocol and action type in any case (it stores the
# protocol upper-cased); the redirect's protocol is case-sensitive (HTTPS).
upper_or_empty(v) := upper(v) if is_string(v)

else := ""

redirects_to_https(a) if {
	some act in aws.blocks(a, "default_action")
	is_string(act.type)
	lower(act.type) == "redirect"
	some r in aws.blocks(act, "redirect")
	r.protocol == "HTTPS"
}

# Without protocol, an application load balancer's listener speaks HTTP;
# network and gateway load balancers have no HTTP listeners.
http if upper_or_empty(aws.attrs.protocol) == "HTTP"

http if {
	aws.absent(aws.attrs, "protocol")
	not aws.is_set(aws.attrs.certificate_arn)
	not non_application_lb
}

non_application_lb if {
	some lb in array.concat(
		aws.referenced("aws_lb", "load_balancer_arn"),
		aws.referenced("aws_alb", "load_balancer_arn"),
	)
	t := object.get(lb.attributes, "load_balancer_type", "application")
	t != "application"
}

deny contains result if {
	input.type in {"aws_lb_listener", "aws_alb_listener"}
	http
	not redirects_to_https(aws.attrs)
	result := aws.result(sprintf("Listener %s serves HTTP without redirecting to HTTPS", [aws.label]), aws.attr_path("protocol"))
}

deny contains result if {
	input.type == "aws_elb"
	some i, l in aws.blocks(aws.attrs, "listener")
	is_string(l.lb_protocol)
	lower(l.lb_protocol) == "http"
	result := aws.result(sprintf("Classic load balancer %s has an HTTP listener", [aws.label]), ["attributes", "listener", i, "lb_protocol"])
}
