# METADATA
# title: CloudFront reaches a custom origin over HTTP
# description: >-
#   origin_protocol_policy http-only sends the traffic from CloudFront to the
#   origin unencrypted.
# custom:
#   id: PL-AWS-0068
#   kinds: [aws_cloudfront_distribution]
#   severity: MEDIUM
#   remediation: >-
#     Set origin_protocol_policy to https-only.
#   frameworks:
#     - AWS-FSBP-CloudFront.9
package plumbline.aws.cloudfront.origin_https

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type == "aws_cloudfront_distribution"
	some i, o in aws.blocks(aws.attrs, "origin")
	some j, c in aws.blocks(o, "custom_origin_config")
	c.origin_protocol_policy == "http-only"
	result := aws.result(sprintf("Distribution %s reaches origin %v over HTTP", [aws.label, object.get(o, "origin_id", i)]), ["attributes", "origin", i, "custom_origin_config", j, "origin_protocol_policy"])
}
