# METADATA
# title: S3 public access block setting disabled
# description: >-
#   An S3 public access block must enable all four settings; each one left
#   false or unset lets a public ACL or bucket policy take effect.
# custom:
#   id: PL-AWS-0002
#   kinds: [aws_s3_bucket_public_access_block, aws_s3_account_public_access_block, aws_s3_bucket]
#   severity: HIGH
#   remediation: >-
#     Set block_public_acls, block_public_policy, ignore_public_acls and
#     restrict_public_buckets to true.
#   frameworks:
#     - CIS-AWS-Foundations-2.1.5
#     - AWS-FSBP-S3.1
#     - AWS-FSBP-S3.8
package plumbline.aws.s3.public_access_block_settings

import rego.v1

import data.plumbline.lib.aws

settings := ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"]

deny contains result if {
	input.type in {"aws_s3_bucket_public_access_block", "aws_s3_account_public_access_block"}
	some s in settings
	aws.not_true(aws.attrs, s)
	result := aws.result(
		sprintf("Public access block %s does not enable %s", [aws.label, s]),
		aws.attr_path(s),
	)
}

# CloudFormation declares the block inline (PublicAccessBlockConfiguration).
deny contains result if {
	input.type == "aws_s3_bucket"
	some i, b in aws.blocks(aws.attrs, "public_access_block_configuration")
	some s in settings
	aws.not_true(b, s)
	path := aws.key_path(["attributes", "public_access_block_configuration", i], b, s)
	result := aws.result(sprintf("S3 bucket %s public access block does not enable %s", [aws.label, s]), path)
}
