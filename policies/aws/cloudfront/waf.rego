# METADATA
# title: CloudFront distribution without WAF
# description: >-
#   A web ACL filters common attacks (injection, bots, rate abuse) before they
#   reach the origin.
# custom:
#   id: PL-AWS-0066
#   kinds: [aws_cloudfront_distribution]
#   severity: LOW
#   remediation: >-
#     Set web_acl_id to an AWS WAF web ACL.
#   frameworks:
#     - AWS-FSBP-CloudFront.6
package plumbline.aws.cloudfront.waf

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type == "aws_cloudfront_distribution"
	not aws.is_set(aws.attrs.web_acl_id)
	result := aws.result(sprintf("Distribution %s has no WAF web ACL", [aws.label]), aws.attr_path("web_acl_id"))
}
