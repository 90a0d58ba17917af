# METADATA
# title: SQS queue not encrypted
# description: >-
#   Messages in the queue are stored unencrypted unless SSE-SQS or a KMS key
#   is configured.
# custom:
#   id: PL-AWS-0062
#   kinds: [aws_sqs_queue]
#   severity: MEDIUM
#   remediation: >-
#     Set kms_master_key_id, or sqs_managed_sse_enabled = true.
#   frameworks:
#     - AWS-FSBP-SQS.1
package plumbline.aws.sqs.encryption

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type == "aws_sqs_queue"
	not aws.is_set(aws.attrs.kms_master_key_id)
	not aws.is_true(aws.attrs.sqs_managed_sse_enabled)
	not aws.is_unknown(aws.attrs.sqs_managed_sse_enabled)
	result := aws.result(sprintf("SQS queue %s is not encrypted", [aws.label]), aws.attr_path("sqs_managed_sse_enabled"))
}
