# METADATA
# title: IAM policy allows passing any role
# description: >-
#   iam:PassRole on Resource "*" lets the principal hand any role of the
#   account, administrator roles included, to a service it controls: a direct
#   privilege escalation.
# custom:
#   id: PL-AWS-0023
#   kinds: [aws_iam_policy, aws_iam_role_policy, aws_iam_user_policy, aws_iam_group_policy, aws_iam_role, aws_iam_user, aws_iam_group]
#   severity: HIGH
#   remediation: >-
#     Limit iam:PassRole to the ARNs of the roles the principal must pass, and
#     add an iam:PassedToService condition.
#   frameworks:
#     - AWS-FSBP-IAM.21
package plumbline.aws.iam.passrole_all

import rego.v1

import data.plumbline.lib.aws

# Any action pattern that matches iam:PassRole (iam:*, iam:Pass*, iam:*Role, *).
passes_role(s) if {
	some a in aws.actions(s)
	aws.action_matches(a, "iam:passrole")
}

deny contains result if {
	some p in aws.iam_policies
	some s in aws.allow_statements(p.doc)
	passes_role(s)
	aws.all_resources(s)
	not aws.has_condition(s)
	result := aws.result(sprintf("%s allows iam:PassRole on every role", [p.label]), p.path)
}
