# METADATA
# title: CloudTrail trail not multi-region
# description: >-
#   A single-region trail, or one that excludes global service events, misses
#   API activity in the other regions and of IAM, where an attacker would
#   operate.
# custom:
#   id: PL-AWS-0044
#   kinds: [aws_cloudtrail]
#   severity: MEDIUM
#   remediation: >-
#     Set is_multi_region_trail to true and leave
#     include_global_service_events at true.
#   frameworks:
#     - CIS-AWS-Foundations-3.1
#     - AWS-FSBP-CloudTrail.1
package plumbline.aws.cloudtrail.multi_region

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type == "aws_cloudtrail"
	aws.not_true(aws.attrs, "is_multi_region_trail")
	result := aws.result(sprintf("Trail %s records one region only", [aws.label]), aws.attr_path("is_multi_region_trail"))
}

deny contains result if {
	input.type == "aws_cloudtrail"
	aws.is_true(aws.attrs.is_multi_region_trail)
	aws.is_false(aws.attrs.include_global_service_events)
	result := aws.result(sprintf("Trail %s excludes global service events (IAM, STS, CloudFront)", [aws.label]), ["attributes", "include_global_service_events"])
}
