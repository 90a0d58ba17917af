# METADATA
# title: IAM password policy allows short passwords
# description: >-
#   The account password policy should require at least 14 characters.
# custom:
#   id: PL-AWS-0024
#   kinds: [aws_iam_account_password_policy]
#   severity: MEDIUM
#   remediation: >-
#     Set minimum_password_length to 14 or more.
#   frameworks:
#     - CIS-AWS-Foundations-1.8
#     - AWS-FSBP-IAM.15
package plumbline.aws.iam.password_length

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type == "aws_iam_account_password_policy"
	aws.absent(aws.attrs, "minimum_password_length")
	result := aws.result(sprintf("Password policy %s does not set minimum_password_length (default 6)", [aws.label]), ["attributes"])
}

deny contains result if {
	input.type == "aws_iam_account_password_policy"
	n := aws.number(aws.attrs.minimum_password_length)
	n < 14
	result := aws.result(sprintf("Password policy %s allows passwords of %v characters (14 required)", [aws.label, n]), ["attributes", "minimum_password_length"])
}
