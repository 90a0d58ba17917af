# METADATA
# title: S3 bucket versioning not enabled
# description: >-
#   Without versioning, an overwritten or deleted object cannot be recovered,
#   and ransomware or a faulty deploy destroys data for good.
# custom:
#   id: PL-AWS-0005
#   kinds: [aws_s3_bucket]
#   severity: MEDIUM
#   remediation: >-
#     Add an aws_s3_bucket_versioning for the bucket with
#     versioning_configuration { status = "Enabled" }.
#   frameworks:
#     - AWS-FSBP-S3.14
package plumbline.aws.s3.versioning

import rego.v1

import data.plumbline.lib.aws

inline_ok if {
	some b in aws.blocks(aws.attrs, "versioning")
	not aws.is_false(b.enabled)
	aws.has_key(b, "enabled")
}

inline_ok if {
	some b in aws.blocks(aws.attrs, "versioning")
	status_ok(b.status)
}

status_ok(s) if s == "Enabled"

status_ok(s) if aws.is_unknown(s)

resource_ok if {
	some r in aws.attached("aws_s3_bucket_versioning", "bucket")
	some c in aws.blocks(r.attributes, "versioning_configuration")
	status_ok(c.status)
}

resource_ok if {
	some r in aws.attached("aws_s3_bucket_versioning", "bucket")
	aws.is_unknown(r.attributes.versioning_configuration)
}

path := ["attributes", "versioning", 0, "enabled"] if {
	aws.has_key(aws.block(aws.attrs, "versioning"), "enabled")
} else := ["attributes", "versioning", 0, "status"] if {
	aws.has_key(aws.block(aws.attrs, "versioning"), "status")
} else := ["attributes"]

deny contains result if {
	input.type == "aws_s3_bucket"
	not inline_ok
	not resource_ok
	result := aws.result(sprintf("S3 bucket %s does not enable versioning", [aws.label]), path)
}
