# METADATA
# title: IAM policy allows write actions on all resources
# description: >-
#   An Allow statement with Resource "*" for actions other than read-only
#   List/Describe/Get ones applies to every resource of the account.
# custom:
#   id: PL-AWS-0020
#   kinds: [aws_iam_policy, aws_iam_role_policy, aws_iam_user_policy, aws_iam_group_policy, aws_iam_role, aws_iam_user, aws_iam_group]
#   severity: MEDIUM
#   remediation: >-
#     Name the resources (ARNs) the statement applies to.
#   frameworks:
#     - AWS-FSBP-IAM.21
package plumbline.aws.iam.wildcard_resources

import rego.v1

import data.plumbline.lib.aws

read_only(a) if {
	parts := split(a, ":")
	count(parts) == 2
	some prefix in ["describe", "list", "get", "head"]
	startswith(parts[1], prefix)
	not contains(parts[1], "*")
}

deny contains result if {
	some p in aws.iam_policies
	some s in aws.allow_statements(p.doc)
	aws.all_resources(s)
	writes := [a | some a in aws.actions(s); not read_only(a)]
	count(writes) > 0
	result := aws.result(sprintf("%s allows %s on all resources (\"*\")", [p.label, concat(", ", sort(writes))]), p.path)
}
