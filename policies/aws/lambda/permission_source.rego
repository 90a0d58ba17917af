# METADATA
# title: Lambda permission for a service without source ARN
# description: >-
#   A permission granted to an AWS service without source_arn lets resources
#   of other accounts (a bucket, a topic...) trigger the function (confused
#   deputy). A source_arn that matches the resources of any account ("*",
#   arn:aws:s3:::*, arn:aws:sns:*:*:topic: Lambda compares it with StringLike)
#   is no restriction, unless source_account names the account.
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

deny contains result if {
	input.type == "aws_lambda_permission"
	principal := aws.attrs.principal
	is_string(principal)
	endswith(principal, ".amazonaws.com")
	arn := aws.attrs.source_arn
	aws.non_empty_string(arn)
	not aws.restricting_value("aws:sourcearn", arn)
	not account_fixed
	result := aws.result(sprintf("%s grants %s with source_arn %q, which matches resources of any account", [aws.label, principal, arn]), ["attributes", "source_arn"])
}

# source_account limits the source to one account's resources.
account_fixed if {
	v := aws.attrs.source_account
	v != null
	aws.restricting_value("aws:sourceaccount", v)
}
