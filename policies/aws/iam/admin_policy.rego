# METADATA
# title: IAM policy grants full administrator access
# description: >-
#   A statement allowing Action "*" on Resource "*" gives full control of the
#   account; administrator access should come from AWS-managed roles assumed
#   with MFA, never from custom policies.
# custom:
#   id: PL-AWS-0021
#   kinds: [aws_iam_policy, aws_iam_role_policy, aws_iam_user_policy, aws_iam_group_policy, aws_iam_role, aws_iam_user, aws_iam_group]
#   severity: CRITICAL
#   remediation: >-
#     Grant the specific actions and resources needed.
#   frameworks:
#     - CIS-AWS-Foundations-1.16
#     - AWS-FSBP-IAM.1
package plumbline.aws.iam.admin_policy

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	some p in aws.iam_policies
	some s in aws.allow_statements(p.doc)
	aws.all_actions(s)
	aws.all_resources(s)
	result := aws.result(sprintf("%s grants full administrator access (\"*:*\")", [p.label]), p.path)
}
