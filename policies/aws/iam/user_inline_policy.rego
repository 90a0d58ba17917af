# METADATA
# title: IAM user with an inline policy
# description: >-
#   Permissions should be granted to groups or roles; inline user policies are
#   hard to audit and stay behind when duties change.
# custom:
#   id: PL-AWS-0022
#   kinds: [aws_iam_user_policy]
#   severity: LOW
#   remediation: >-
#     Attach the permissions to a group the user belongs to, or to a role the
#     user assumes.
#   frameworks:
#     - CIS-AWS-Foundations-1.15
#     - AWS-FSBP-IAM.2
package plumbline.aws.iam.user_inline_policy

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type == "aws_iam_user_policy"
	result := aws.result(sprintf("%s is an inline policy on an IAM user", [aws.label]), aws.attr_path("user"))
}
