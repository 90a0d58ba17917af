# METADATA
# title: IAM role can be assumed by anyone
# description: >-
#   A role trust policy that allows Principal "*" without a condition that
#   limits the callers lets any AWS account assume the role. A condition limits
#   them when it requires fixed values of a caller key (aws:PrincipalOrgID,
#   aws:PrincipalAccount, aws:PrincipalArn, aws:SourceIp, aws:SourceVpce...) or
#   of sts:ExternalId; a wildcard value ("*", vpce-*), an ...IfExists or negated
#   operator, or a key that says nothing about the caller
#   (aws:MultiFactorAuthPresent) does not.
# custom:
#   id: PL-AWS-0029
#   kinds: [aws_iam_role]
#   severity: CRITICAL
#   remediation: >-
#     Name the accounts, services or identity providers that may assume the
#     role, or add a condition such as aws:PrincipalOrgID or sts:ExternalId.
package plumbline.aws.iam.trust_any_principal

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type == "aws_iam_role"
	doc := aws.policy_doc(aws.attrs.assume_role_policy)
	some s in aws.allow_statements(doc)
	aws.public_principal(s)
	not restricted(s)
	result := aws.result(sprintf("IAM role %s can be assumed by any principal", [aws.label]), ["attributes", "assume_role_policy"])
}

restricted(s) if aws.restricting_condition(s)

# An external id, a fixed value the caller must pass, limits the callers to those
# who were given it.
restricted(s) if aws.narrowing_condition(s, {"sts:externalid"})
