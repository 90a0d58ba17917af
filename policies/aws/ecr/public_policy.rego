# METADATA
# title: ECR repository policy allows everyone
# description: >-
#   A repository policy statement that allows Principal "*" without a
#   condition on the caller (account, organization, source...) lets any AWS
#   account pull, or with write actions push, the repository's images.
# custom:
#   id: PL-AWS-0078
#   kinds: [aws_ecr_repository, aws_ecr_repository_policy]
#   severity: HIGH
#   remediation: >-
#     Name the accounts that pull the images, or restrict the statement with
#     aws:PrincipalOrgID or aws:SourceAccount; publish public images through
#     ECR Public instead.
package plumbline.aws.ecr.public_policy

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type in {"aws_ecr_repository", "aws_ecr_repository_policy"}
	doc := aws.policy_doc(aws.attrs.policy)
	some s in aws.allow_statements(doc)
	aws.public_principal(s)
	not aws.restricting_condition(s)
	result := aws.result(sprintf("%s has a repository policy statement that allows everyone (Principal \"*\")", [aws.label]), ["attributes", "policy"])
}
