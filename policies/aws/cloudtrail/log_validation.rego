# METADATA
# title: CloudTrail log file validation disabled
# description: >-
#   Log file validation signs digest files, so that altered or deleted log
#   files can be detected.
# custom:
#   id: PL-AWS-0045
#   kinds: [aws_cloudtrail]
#   severity: MEDIUM
#   remediation: >-
#     Set enable_log_file_validation to true.
#   frameworks:
#     - CIS-AWS-Foundations-3.2
#     - AWS-FSBP-CloudTrail.4
package plumbline.aws.cloudtrail.log_validation

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type == "aws_cloudtrail"
	aws.not_true(aws.attrs, "enable_log_file_validation")
	result := aws.result(sprintf("Trail %s does not validate log files", [aws.label]), aws.attr_path("enable_log_file_validation"))
}
