# METADATA
# title: Lambda function invocable by anyone
# description: >-
#   A permission with principal "*" lets any AWS account (or anyone, with a
#   function URL) invoke the function.
# custom:
#   id: PL-AWS-0050
#   kinds: [aws_lambda_permission]
#   severity: CRITICAL
#   remediation: >-
#     Name the account or service that may invoke the function, and restrict
#     it with source_arn or source_account.
#   frameworks:
#     - AWS-FSBP-Lambda.1
package plumbline.aws.lambda.public_permission

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type == "aws_lambda_permission"
	aws.attrs.principal == "*"
	not aws.is_set(aws.attrs.source_arn)
	not aws.is_set(aws.attrs.source_account)
	not aws.is_set(aws.attrs.principal_org_id)
	result := aws.result(sprintf("%s lets any principal invoke the function", [aws.label]), ["attributes", "principal"])
}
