# METADATA
# title: IAM role can be assumed by anyone
# description: >-
#   A role trust policy that allows Principal "*" without a condition lets any
#   AWS account assume the role.
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
	not aws.has_condition(s)
	result := aws.result(sprintf("IAM role %s can be assumed by any principal", [aws.label]), ["attributes", "assume_role_policy"])
}
