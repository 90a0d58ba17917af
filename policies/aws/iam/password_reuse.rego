# METADATA
# title: IAM password policy allows password reuse
# description: >-
#   The account password policy should prevent the reuse of the last 24
#   passwords.
# custom:
#   id: PL-AWS-0025
#   kinds: [aws_iam_account_password_policy]
#   severity: MEDIUM
#   remediation: >-
#     Set password_reuse_prevention to 24.
#   frameworks:
#     - CIS-AWS-Foundations-1.9
#     - AWS-FSBP-IAM.16
package plumbline.aws.iam.password_reuse

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type == "aws_iam_account_password_policy"
	aws.absent(aws.attrs, "password_reuse_prevention")
	result := aws.result(sprintf("Password policy %s does not prevent password reuse", [aws.label]), ["attributes"])
}

deny contains result if {
	input.type == "aws_iam_account_password_policy"
	n := aws.number(aws.attrs.password_reuse_prevention)
	n < 24
	result := aws.result(sprintf("Password policy %s prevents the reuse of only %v passwords (24 required)", [aws.label, n]), ["attributes", "password_reuse_prevention"])
}
