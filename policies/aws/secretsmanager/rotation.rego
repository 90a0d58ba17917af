# METADATA
# title: Secrets Manager secret without rotation
# description: >-
#   Secrets that never rotate stay valid long after they leak.
# custom:
#   id: PL-AWS-0072
#   kinds: [aws_secretsmanager_secret]
#   severity: MEDIUM
#   remediation: >-
#     Add an aws_secretsmanager_secret_rotation for the secret with a rotation
#     Lambda and rotation_rules.
#   frameworks:
#     - AWS-FSBP-SecretsManager.1
package plumbline.aws.secretsmanager.rotation

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type == "aws_secretsmanager_secret"
	count(aws.attached("aws_secretsmanager_secret_rotation", "secret_id")) == 0
	count(aws.blocks(aws.attrs, "rotation_rules")) == 0
	not aws.is_set(aws.attrs.rotation_lambda_arn)
	result := aws.result(sprintf("Secret %s is not rotated automatically", [aws.label]), ["attributes"])
}
