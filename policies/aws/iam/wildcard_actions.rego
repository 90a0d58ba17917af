# METADATA
# title: IAM policy allows wildcard actions
# description: >-
#   An Allow statement with Action "*" or "service:*" grants every present and
#   future action of the service, far beyond what a workload needs.
# custom:
#   id: PL-AWS-0019
#   kinds: [aws_iam_policy, aws_iam_role_policy, aws_iam_user_policy, aws_iam_group_policy, aws_iam_role, aws_iam_user, aws_iam_group]
#   severity: HIGH
#   remediation: >-
#     List the actions the principal needs instead of a wildcard.
#   frameworks:
#     - AWS-FSBP-IAM.21
package plumbline.aws.iam.wildcard_actions

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	some p in aws.iam_policies
	some s in aws.allow_statements(p.doc)
	some a in aws.actions(s)
	wildcard(a)
	result := aws.result(sprintf("%s allows the wildcard action %q", [p.label, a]), p.path)
}

wildcard(a) if a == "*"

wildcard(a) if endswith(a, ":*")
