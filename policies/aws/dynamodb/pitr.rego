# METADATA
# title: DynamoDB point-in-time recovery disabled
# description: >-
#   Point-in-time recovery restores a table to any second of the last 35 days
#   after a faulty write or deletion.
# custom:
#   id: PL-AWS-0058
#   kinds: [aws_dynamodb_table]
#   severity: MEDIUM
#   remediation: >-
#     Add point_in_time_recovery { enabled = true }.
#   frameworks:
#     - AWS-FSBP-DynamoDB.2
package plumbline.aws.dynamodb.pitr

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type == "aws_dynamodb_table"
	pitr := aws.block(aws.attrs, "point_in_time_recovery")
	aws.not_true(pitr, "enabled")
	result := aws.result(sprintf("DynamoDB table %s does not enable point-in-time recovery", [aws.label]), aws.block_attr_path("point_in_time_recovery", "enabled"))
}
