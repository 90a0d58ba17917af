# METADATA
# title: CloudFront access logging disabled
# description: >-
#   Access logs record every request the distribution served.
# custom:
#   id: PL-AWS-0067
#   kinds: [aws_cloudfront_distribution]
#   severity: LOW
#   remediation: >-
#     Add logging_config { bucket = ... }.
#   frameworks:
#     - AWS-FSBP-CloudFront.5
package plumbline.aws.cloudfront.logging

import rego.v1

import data.plumbline.lib.aws

# Standard logging v2: a CloudWatch log delivery source for the distribution.
v2_logging if {
	some src in aws.attached("aws_cloudwatch_log_delivery_source", "resource_arn")
	some d in aws.related_of_type("aws_cloudwatch_log_delivery")
	aws.may_refer_to(d.attributes.delivery_source_name, src)
}

deny contains result if {
	input.type == "aws_cloudfront_distribution"
	count(aws.blocks(aws.attrs, "logging_config")) == 0
	not aws.is_unknown(aws.attrs.logging_config)
	not v2_logging
	result := aws.result(sprintf("Distribution %s does not log requests", [aws.label]), ["attributes"])
}
