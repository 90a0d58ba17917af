# Tests of the IAM condition helpers of policies/lib/aws.rego: which conditions
# limit a Principal "*" statement to known callers.
package plumbline.lib.aws_conditions_test

import rego.v1

import data.plumbline.lib.aws

st(cond) := {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Condition": cond}

test_fixed_values_restrict if {
	every cond in [
		{"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}},
		{"StringEquals": {"aws:VpceAccount": "111122223333"}},
		{"StringEquals": {"aws:PrincipalOrgID": ["o-a1b2c3d4e5", "o-f6g7h8i9j0"]}},
		{"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:db8::/32"]}},
		{"ArnLike": {"aws:SourceArn": "arn:aws:sns:eu-west-1:111122223333:*"}},
		{"ArnEquals": {"aws:SourceArn": "arn:aws:s3:::uploads"}},
		{"StringEquals": {"aws:SourceAccount": 111122223333}},
		{"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-a1b2c3d4e5/r-ab12/*"}},
		{"StringLike": {"aws:userid": "AROAEXAMPLEID:*"}},
		# Keys and operators are matched whatever their case.
		{"stringequals": {"AWS:SOURCEVPCE": "vpce-1a2b3c4d"}},
		# One restricting key is enough: the keys of a condition are all required.
		{"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d", "aws:Referer": "x"}},
		# A value not known before apply may restrict.
		{"StringEquals": {"aws:SourceAccount": {"$unknown": "var.account"}}},
	] {
		aws.restricting_condition(st(cond))
	}
}

test_wildcards_and_loose_operators_restrict_nothing if {
	every cond in [
		# A wildcard value is no restriction.
		{"StringLike": {"aws:SourceVpce": "vpce-*"}},
		{"StringLike": {"aws:SourceAccount": "*"}},
		{"StringLike": {"aws:PrincipalOrgID": "o-*"}},
		{"ArnLike": {"aws:SourceArn": "arn:aws:s3:::*"}},
		{"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:*:alerts"}},
		{"StringEquals": {"aws:VpceAccount": "${aws:PrincipalAccount}"}},
		{"StringLike": {"aws:PrincipalOrgPaths": "o-*/*"}},
		# One wildcard among the values lets everyone through.
		{"StringEquals": {"aws:SourceVpce": ["vpce-1a2b3c4d", "*"]}},
		# A network that contains the whole internet, however written.
		{"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}},
		{"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "10.0.0.1/0"]}},
		{"IpAddress": {"aws:SourceIp": "::/0"}},
		# ...IfExists and ForAllValues: match a request without the key.
		{"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1a2b3c4d"}},
		{"ForAllValues:StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
		# Negated operators and Null match every other caller.
		{"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}},
		{"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
		{"Null": {"aws:SourceVpce": "false"}},
		# Keys that say nothing about the caller.
		{"Bool": {"aws:SecureTransport": "true"}},
		{"StringLike": {"aws:Referer": "https://example.com/*"}},
		{"StringEquals": {"aws:SourceVpce": []}},
	] {
		not aws.restricting_condition(st(cond))
	}
	not aws.restricting_condition({"Effect": "Allow", "Principal": "*"})
}

test_narrowing_condition_other_keys if {
	aws.narrowing_condition(st({"StringEquals": {"sts:ExternalId": "a1b2c3"}}), {"sts:externalid"})
	not aws.narrowing_condition(st({"StringLike": {"sts:ExternalId": "*"}}), {"sts:externalid"})
	not aws.narrowing_condition(st({"StringEquals": {"sts:ExternalId": "a1b2c3"}}), {"kms:calleraccount"})
}

test_restricting_values if {
	aws.fixed_account_arn("arn:aws:sqs:*:111122223333:*")
	not aws.fixed_account_arn("arn:aws:sqs:*:*:queue")
	not aws.fixed_account_arn("arn:aws:s3:::bucket")
	aws.restricting_value("aws:sourcearn", "arn:aws:s3:::bucket")
	not aws.restricting_value("aws:sourcearn", "arn:aws:s3:::bucket*")
	aws.restricting_value("aws:sourceip", "203.0.113.7")
	not aws.restricting_value("aws:sourceip", "0.0.0.0/0")
	not aws.restricting_value("aws:sourceaccount", "")
	not aws.restricting_value("aws:sourceaccount", true)
}

test_all_resources_spellings if {
	every r in ["*", "arn:aws:*:*:*:*", "arn:*:*:*:*:*", "arn:aws-us-gov:*:*:*:*", ["arn:aws:s3:::b", "*"]] {
		aws.all_resources({"Resource": r})
	}
	every r in ["arn:aws:s3:::*", "arn:aws:*:*:111122223333:*", "arn:aws:*:eu-west-1:*:*", "arn:aws:iam::*:role/*", [], {"$unknown": "x"}] {
		not aws.all_resources({"Resource": r})
	}
}

test_action_patterns if {
	every p in ["iam:passrole", "iam:pass*", "iam:*role", "iam:*", "*", "iam:p?ssrole", "*:*"] {
		aws.action_matches(p, "iam:passrole")
	}
	every p in ["iam:get*", "iam:passrole2", "s3:*", "iam:pass[r]ole", "(iam:.*)", ""] {
		not aws.action_matches(p, "iam:passrole")
	}
	aws.all_actions({"Action": ["s3:GetObject", "*:*"]})
	not aws.all_actions({"Action": "iam:*"})
}

test_allow_with_not_principal_is_everyone if {
	aws.public_principal({"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "s3:GetObject"})
	# A Deny with NotPrincipal denies everyone but them: no one is allowed by it.
	not aws.public_principal({"Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"}})
	not aws.public_principal({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}})
}
