# METADATA
# title: S3 bucket without default encryption configuration
# description: >-
#   Buckets should declare server-side encryption (SSE-S3 or SSE-KMS), inline
#   or with an aws_s3_bucket_server_side_encryption_configuration, so that the
#   encryption in force is reviewed with the code.
# custom:
#   id: PL-AWS-0004
#   kinds: [aws_s3_bucket]
#   severity: MEDIUM
#   remediation: >-
#     Add an aws_s3_bucket_server_side_encryption_configuration for the bucket
#     with an apply_server_side_encryption_by_default rule (aws:kms with a
#     customer managed key where possible).
#   frameworks:
#     - CIS-AWS-Foundations-2.1.1
#     - AWS-FSBP-S3.4
package plumbline.aws.s3.encryption

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type == "aws_s3_bucket"
	count(aws.blocks(aws.attrs, "server_side_encryption_configuration")) == 0
	count(aws.attached("aws_s3_bucket_server_side_encryption_configuration", "bucket")) == 0
	result := aws.result(sprintf("S3 bucket %s declares no server-side encryption", [aws.label]), ["attributes"])
}
