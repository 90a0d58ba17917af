# METADATA
# title: Load balancer listener allows outdated TLS
# description: >-
#   HTTPS and TLS listeners must use a security policy that refuses TLS 1.0
#   and 1.1; without ssl_policy the listener uses ELBSecurityPolicy-2016-08,
#   which accepts them.
# custom:
#   id: PL-AWS-0053
#   kinds: [aws_lb_listener, aws_alb_listener]
#   severity: HIGH
#   remediation: >-
#     Set ssl_policy to ELBSecurityPolicy-TLS13-1-2-2021-06 (or another TLS
#     1.2+ policy).
#   frameworks:
#     - AWS-FSBP-ELB.17
package plumbline.aws.elb.tls_policy

import rego.v1

import data.plumbline.lib.aws

outdated := {
	"ELBSecurityPolicy-2011-08", "ELBSecurityPolicy-2015-05", "ELBSecurityPolicy-2016-08",
	"ELBSecurityPolicy-TLS-1-0-2015-04", "ELBSecurityPolicy-TLS-1-1-2017-01",
	"ELBSecurityPolicy-FS-2018-06", "ELBSecurityPolicy-FS-1-1-2019-08",
	"ELBSecurityPolicy-TLS13-1-0-2021-06", "ELBSecurityPolicy-TLS13-1-1-2021-06",
	"ELBSecurityPolicy-TLS13-1-0-PQ-2025-09", "ELBSecurityPolicy-TLS13-1-1-PQ-2025-09",
	"ELBSecurityPolicy-TLS13-1-0-FIPS-2023-04", "ELBSecurityPolicy-TLS13-1-1-FIPS-2023-04",
}

deny contains result if {
	input.type in {"aws_lb_listener", "aws_alb_listener"}
	is_string(aws.attrs.protocol)
	upper(aws.attrs.protocol) in {"HTTPS", "TLS"}
	aws.absent(aws.attrs, "ssl_policy")
	result := aws.result(sprintf("Listener %s uses the default TLS policy, which allows TLS 1.0", [aws.label]), ["attributes", "protocol"])
}

deny contains result if {
	input.type in {"aws_lb_listener", "aws_alb_listener"}
	policy := aws.attrs.ssl_policy
	policy in outdated
	result := aws.result(sprintf("Listener %s uses %s, which allows TLS below 1.2", [aws.label, policy]), ["attributes", "ssl_policy"])
}
