# METADATA
# title: DynamoDB table not encrypted with a customer managed key
# description: >-
#   Tables are encrypted with an AWS owned key by default; a customer managed
#   KMS key gives control over and an audit trail of its use.
# custom:
#   id: PL-AWS-0059
#   kinds: [aws_dynamodb_table]
#   severity: LOW
#   remediation: >-
#     Add server_side_encryption { enabled = true, kms_key_arn = ... }.
package plumbline.aws.dynamodb.cmk

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type == "aws_dynamodb_table"
	sse := aws.block(aws.attrs, "server_side_encryption")
	aws.not_true(sse, "enabled")
	result := aws.result(sprintf("DynamoDB table %s does not use a customer managed KMS key", [aws.label]), aws.block_attr_path("server_side_encryption", "enabled"))
}

deny contains result if {
	input.type == "aws_dynamodb_table"
	sse := aws.block(aws.attrs, "server_side_encryption")
	aws.is_true(sse.enabled)
	not aws.is_set(sse.kms_key_arn)
	result := aws.result(sprintf("DynamoDB table %s uses the AWS managed key instead of a customer managed key", [aws.label]), ["attributes", "server_side_encryption", 0])
}

deny contains result if {
	input.type == "aws_dynamodb_table"
	sse := aws.block(aws.attrs, "server_side_encryption")
	aws.is_true(sse.enabled)
	aws.aws_managed_key(sse.kms_key_arn)
	result := aws.result(sprintf("DynamoDB table %s uses the AWS managed key %s", [aws.label, sse.kms_key_arn]), ["attributes", "server_side_encryption", 0, "kms_key_arn"])
}
