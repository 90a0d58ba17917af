# METADATA
# title: IAM policy allows passing any role
# description: >-
#   iam:PassRole on Resource "*" lets the principal hand any role of the
#   account, administrator roles included, to a service it controls: a direct
#   privilege escalation. A condition narrows it only when it requires fixed
#   values of iam:PassedToService, iam:AssociatedResourceArn or a tag of the
#   role (aws:ResourceTag/..., iam:ResourceTag/...); a wildcard value
#   ("*.amazonaws.com"), an ...IfExists or negated operator, or a condition on
#   something else (aws:MultiFactorAuthPresent) leaves every role passable.
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
	not narrowed(s)
	result := aws.result(sprintf("%s allows iam:PassRole on every role", [p.label]), p.path)
}

narrowed(s) if aws.narrowing_condition(s, {"iam:passedtoservice", "iam:associatedresourcearn"})

narrowed(s) if {
	is_object(s.Condition)
	some op, tests in s.Condition
	is_object(tests)
	some k, v in tests
	is_string(k)
	some prefix in ["aws:resourcetag/", "iam:resourcetag/"]
	startswith(lower(k), prefix)
	aws.narrowing_condition({"Condition": {op: {k: v}}}, {lower(k)})
}

# A condition not known before apply may narrow it.
narrowed(s) if aws.is_unknown(s.Condition)
