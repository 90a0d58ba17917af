package plumbline.aws.kms.public_policy_test

import rego.v1

import data.plumbline.aws.fixtures_test as f
import data.plumbline.aws.kms.public_policy

stmt(principal, extra) := object.union({"Effect": "Allow", "Principal": principal, "Action": "kms:*", "Resource": "*"}, extra)

test_everyone_is_reported if {
	f.paths(public_policy.deny) == {["attributes", "policy"]} with input as f.res("aws_kms_key", "k", {"policy": f.policy([stmt("*", {})])})
	count(public_policy.deny) == 1 with input as f.res("aws_kms_key_policy", "k", {"key_id": "k", "policy": f.policy([stmt({"AWS": ["arn:aws:iam::111122223333:root", "*"]}, {})])})
	# The object form, as CloudFormation's KeyPolicy gives it.
	count(public_policy.deny) == 1 with input as f.res("aws_kms_key", "k", {"policy": {"Statement": [stmt({"AWS": "*"}, {})]}})
}

test_named_or_restricted_principals_are_not if {
	count(public_policy.deny) == 0 with input as f.res("aws_kms_key", "k", {"policy": f.policy([stmt({"AWS": "arn:aws:iam::111122223333:root"}, {})])})
	count(public_policy.deny) == 0 with input as f.res("aws_kms_key", "k", {"policy": f.policy([stmt("*", {"Condition": {"StringEquals": {"kms:CallerAccount": "111122223333", "kms:ViaService": "ec2.us-east-1.amazonaws.com"}}})])})
	count(public_policy.deny) == 0 with input as f.res("aws_kms_key", "k", {"policy": f.policy([stmt("*", {"Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-1"}}})])})
	count(public_policy.deny) == 0 with input as f.res("aws_kms_key", "k", {"policy": f.policy([stmt("*", {"Effect": "Deny"})])})
}

test_unknown_parts_never_match if {
	# Unknown principal, effect or condition: no finding.
	count(public_policy.deny) == 0 with input as f.res("aws_kms_key", "k", {"policy": f.policy([stmt(f.unknown("var.p"), {})])})
	count(public_policy.deny) == 0 with input as f.res("aws_kms_key", "k", {"policy": f.policy([stmt("*", {"Effect": f.unknown("var.e")})])})
	count(public_policy.deny) == 0 with input as f.res("aws_kms_key", "k", {"policy": f.policy([stmt("*", {"Condition": f.unknown("var.c")})])})
	count(public_policy.deny) == 0 with input as f.res("aws_kms_key", "k", {"policy": f.policy([stmt("*", {"Condition": {"StringEquals": f.unknown("var.c")}})])})
	count(public_policy.deny) == 0 with input as f.res("aws_kms_key", "k", {"policy": f.unknown("data.aws_iam_policy_document.k.json")})
	# An unknown resource does not hide a known public principal.
	count(public_policy.deny) == 1 with input as f.res("aws_kms_key", "k", {"policy": f.policy([stmt("*", {"Resource": f.unknown("aws_kms_key.k.arn")})])})
}
