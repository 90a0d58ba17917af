# METADATA
# title: CloudFront allows plain HTTP viewers
# description: >-
#   viewer_protocol_policy allow-all serves content over unencrypted HTTP.
# custom:
#   id: PL-AWS-0064
#   kinds: [aws_cloudfront_distribution]
#   severity: MEDIUM
#   remediation: >-
#     Set viewer_protocol_policy to redirect-to-https or https-only in every
#     cache behavior.
#   frameworks:
#     - AWS-FSBP-CloudFront.3
package plumbline.aws.cloudfront.https_only

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type == "aws_cloudfront_distribution"
	some kind in ["default_cache_behavior", "ordered_cache_behavior"]
	some i, b in aws.blocks(aws.attrs, kind)
	b.viewer_protocol_policy == "allow-all"
	result := aws.result(sprintf("Distribution %s serves HTTP (%s viewer_protocol_policy allow-all)", [aws.label, kind]), ["attributes", kind, i, "viewer_protocol_policy"])
}
