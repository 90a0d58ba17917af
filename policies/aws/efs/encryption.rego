# METADATA
# title: EFS file system not encrypted
# description: >-
#   EFS file systems must be encrypted at rest.
# custom:
#   id: PL-AWS-0076
#   kinds: [aws_efs_file_system]
#   severity: HIGH
#   remediation: >-
#     Set encrypted to true (with kms_key_id for a customer managed key).
#   frameworks:
#     - CIS-AWS-Foundations-2.4.1
#     - AWS-FSBP-EFS.1
package plumbline.aws.efs.encryption

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type == "aws_efs_file_system"
	aws.not_true(aws.attrs, "encrypted")
	result := aws.result(sprintf("EFS file system %s is not encrypted", [aws.label]), aws.attr_path("encrypted"))
}
