# METADATA
# title: Lambda permission for a service without source ARN
# description: >-
#   A permission granted to an AWS service without source_arn lets resources
#   of other accounts (a bucket, a topic...) trigger the function (confused
#   deputy).
# custom:
#   id: PL-AWS-0051
#   kinds: [aws_lambda_permission]
#   severity: MEDIUM
#   remediation: >-
#     Set source_arn to the resource that triggers the function (and
#     source_account for S3).
#   frameworks:
#     - AWS-FSBP-Lambda.1
package plumbline.aws.lambda.permission_source

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type == "aws_lambda_permission"
	principal := aws.attrs.principal
	is_string(principal)
	endswith(principal, ".amazonaws.com")
	not aws.is_set(aws.attrs.source_arn)
	result := aws.result(sprintf("%s grants %s without source_arn", [aws.label, principal]), ["attributes", "principal"])
}
