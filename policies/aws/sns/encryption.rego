# METADATA
# title: SNS topic not encrypted
# description: >-
#   Messages published to the topic are stored unencrypted without a KMS key.
# custom:
#   id: PL-AWS-0061
#   kinds: [aws_sns_topic]
#   severity: MEDIUM
#   remediation: >-
#     Set kms_master_key_id (a customer managed key, or alias/aws/sns).
#   frameworks:
#     - AWS-FSBP-SNS.1
package plumbline.aws.sns.encryption

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type == "aws_sns_topic"
	not aws.is_set(aws.attrs.kms_master_key_id)
	result := aws.result(sprintf("SNS topic %s is not encrypted", [aws.label]), aws.attr_path("kms_master_key_id"))
}
