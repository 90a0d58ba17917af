# METADATA
# title: EBS volume not encrypted
# description: >-
#   EBS volumes and their snapshots must be encrypted at rest.
# custom:
#   id: PL-AWS-0035
#   kinds: [aws_ebs_volume]
#   severity: HIGH
#   remediation: >-
#     Set encrypted to true (and kms_key_id for a customer managed key), or
#     enable aws_ebs_encryption_by_default.
#   frameworks:
#     - CIS-AWS-Foundations-2.2.1
#     - AWS-FSBP-EC2.3
package plumbline.aws.ec2.ebs_volume_encryption

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type == "aws_ebs_volume"
	aws.not_true(aws.attrs, "encrypted")
	not aws.ebs_default_encryption
	result := aws.result(sprintf("EBS volume %s is not encrypted", [aws.label]), aws.attr_path("encrypted"))
}
