# METADATA
# title: Application load balancer keeps invalid HTTP headers
# description: >-
#   Dropping invalid header fields protects the targets from HTTP desync and
#   request smuggling.
# custom:
#   id: PL-AWS-0054
#   kinds: [aws_lb, aws_alb]
#   severity: MEDIUM
#   remediation: >-
#     Set drop_invalid_header_fields to true.
#   frameworks:
#     - AWS-FSBP-ELB.4
package plumbline.aws.elb.drop_invalid_headers

import rego.v1

import data.plumbline.lib.aws

application if aws.absent(aws.attrs, "load_balancer_type")

application if aws.attrs.load_balancer_type == "application"

deny contains result if {
	input.type in {"aws_lb", "aws_alb"}
	application
	aws.not_true(aws.attrs, "drop_invalid_header_fields")
	result := aws.result(sprintf("Application load balancer %s does not drop invalid header fields", [aws.label]), aws.attr_path("drop_invalid_header_fields"))
}
