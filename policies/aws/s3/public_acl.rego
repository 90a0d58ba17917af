# METADATA
# title: S3 bucket with a public ACL
# description: >-
#   A canned ACL of public-read, public-read-write or authenticated-read, or a
#   grant to the AllUsers or AuthenticatedUsers groups, exposes the bucket's
#   objects to anyone.
# custom:
#   id: PL-AWS-0003
#   kinds: [aws_s3_bucket, aws_s3_bucket_acl]
#   severity: CRITICAL
#   remediation: >-
#     Use the private ACL (or no ACL with object ownership
#     BucketOwnerEnforced) and grant access through IAM or a bucket policy
#     that names the principals.
#   frameworks:
#     - CIS-AWS-Foundations-2.1.5
#     - AWS-FSBP-S3.2
#     - AWS-FSBP-S3.3
package plumbline.aws.s3.public_acl

import rego.v1

import data.plumbline.lib.aws

public_acls := {"public-read", "public-read-write", "authenticated-read"}

public_groups := {
	"http://acs.amazonaws.com/groups/global/AllUsers",
	"http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
}

deny contains result if {
	input.type in {"aws_s3_bucket", "aws_s3_bucket_acl"}
	acl := aws.attrs.acl
	is_string(acl)
	lower(acl) in public_acls
	result := aws.result(sprintf("%s uses the public canned ACL %q", [aws.label, acl]), ["attributes", "acl"])
}

# aws_s3_bucket_acl: access_control_policy { grant { grantee { uri } } }
deny contains result if {
	input.type == "aws_s3_bucket_acl"
	some i, acp in aws.blocks(aws.attrs, "access_control_policy")
	some j, g in aws.blocks(acp, "grant")
	some k, grantee in aws.blocks(g, "grantee")
	grantee.uri in public_groups
	result := aws.result(
		sprintf("%s grants %v to everyone (%s)", [aws.label, g.permission, grantee.uri]),
		["attributes", "access_control_policy", i, "grant", j, "grantee", k, "uri"],
	)
}

# Legacy inline grants on aws_s3_bucket: grant { uri, permissions }
deny contains result if {
	input.type == "aws_s3_bucket"
	some i, g in aws.blocks(aws.attrs, "grant")
	g.uri in public_groups
	result := aws.result(sprintf("S3 bucket %s grants access to everyone (%s)", [aws.label, g.uri]), ["attributes", "grant", i, "uri"])
}
