# METADATA
# title: S3 bucket policy does not deny plain HTTP
# description: >-
#   Without a bucket policy that denies requests where aws:SecureTransport is
#   false, clients may read and write the bucket over unencrypted HTTP.
# custom:
#   id: PL-AWS-0007
#   kinds: [aws_s3_bucket]
#   severity: MEDIUM
#   remediation: >-
#     Add a bucket policy statement with Effect Deny, Principal *, Action
#     s3:*, the bucket and its objects as Resource, and Condition {"Bool":
#     {"aws:SecureTransport": "false"}}.
#   frameworks:
#     - CIS-AWS-Foundations-2.1.2
#     - AWS-FSBP-S3.5
package plumbline.aws.s3.tls_only

import rego.v1

import data.plumbline.lib.aws

# A statement that denies plain HTTP: Effect Deny for every caller (Principal
# "*") and every S3 action ("s3:*" or "*"), when aws:SecureTransport is false.
# Bool and BoolIfExists read the same here: S3 gives every request the key. A
# deny for one principal, or for some actions only, leaves HTTP open to the
# others.
denies_http(doc) if {
	some s in aws.statements(doc)
	s.Effect == "Deny"
	aws.public_principal(s)
	every_s3_action(s)
	some op, conds in s.Condition
	lower(op) in {"bool", "boolifexists"}
	some key, value in conds
	lower(key) == "aws:securetransport"
	some v in as_list(value)
	aws.is_false(v)
}

every_s3_action(s) if {
	some a in aws.actions(s)
	a in {"*", "s3:*"}
}

as_list(v) := v if is_array(v)

else := [v]

policies contains aws.attrs.policy

policies contains r.attributes.policy if {
	some r in aws.attached("aws_s3_bucket_policy", "bucket")
}

ok if {
	some p in policies
	denies_http(aws.policy_doc(p))
}

# A policy that is not known before apply may well deny HTTP.
ok if {
	some p in policies
	aws.contains_unknown(p)
}

# So may a policy whose statements are partly known only after apply.
ok if {
	some p in policies
	aws.statements_unknown(aws.policy_doc(p))
}

deny contains result if {
	input.type == "aws_s3_bucket"
	not ok
	result := aws.result(sprintf("S3 bucket %s has no policy denying requests without TLS (aws:SecureTransport)", [aws.label]), aws.attr_path("policy"))
}
