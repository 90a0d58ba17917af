# METADATA
# title: CloudTrail logs not encrypted with KMS
# description: >-
#   Encrypting trail logs with a customer managed KMS key adds access control
#   and an audit trail on who reads them.
# custom:
#   id: PL-AWS-0046
#   kinds: [aws_cloudtrail]
#   severity: MEDIUM
#   remediation: >-
#     Set kms_key_id to a customer managed KMS key.
#   frameworks:
#     - CIS-AWS-Foundations-3.5
#     - AWS-FSBP-CloudTrail.2
package plumbline.aws.cloudtrail.kms_encryption

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type == "aws_cloudtrail"
	not aws.is_set(aws.attrs.kms_key_id)
	result := aws.result(sprintf("Trail %s does not encrypt its logs with KMS", [aws.label]), aws.attr_path("kms_key_id"))
}
