# METADATA
# title: S3 bucket without a public access block
# description: >-
#   A bucket without an S3 public access block can be made public by a bucket
#   ACL or policy. Every bucket needs an aws_s3_bucket_public_access_block (or
#   an account-level block in the same module) that blocks public ACLs and
#   policies.
# custom:
#   id: PL-AWS-0001
#   kinds: [aws_s3_bucket]
#   severity: HIGH
#   remediation: >-
#     Add an aws_s3_bucket_public_access_block for the bucket with
#     block_public_acls, block_public_policy, ignore_public_acls and
#     restrict_public_buckets set to true.
#   frameworks:
#     - CIS-AWS-Foundations-2.1.5
#     - AWS-FSBP-S3.8
package plumbline.aws.s3.public_access_block

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type == "aws_s3_bucket"
	count(aws.attached("aws_s3_bucket_public_access_block", "bucket")) == 0
	count(aws.blocks(aws.attrs, "public_access_block_configuration")) == 0
	count(aws.related_of_type("aws_s3_account_public_access_block")) == 0
	result := aws.result(
		sprintf("S3 bucket %s has no public access block", [aws.label]),
		["attributes"],
	)
}
