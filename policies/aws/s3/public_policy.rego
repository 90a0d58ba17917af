# METADATA
# title: S3 bucket policy allows everyone
# description: >-
#   A bucket policy statement that allows Principal "*" without a condition
#   on the caller (source IP, VPC, account, organization...)
#   makes the bucket's objects public.
# custom:
#   id: PL-AWS-0008
#   kinds: [aws_s3_bucket, aws_s3_bucket_policy]
#   severity: CRITICAL
#   remediation: >-
#     Name the principals that need access, or restrict the statement with a
#     condition (aws:SourceVpce, aws:PrincipalOrgID...).
#   frameworks:
#     - AWS-FSBP-S3.2
#     - AWS-FSBP-S3.3
package plumbline.aws.s3.public_policy

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type in {"aws_s3_bucket", "aws_s3_bucket_policy"}
	doc := aws.policy_doc(aws.attrs.policy)
	some s in aws.allow_statements(doc)
	aws.public_principal(s)
	not aws.restricting_condition(s)
	result := aws.result(sprintf("%s has a policy statement that allows everyone (Principal \"*\")", [aws.label]), ["attributes", "policy"])
}
