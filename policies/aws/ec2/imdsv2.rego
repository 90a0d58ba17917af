# METADATA
# title: Instance metadata service v1 enabled
# description: >-
#   IMDSv1 answers unauthenticated GET requests, so an SSRF in the workload
#   leaks the instance role's credentials; IMDSv2 requires a session token.
# custom:
#   id: PL-AWS-0039
#   kinds: [aws_instance, aws_launch_template, aws_launch_configuration]
#   severity: HIGH
#   remediation: >-
#     Set metadata_options { http_tokens = "required" } (or http_endpoint =
#     "disabled").
#   frameworks:
#     - AWS-FSBP-EC2.8
package plumbline.aws.ec2.imdsv2

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type in {"aws_instance", "aws_launch_template", "aws_launch_configuration"}
	opts := aws.block(aws.attrs, "metadata_options")
	not opts.http_endpoint == "disabled"
	not aws.is_unknown(opts.http_tokens)
	not opts.http_tokens == "required"
	result := aws.result(sprintf("%s does not require IMDSv2 (metadata_options.http_tokens)", [aws.label]), aws.block_attr_path("metadata_options", "http_tokens"))
}
