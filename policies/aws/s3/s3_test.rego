package plumbline.aws.s3_test

import rego.v1

import data.plumbline.aws.fixtures_test as f
import data.plumbline.aws.s3.encryption
import data.plumbline.aws.s3.logging
import data.plumbline.aws.s3.public_access_block
import data.plumbline.aws.s3.public_access_block_settings as pab_settings
import data.plumbline.aws.s3.public_acl
import data.plumbline.aws.s3.public_policy
import data.plumbline.aws.s3.tls_only
import data.plumbline.aws.s3.versioning

bucket := f.res("aws_s3_bucket", "data", {"bucket": "acme-data"})

ref := f.unknown("aws_s3_bucket.data.id")

pab_all := {"bucket": ref, "block_public_acls": true, "block_public_policy": true, "ignore_public_acls": true, "restrict_public_buckets": true}

pab := f.res("aws_s3_bucket_public_access_block", "data", pab_all)

other_bucket := f.res("aws_s3_bucket", "other", {"bucket": "acme-other"})

# --- public access block ---------------------------------------------------------

test_bucket_without_public_access_block_denied if {
	r := public_access_block.deny with input as bucket
	f.paths(r) == {["attributes"]}
}

test_bucket_with_public_access_block_passes if {
	count(public_access_block.deny) == 0 with input as f.with_related(bucket, [pab])
	count(public_access_block.deny) == 0 with input as f.in_module(f.with_related(bucket, [f.in_module(pab)]))
	lit := f.res("aws_s3_bucket_public_access_block", "data", object.union(pab_all, {"bucket": "acme-data"}))
	count(public_access_block.deny) == 0 with input as f.with_related(bucket, [lit])
	unknown_target := f.res("aws_s3_bucket_public_access_block", "data", object.union(pab_all, {"bucket": f.unknown("var.bucket")}))
	count(public_access_block.deny) == 0 with input as f.with_related(bucket, [unknown_target])
}

test_block_for_another_bucket_does_not_count if {
	for_other := f.res("aws_s3_bucket_public_access_block", "other", object.union(pab_all, {"bucket": f.unknown("aws_s3_bucket.other.id")}))
	count(public_access_block.deny) == 1 with input as f.with_related(bucket, [other_bucket, for_other])
}

test_account_block_covers_bucket if {
	acct := f.res("aws_s3_account_public_access_block", "this", {"block_public_acls": true})
	count(public_access_block.deny) == 0 with input as f.with_related(bucket, [acct])
}

test_public_access_block_settings if {
	count(pab_settings.deny) == 0 with input as pab
	r := pab_settings.deny with input as f.res("aws_s3_bucket_public_access_block", "d", {"bucket": ref, "block_public_acls": false, "block_public_policy": true, "ignore_public_acls": {"$unknown": "var.x"}})
	f.paths(r) == {["attributes", "block_public_acls"], ["attributes"]}
	count(r) == 2
}

test_inline_cloudformation_block if {
	b := f.res("aws_s3_bucket", "d", {"public_access_block_configuration": [{"block_public_acls": true, "block_public_policy": "false", "ignore_public_acls": true, "restrict_public_buckets": true}]})
	r := pab_settings.deny with input as b
	f.paths(r) == {["attributes", "public_access_block_configuration", 0, "block_public_policy"]}
	count(public_access_block.deny) == 0 with input as b
}

# --- ACL ---------------------------------------------------------------------------

test_public_acl if {
	r := public_acl.deny with input as f.res("aws_s3_bucket", "d", {"acl": "public-read"})
	f.paths(r) == {["attributes", "acl"]}
	r2 := public_acl.deny with input as f.res("aws_s3_bucket_acl", "d", {"bucket": ref, "acl": "public-read-write"})
	count(r2) == 1
	count(public_acl.deny) == 0 with input as f.res("aws_s3_bucket", "d", {"acl": "private"})
	count(public_acl.deny) == 0 with input as f.res("aws_s3_bucket", "d", {"acl": f.unknown("var.acl")})
}

