# METADATA
# title: EBS encryption by default disabled
# description: >-
#   EBS encryption by default makes every new volume and snapshot copy in the
#   region encrypted.
# custom:
#   id: PL-AWS-0037
#   kinds: [aws_ebs_encryption_by_default]
#   severity: MEDIUM
#   remediation: >-
#     Set enabled = true on aws_ebs_encryption_by_default.
#   frameworks:
#     - CIS-AWS-Foundations-2.2.1
#     - AWS-FSBP-EC2.7
package plumbline.aws.ec2.ebs_default_encryption

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type == "aws_ebs_encryption_by_default"
	aws.is_false(aws.attrs.enabled)
	result := aws.result(sprintf("%s disables EBS encryption by default", [aws.label]), ["attributes", "enabled"])
}
