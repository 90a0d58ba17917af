# METADATA
# title: IAM password policy does not expire passwords
# description: >-
#   Passwords should expire within 90 days.
# custom:
#   id: PL-AWS-0027
#   kinds: [aws_iam_account_password_policy]
#   severity: LOW
#   remediation: >-
#     Set max_password_age to 90 or fewer days.
#   frameworks:
#     - AWS-FSBP-IAM.7
package plumbline.aws.iam.password_max_age

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type == "aws_iam_account_password_policy"
	aws.absent(aws.attrs, "max_password_age")
	result := aws.result(sprintf("Password policy %s does not expire passwords", [aws.label]), ["attributes"])
}

deny contains result if {
	input.type == "aws_iam_account_password_policy"
	n := aws.number(aws.attrs.max_password_age)
	n > 90
	result := aws.result(sprintf("Password policy %s lets passwords live %v days (90 at most)", [aws.label, n]), ["attributes", "max_password_age"])
}