test_public_grant if {
	acl := f.res("aws_s3_bucket_acl", "d", {"access_control_policy": [{"grant": [
		{"permission": "READ", "grantee": [{"type": "CanonicalUser", "id": "abc"}]},
		{"permission": "READ", "grantee": [{"type": "Group", "uri": "http://acs.amazonaws.com/groups/global/AllUsers"}]},
	]}]})
	r := public_acl.deny with input as acl
	f.paths(r) == {["attributes", "access_control_policy", 0, "grant", 1, "grantee", 0, "uri"]}
}

# --- encryption --------------------------------------------------------------------

test_encryption if {
	count(encryption.deny) == 1 with input as bucket
	inline := f.res("aws_s3_bucket", "d", {"server_side_encryption_configuration": [{"rule": [{"apply_server_side_encryption_by_default": [{"sse_algorithm": "AES256"}]}]}]})
	count(encryption.deny) == 0 with input as inline
	sse := f.res("aws_s3_bucket_server_side_encryption_configuration", "d", {"bucket": ref, "rule": [{"apply_server_side_encryption_by_default": [{"sse_algorithm": "aws:kms"}]}]})
	count(encryption.deny) == 0 with input as f.with_related(bucket, [sse])
	empty := f.res("aws_s3_bucket_server_side_encryption_configuration", "d", {"bucket": ref, "rule": [{}]})
	count(encryption.deny) == 1 with input as f.with_related(bucket, [empty])
	computed := f.res("aws_s3_bucket_server_side_encryption_configuration", "d", {"bucket": ref, "rule": f.unknown("var.rules")})
	count(encryption.deny) == 0 with input as f.with_related(bucket, [computed])
}

# --- versioning ---------------------------------------------------------------------

test_versioning if {
	count(versioning.deny) == 1 with input as bucket
	r := versioning.deny with input as f.res("aws_s3_bucket", "d", {"versioning": [{"enabled": false}]})
	f.paths(r) == {["attributes", "versioning", 0, "enabled"]}
	count(versioning.deny) == 0 with input as f.res("aws_s3_bucket", "d", {"versioning": [{"enabled": true}]})
	count(versioning.deny) == 0 with input as f.res("aws_s3_bucket", "d", {"versioning": [{"enabled": f.unknown("var.v")}]})
	count(versioning.deny) == 0 with input as f.res("aws_s3_bucket", "d", {"versioning": [{"status": "Enabled"}]})
	on := f.res("aws_s3_bucket_versioning", "d", {"bucket": ref, "versioning_configuration": [{"status": "Enabled"}]})
	count(versioning.deny) == 0 with input as f.with_related(bucket, [on])
	off := f.res("aws_s3_bucket_versioning", "d", {"bucket": ref, "versioning_configuration": [{"status": "Suspended"}]})
	count(versioning.deny) == 1 with input as f.with_related(bucket, [off])
}

# --- logging ------------------------------------------------------------------------

test_logging if {
	count(logging.deny) == 1 with input as bucket
	count(logging.deny) == 0 with input as f.res("aws_s3_bucket", "d", {"logging": [{"target_bucket": "logs"}]})
	l := f.res("aws_s3_bucket_logging", "d", {"bucket": ref, "target_bucket": f.unknown("aws_s3_bucket.other.id")})
	count(logging.deny) == 0 with input as f.with_related(bucket, [l, other_bucket])
	# the log target bucket itself is exempt
	count(logging.deny) == 0 with input as f.with_related(other_bucket, [l, bucket])
}

# --- TLS only -----------------------------------------------------------------------

deny_http := f.policy([{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::acme-data/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}])

