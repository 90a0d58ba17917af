# METADATA
# title: Lambda function invocable by anyone
# description: >-
#   A permission with principal "*" lets any AWS account (or anyone, with a
#   function URL) invoke the function, unless source_arn, source_account or
#   principal_org_id limits the callers. Lambda compares source_arn with
#   StringLike, so a wildcard value ("*", arn:aws:s3:::*, an ARN of any
#   account) limits nothing; nor does a wildcard account or organization.
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
	not restricted
	result := aws.result(sprintf("%s lets any principal invoke the function%s", [aws.label, wildcard_note]), ["attributes", "principal"])
}

# source_arn, source_account and principal_org_id are the conditions Lambda adds
# to the statement (aws:SourceArn, aws:SourceAccount, aws:PrincipalOrgID); one
# that restricts (a value not known before apply is assumed to) is enough.
condition_keys := {"source_arn": "aws:sourcearn", "source_account": "aws:sourceaccount", "principal_org_id": "aws:principalorgid"}

restricted if {
	some attr, key in condition_keys
	v := aws.attrs[attr]
	v != null
	aws.restricting_value(key, v)
}

# The wildcard values are named in the message, so the reader sees why they do not count.
wildcards := [sprintf("%s = %q", [attr, aws.attrs[attr]]) |
	some attr in ["source_arn", "source_account", "principal_org_id"]
	aws.non_empty_string(aws.attrs[attr])
]

wildcard_note := sprintf(" (%s: no restriction)", [concat(", ", wildcards)]) if count(wildcards) > 0

else := ""
