# METADATA
# title: KMS key policy allows everyone
# description: >-
#   A key policy statement that allows Principal "*" without a condition on
#   the caller (account, organization, source...) lets any AWS account use or
#   manage the key, and so read what it encrypts.
# custom:
#   id: PL-AWS-0077
#   kinds: [aws_kms_key, aws_kms_key_policy]
#   severity: CRITICAL
#   remediation: >-
#     Name the accounts and roles that use the key, or restrict the statement
#     with kms:CallerAccount or aws:PrincipalOrgID.
#   frameworks:
#     - AWS-FSBP-KMS.5
package plumbline.aws.kms.public_policy

import rego.v1

import data.plumbline.lib.aws

# kms:CallerAccount limits a statement to the callers of one account (the
# condition AWS itself writes in the policies of AWS managed keys).
restricted(s) if aws.restricting_condition(s)

restricted(s) if aws.narrowing_condition(s, {"kms:calleraccount"})

deny contains result if {
	input.type in {"aws_kms_key", "aws_kms_key_policy"}
	doc := aws.policy_doc(aws.attrs.policy)
	some s in aws.allow_statements(doc)
	aws.public_principal(s)
	not restricted(s)
	result := aws.result(sprintf("%s has a key policy statement that allows everyone (Principal \"*\")", [aws.label]), ["attributes", "policy"])
}
