# METADATA
# title: Access key created for an IAM user
# description: >-
#   Long-lived access keys of IAM users leak through laptops, CI logs and
#   state files; workloads and people should use roles and temporary
#   credentials.
# custom:
#   id: PL-AWS-0028
#   kinds: [aws_iam_access_key]
#   severity: MEDIUM
#   remediation: >-
#     Use an IAM role (instance profile, IRSA, OIDC federation, SSO) instead
#     of an access key; if one is unavoidable, rotate it at least every 90
#     days.
#   frameworks:
#     - CIS-AWS-Foundations-1.11
#     - CIS-AWS-Foundations-1.14
#     - AWS-FSBP-IAM.3
package plumbline.aws.iam.user_access_key

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type == "aws_iam_access_key"
	not aws.attrs.status == "Inactive"
	result := aws.result(sprintf("%s creates an active access key for IAM user %v", [aws.label, user]), aws.attr_path("user"))
}

user := aws.attrs.user if is_string(aws.attrs.user)

else := "(computed)"
