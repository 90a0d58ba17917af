# METADATA
# title: Secrets Manager secret not encrypted with a customer managed key
# description: >-
#   Secrets encrypted with the AWS managed key can be read by every principal
#   of the account with secretsmanager:GetSecretValue; a customer managed key
#   adds a key policy and an audit trail.
# custom:
#   id: PL-AWS-0073
#   kinds: [aws_secretsmanager_secret]
#   severity: LOW
#   remediation: >-
#     Set kms_key_id to a customer managed KMS key.
package plumbline.aws.secretsmanager.cmk

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type == "aws_secretsmanager_secret"
	not aws.is_set(aws.attrs.kms_key_id)
	result := aws.result(sprintf("Secret %s uses the AWS managed key", [aws.label]), aws.attr_path("kms_key_id"))
}

deny contains result if {
	input.type == "aws_secretsmanager_secret"
	aws.aws_managed_key(aws.attrs.kms_key_id)
	result := aws.result(sprintf("Secret %s uses the AWS managed key %s", [aws.label, aws.attrs.kms_key_id]), ["attributes", "kms_key_id"])
}
