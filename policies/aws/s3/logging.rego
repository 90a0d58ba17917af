# METADATA
# title: S3 bucket access logging not enabled
# description: >-
#   Server access logs record who read and changed objects; without them an
#   incident on the bucket cannot be investigated.
# custom:
#   id: PL-AWS-0006
#   kinds: [aws_s3_bucket]
#   severity: LOW
#   remediation: >-
#     Add an aws_s3_bucket_logging for the bucket with a target_bucket
#     dedicated to access logs.
#   frameworks:
#     - CIS-AWS-Foundations-3.6
#     - AWS-FSBP-S3.9
package plumbline.aws.s3.logging

import rego.v1

import data.plumbline.lib.aws

# A bucket that receives access logs is not itself required to log.
log_target if count(aws.attached_exactly("aws_s3_bucket_logging", "target_bucket")) > 0

log_target if count(aws.attached_exactly("aws_s3_bucket", "logging.target_bucket")) > 0

log_target if aws.attrs.acl == "log-delivery-write"

deny contains result if {
	input.type == "aws_s3_bucket"
	count(aws.blocks(aws.attrs, "logging")) == 0
	count(aws.attached("aws_s3_bucket_logging", "bucket")) == 0
	not log_target
	result := aws.result(sprintf("S3 bucket %s does not enable access logging", [aws.label]), ["attributes"])
}
