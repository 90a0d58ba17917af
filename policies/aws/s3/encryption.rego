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

# A configuration counts when one of its rules sets a default algorithm (or
# is not known before apply).
configures(cfg) if aws.is_unknown(cfg.rule)

configures(cfg) if {
	some r in aws.blocks(cfg, "rule")
	some d in aws.blocks(r, "apply_server_side_encryption_by_default")
	aws.is_set(d.sse_algorithm)
}

configures(cfg) if {
	some r in aws.blocks(cfg, "rule")
	aws.is_unknown(r.apply_server_side_encryption_by_default)
}

encrypted if {
	some cfg in aws.blocks(aws.attrs, "server_side_encryption_configuration")
	configures(cfg)
}

encrypted if {
	some r in aws.attached("aws_s3_bucket_server_side_encryption_configuration", "bucket")
	configures(aws.object_or_empty(r.attributes))
}

encrypted if aws.is_unknown(aws.attrs.server_side_encryption_configuration)

deny contains result if {
	input.type == "aws_s3_bucket"
	not encrypted
	result := aws.result(sprintf("S3 bucket %s declares no default server-side encryption", [aws.label]), aws.attr_path("server_side_encryption_configuration"))
}
