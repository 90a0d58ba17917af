# METADATA
# title: IAM password policy does not require complex passwords
# description: >-
#   The account password policy should require upper-case and lower-case
#   letters, numbers and symbols.
# custom:
#   id: PL-AWS-0026
#   kinds: [aws_iam_account_password_policy]
#   severity: MEDIUM
#   remediation: >-
#     Set require_uppercase_characters, require_lowercase_characters,
#     require_numbers and require_symbols to true.
#   frameworks:
#     - AWS-FSBP-IAM.7
package plumbline.aws.iam.password_complexity

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type == "aws_iam_account_password_policy"
	some setting in ["require_uppercase_characters", "require_lowercase_characters", "require_numbers", "require_symbols"]
	aws.not_true(aws.attrs, setting)
	result := aws.result(sprintf("Password policy %s does not set %s", [aws.label, setting]), aws.attr_path(setting))
}
