# METADATA
# title: CloudFront allows outdated TLS
# description: >-
#   Viewers should be required to use TLS 1.2 or later
#   (minimum_protocol_version TLSv1.2_2021). On the default certificate
#   (cloudfront_default_certificate = true, the *.cloudfront.net name; also a
#   CloudFormation distribution without ViewerCertificate) CloudFront sets the
#   security policy to TLSv1 whatever minimum_protocol_version says, so such a
#   distribution accepts TLS 1.0 in every case.
# related_resources:
#   - https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_ViewerCertificate.html
# custom:
#   id: PL-AWS-0065
#   kinds: [aws_cloudfront_distribution]
#   severity: MEDIUM
#   remediation: >-
#     Use a custom certificate (ACM) for an alternate domain name, with
#     minimum_protocol_version = "TLSv1.2_2021".
#   frameworks:
#     - AWS-FSBP-CloudFront.10
package plumbline.aws.cloudfront.min_tls

import rego.v1

import data.plumbline.lib.aws

modern := {"TLSv1.2_2018", "TLSv1.2_2019", "TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025"}

# An explicit minimum below TLS 1.2 (on the default certificate, the finding
# below says more).
deny contains result if {
	input.type == "aws_cloudfront_distribution"
	some i, vc in aws.blocks(aws.attrs, "viewer_certificate")
	not aws.is_true(vc.cloudfront_default_certificate)
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
	not aws.is_unknown(vc.cloudfront_default_certificate)
	aws.absent(vc, "minimum_protocol_version")
	result := aws.result(sprintf("Distribution %s does not set minimum_protocol_version (TLSv1 by default)", [aws.label]), ["attributes", "viewer_certificate", i])
}

# The default certificate: TLSv1, whatever the minimum written.
deny contains result if {
	input.type == "aws_cloudfront_distribution"
	some i, vc in aws.blocks(aws.attrs, "viewer_certificate")
	aws.is_true(vc.cloudfront_default_certificate)
	result := aws.result(
		sprintf("Distribution %s uses the default CloudFront certificate, on which CloudFront accepts TLSv1%s", [aws.label, ignored(vc)]),
		["attributes", "viewer_certificate", i, "cloudfront_default_certificate"],
	)
}

# CloudFormation: a distribution without ViewerCertificate uses the default
# certificate. (Terraform requires the viewer_certificate block.)
deny contains result if {
	input.type == "aws_cloudfront_distribution"
	input.source == "cloudformation"
	aws.absent(aws.attrs, "viewer_certificate")
	result := aws.result(sprintf("Distribution %s declares no ViewerCertificate: it uses the default CloudFront certificate, on which CloudFront accepts TLSv1", [aws.label]), ["attributes"])
}

ignored(vc) := sprintf(" (minimum_protocol_version %q is ignored)", [vc.minimum_protocol_version]) if {
	is_string(vc.minimum_protocol_version)
	vc.minimum_protocol_version in modern
} else := ""