test_tls_only if {
	r := tls_only.deny with input as bucket
	f.paths(r) == {["attributes"]}
	count(tls_only.deny) == 0 with input as f.res("aws_s3_bucket", "d", {"policy": deny_http})
	p := f.res("aws_s3_bucket_policy", "d", {"bucket": ref, "policy": deny_http})
	count(tls_only.deny) == 0 with input as f.with_related(bucket, [p])
	obj := f.res("aws_s3_bucket_policy", "d", {"bucket": ref, "policy": json.unmarshal(deny_http)})
	count(tls_only.deny) == 0 with input as f.with_related(bucket, [obj])
	unk := f.res("aws_s3_bucket_policy", "d", {"bucket": ref, "policy": f.unknown("data.aws_iam_policy_document.p.json")})
	count(tls_only.deny) == 0 with input as f.with_related(bucket, [unk])
	allow := f.res("aws_s3_bucket_policy", "d", {"bucket": ref, "policy": f.policy([{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root"}, "Action": "s3:GetObject", "Resource": "*"}])})
	count(tls_only.deny) == 1 with input as f.with_related(bucket, [allow])
}

# --- public policy ------------------------------------------------------------------

test_public_policy if {
	pub := f.policy([{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}])
	r := public_policy.deny with input as f.res("aws_s3_bucket_policy", "d", {"bucket": ref, "policy": pub})
	f.paths(r) == {["attributes", "policy"]}
	cond := f.policy([{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject", "Resource": "*", "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1"}}}])
	count(public_policy.deny) == 0 with input as f.res("aws_s3_bucket_policy", "d", {"policy": cond})
	count(public_policy.deny) == 0 with input as f.res("aws_s3_bucket_policy", "d", {"policy": deny_http})
	referer := f.policy([{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*", "Condition": {"StringLike": {"aws:Referer": "http://x/*"}}}])
	count(public_policy.deny) == 1 with input as f.res("aws_s3_bucket_policy", "d", {"policy": referer})
}

test_unrelated_types_ignored if {
	every pkg_deny in [public_access_block.deny, encryption.deny, versioning.deny, logging.deny, tls_only.deny] {
		count(pkg_deny) == 0
	} with input as f.res("aws_s3_object", "o", {})
}

deny_stmt(stmt) := f.res("aws_s3_bucket", "d", {"policy": f.policy([object.union({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}, stmt)])})

test_tls_only_reads_the_whole_deny if {
	# Every caller, every action, in any spelling of the key, operator and value.
	every stmt in [
		{},
		{"Principal": {"AWS": "*"}, "Action": "*"},
		{"Condition": {"BoolIfExists": {"AWS:SecureTransport": false}}},
		{"Condition": {"bool": {"aws:securetransport": ["False"]}}},
	] {
		count(tls_only.deny) == 0 with input as deny_stmt(stmt)
	}
	# A deny narrowed to one principal or to some actions leaves HTTP open.
	every stmt in [
		{"Principal": {"AWS": "arn:aws:iam::111122223333:role/app"}},
		{"Action": ["s3:PutObject"]},
		{"Action": "s3:Get*"},
		{"Condition": {"Bool": {"aws:SecureTransport": "true"}}},
		{"Effect": "Allow"},
	] {
		count(tls_only.deny) == 1 with input as deny_stmt(stmt)
	}
}

test_public_policy_not_principal if {
	p := f.policy([{"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme-data/*"}])
	count(public_policy.deny) == 1 with input as f.res("aws_s3_bucket_policy", "p", {"bucket": ref, "policy": p})
}

test_tls_only_with_policies_known_in_part if {
	deny_http := {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": f.unknown("aws_s3_bucket.b.arn"), "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
	allow := {"Effect": "Allow", "Principal": {"AWS": f.unknown("var.reader")}, "Action": "s3:GetObject", "Resource": f.unknown("aws_s3_bucket.b.arn")}
	# An unknown resource does not make a Deny of plain HTTP.
	count(tls_only.deny) == 1 with input as f.res("aws_s3_bucket", "b", {"policy": f.policy([allow])})
	count(tls_only.deny) == 0 with input as f.res("aws_s3_bucket", "b", {"policy": f.policy([allow, deny_http])})
	# A statement known only after apply may be one.
	count(tls_only.deny) == 0 with input as f.res("aws_s3_bucket", "b", {"policy": f.policy([allow, f.unknown("var.extra")])})
}
