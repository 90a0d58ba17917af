# METADATA
# title: CloudFront allows outdated TLS
# description: >-
#   Viewers should be required to use TLS 1.2 or later
#   (minimum_protocol_version TLSv1.2_2021).
# custom:
#   id: PL-AWS-0065
#   kinds: [aws_cloudfront_distribution]
#   severity: MEDIUM
#   remediation: >-
#     Use a custom certificate with minimum_protocol_version = "TLSv1.2_2021".
#   frameworks:
#     - AWS-FSBP-CloudFront.10
package plumbline.aws.cloudfront.min_tls

import rego.v1

import data.plumbline.lib.aws

modern := {"TLSv1.2_2018", "TLSv1.2_2019", "TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025"}

# An explicit minimum below TLS 1.2.
deny contains result if {
	input.type == "aws_cloudfront_distribution"
	some i, vc in aws.blocks(aws.attrs, "viewer_certificate")
	v := vc.minimum_protocol_version
	is_string(v)
	not v in modern
	result := aws.result(sprintf("Distribution %s accepts %v", [aws.label, v]), ["attributes", "viewer_certificate", i, "minimum_protocol_version"])
}

# A custom certificate without a minimum gets TLSv1.
deny contains result if {
	input.type == "aws_cloudfront_distribution"
	some i, vc in aws.blocks(aws.attrs, "viewer_certificate")
	not aws.is_true(vc.cloudfront_default_certificate)
	aws.absent(vc, "minimum_protocol_version")
	result := aws.result(sprintf("Distribution %s does not set minimum_protocol_version (TLSv1 by default)", [aws.label]), ["attributes", "viewer_certificate", i])
}
