# METADATA
# title: IAM policy attached directly to a user
# description: >-
#   Policies attached directly to users are hard to audit; permissions should
#   come from groups or roles.
# custom:
#   id: PL-AWS-0023
#   kinds: [aws_iam_user_policy_attachment, aws_iam_policy_attachment]
#   severity: LOW
#   remediation: >-
#     Attach the policy to a group and add the user to it.
#   frameworks:
#     - CIS-AWS-Foundations-1.15
#     - AWS-FSBP-IAM.2
package plumbline.aws.iam.user_policy_attachment

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type == "aws_iam_user_policy_attachment"
	result := aws.result(sprintf("%s attaches a policy directly to an IAM user", [aws.label]), aws.attr_path("user"))
}

deny contains result if {
	input.type == "aws_iam_policy_attachment"
	users := aws.attrs.users
	aws.is_set(users)
	not aws.is_unknown(users)
	result := aws.result(sprintf("%s attaches a policy directly to IAM users", [aws.label]), ["attributes", "users"])
}
