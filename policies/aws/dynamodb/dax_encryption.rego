# METADATA
# title: DAX cluster not encrypted at rest
# description: >-
#   DynamoDB Accelerator caches table data; it must be encrypted at rest like
#   the table.
# custom:
#   id: PL-AWS-0060
#   kinds: [aws_dax_cluster]
#   severity: MEDIUM
#   remediation: >-
#     Add server_side_encryption { enabled = true }.
#   frameworks:
#     - AWS-FSBP-DynamoDB.3
package plumbline.aws.dynamodb.dax_encryption

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type == "aws_dax_cluster"
	aws.not_true(aws.block(aws.attrs, "server_side_encryption"), "enabled")
	result := aws.result(sprintf("DAX cluster %s is not encrypted at rest", [aws.label]), aws.block_attr_path("server_side_encryption", "enabled"))
}
