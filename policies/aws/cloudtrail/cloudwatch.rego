# METADATA
# title: CloudTrail not integrated with CloudWatch Logs
# description: >-
#   Sending the trail to CloudWatch Logs enables real-time alarms on API
#   activity.
# custom:
#   id: PL-AWS-0047
#   kinds: [aws_cloudtrail]
#   severity: LOW
#   remediation: >-
#     Set cloud_watch_logs_group_arn and cloud_watch_logs_role_arn.
#   frameworks:
#     - CIS-AWS-Foundations-3.4
#     - AWS-FSBP-CloudTrail.5
package plumbline.aws.cloudtrail.cloudwatch

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type == "aws_cloudtrail"
	not aws.is_set(aws.attrs.cloud_watch_logs_group_arn)
	result := aws.result(sprintf("Trail %s does not deliver to CloudWatch Logs", [aws.label]), aws.attr_path("cloud_watch_logs_group_arn"))
}
