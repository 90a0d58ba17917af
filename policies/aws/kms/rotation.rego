# METADATA
# title: KMS key rotation disabled
# description: >-
#   Automatic rotation of symmetric customer managed keys limits the data
#   encrypted under one key version.
# custom:
#   id: PL-AWS-0048
#   kinds: [aws_kms_key]
#   severity: MEDIUM
#   remediation: >-
#     Set enable_key_rotation to true.
#   frameworks:
#     - CIS-AWS-Foundations-3.6
#     - AWS-FSBP-KMS.4
package plumbline.aws.kms.rotation

import rego.v1

import data.plumbline.lib.aws

symmetric if aws.absent(aws.attrs, "customer_master_key_spec")

symmetric if aws.attrs.customer_master_key_spec == "SYMMETRIC_DEFAULT"

deny contains result if {
	input.type == "aws_kms_key"
	symmetric
	not aws.attrs.key_usage == "SIGN_VERIFY"
	aws.not_true(aws.attrs, "enable_key_rotation")
	result := aws.result(sprintf("KMS key %s does not rotate automatically", [aws.label]), aws.attr_path("enable_key_rotation"))
}
