# METADATA
# title: IAM policy granted directly to a user
# description: >-
#   Permissions should be granted to groups or roles; inline user policies and
#   policies attached directly to users are hard to audit and stay behind when
#   duties change.
# custom:
#   id: PL-AWS-0022
#   kinds: [aws_iam_user_policy, aws_iam_user_policy_attachment, aws_iam_policy_attachment, aws_iam_policy, aws_iam_user]
#   severity: LOW
#   remediation: >-
#     Attach the permissions to a group the user belongs to, or to a role the
#     user assumes.
#   frameworks:
#     - CIS-AWS-Foundations-1.15
#     - AWS-FSBP-IAM.2
package plumbline.aws.iam.user_policies

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type == "aws_iam_user_policy"
	result := aws.result(sprintf("%s is an inline policy on an IAM user", [aws.label]), aws.attr_path("user"))
}

deny contains result if {
	input.type == "aws_iam_user_policy_attachment"
	result := aws.result(sprintf("%s attaches a policy directly to an IAM user", [aws.label]), aws.attr_path("user"))
}

# CloudFormation: AWS::IAM::User Policies / ManagedPolicyArns, and
# AWS::IAM::Policy Users.
deny contains result if {
	input.type == "aws_iam_user"
	some i, _ in aws.blocks(aws.attrs, "inline_policy")
	result := aws.result(sprintf("IAM user %s has an inline policy", [aws.label]), ["attributes", "inline_policy", i])
}

deny contains result if {
	input.type == "aws_iam_user"
	arns := aws.attrs.managed_policy_arns
	aws.is_set(arns)
	result := aws.result(sprintf("IAM user %s has managed policies attached directly", [aws.label]), ["attributes", "managed_policy_arns"])
}

deny contains result if {
	input.type in {"aws_iam_policy_attachment", "aws_iam_policy"}
	users := aws.attrs.users
	aws.is_set(users)
	not aws.is_unknown(users)
	result := aws.result(sprintf("%s attaches a policy directly to IAM users", [aws.label]), ["attributes", "users"])
}
