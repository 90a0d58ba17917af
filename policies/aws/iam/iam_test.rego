package plumbline.aws.iam_test

import rego.v1

import data.plumbline.aws.fixtures_test as f
import data.plumbline.aws.iam.admin_policy
import data.plumbline.aws.iam.password_complexity
import data.plumbline.aws.iam.password_length
import data.plumbline.aws.iam.password_max_age
import data.plumbline.aws.iam.password_reuse
import data.plumbline.aws.iam.trust_any_principal
import data.plumbline.aws.iam.user_access_key
import data.plumbline.aws.iam.passrole_all
import data.plumbline.aws.iam.user_policies
import data.plumbline.aws.iam.wildcard_actions
import data.plumbline.aws.iam.wildcard_resources

admin := f.policy([{"Effect": "Allow", "Action": "*", "Resource": "*"}])

s3_all := f.policy([{"Effect": "Allow", "Action": ["s3:*"], "Resource": "arn:aws:s3:::b/*"}])

scoped := f.policy([{"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": ["arn:aws:s3:::b/*"]}])

read_all := f.policy([{"Effect": "Allow", "Action": ["ec2:DescribeInstances", "s3:ListAllMyBuckets"], "Resource": "*"}])

test_admin_policy if {
	f.paths(admin_policy.deny) == {["attributes", "policy"]} with input as f.res("aws_iam_policy", "p", {"policy": admin})
	# heredoc / object forms
	count(admin_policy.deny) == 1 with input as f.res("aws_iam_role_policy", "p", {"policy": json.unmarshal(admin)})
	count(admin_policy.deny) == 0 with input as f.res("aws_iam_policy", "p", {"policy": s3_all})
	count(admin_policy.deny) == 0 with input as f.res("aws_iam_policy", "p", {"policy": f.policy([{"Effect": "Deny", "Action": "*", "Resource": "*"}])})
	count(admin_policy.deny) == 0 with input as f.res("aws_iam_policy", "p", {"policy": f.unknown("data.aws_iam_policy_document.admin.json")})
	role := f.res("aws_iam_role", "r", {"assume_role_policy": "{}", "inline_policy": [{"name": "x", "policy": admin}]})
	f.paths(admin_policy.deny) == {["attributes", "inline_policy", 0, "policy"]} with input as role
	group := f.res("aws_iam_group", "g", {"inline_policy": [{"name": "x", "policy": admin}]})
	count(admin_policy.deny) == 1 with input as group
}

test_wildcard_actions if {
	r := wildcard_actions.deny with input as f.res("aws_iam_user_policy", "p", {"policy": s3_all})
	count(r) == 1
	some x in r
	contains(x.msg, `"s3:*"`)
	count(wildcard_actions.deny) == 1 with input as f.res("aws_iam_policy", "p", {"policy": admin})
	count(wildcard_actions.deny) == 0 with input as f.res("aws_iam_policy", "p", {"policy": scoped})
	count(wildcard_actions.deny) == 0 with input as f.res("aws_iam_policy", "p", {"policy": "not json"})
}

test_wildcard_resources if {
	count(wildcard_resources.deny) == 1 with input as f.res("aws_iam_policy", "p", {"policy": admin})
	count(wildcard_resources.deny) == 1 with input as f.res("aws_iam_group_policy", "p", {"policy": f.policy([{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}])})
	count(wildcard_resources.deny) == 0 with input as f.res("aws_iam_policy", "p", {"policy": read_all})
	count(wildcard_resources.deny) == 0 with input as f.res("aws_iam_policy", "p", {"policy": scoped})
}

test_user_inline_and_attachments if {
	count(user_policies.deny) == 1 with input as f.res("aws_iam_user_policy", "p", {"user": "bob", "policy": scoped})
	count(user_policies.deny) == 0 with input as f.res("aws_iam_role_policy", "p", {"role": "r", "policy": scoped})
	count(user_policies.deny) == 0 with input as f.res("aws_iam_role_policy_attachment", "a", {"role": "r", "policy_arn": "arn"})
	count(user_policies.deny) == 1 with input as f.res("aws_iam_user_policy_attachment", "a", {"user": "bob", "policy_arn": "arn"})
	count(user_policies.deny) == 1 with input as f.res("aws_iam_policy_attachment", "a", {"users": ["bob"], "policy_arn": "arn"})
	count(user_policies.deny) == 0 with input as f.res("aws_iam_policy_attachment", "a", {"roles": ["r"], "users": [], "policy_arn": "arn"})
	count(user_policies.deny) == 0 with input as f.res("aws_iam_policy_attachment", "a", {"users": f.unknown("var.users")})
	# CloudFormation shapes
	count(user_policies.deny) == 1 with input as f.res("aws_iam_user", "u", {"inline_policy": [{"name": "p", "policy": scoped}]})
	count(user_policies.deny) == 1 with input as f.res("aws_iam_user", "u", {"managed_policy_arns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]})
	count(user_policies.deny) == 1 with input as f.res("aws_iam_policy", "p", {"users": [f.unknown("User")], "policy": scoped})
	count(user_policies.deny) == 0 with input as f.res("aws_iam_user", "u", {"name": "bob"})
	count(user_policies.deny) == 0 with input as f.res("aws_iam_policy", "p", {"policy": scoped})
}

strong := {
	"minimum_password_length": 14, "password_reuse_prevention": 24, "max_password_age": 90,
	"require_uppercase_characters": true, "require_lowercase_characters": true,
	"require_numbers": true, "require_symbols": true,
}

pw(attrs) := f.res("aws_iam_account_password_policy", "strict", attrs)

test_password_policy_strong_passes if {
	every d in [password_length.deny, password_reuse.deny, password_complexity.deny, password_max_age.deny] {
		count(d) == 0
	} with input as pw(strong)
}

test_password_policy_weak if {
	weak := object.union(strong, {"minimum_password_length": 8, "password_reuse_prevention": "5", "max_password_age": 365, "require_symbols": false})
	f.paths(password_length.deny) == {["attributes", "minimum_password_length"]} with input as pw(weak)
	f.paths(password_reuse.deny) == {["attributes", "password_reuse_prevention"]} with input as pw(weak)
	f.paths(password_max_age.deny) == {["attributes", "max_password_age"]} with input as pw(weak)
	f.paths(password_complexity.deny) == {["attributes", "require_symbols"]} with input as pw(weak)
	count(password_complexity.deny) == 4 with input as pw({})
	count(password_length.deny) == 1 with input as pw({})
	count(password_length.deny) == 0 with input as pw({"minimum_password_length": f.unknown("var.len")})
}

test_access_key if {
	count(user_access_key.deny) == 1 with input as f.res("aws_iam_access_key", "k", {"user": f.unknown("aws_iam_user.bob.name")})
	count(user_access_key.deny) == 0 with input as f.res("aws_iam_access_key", "k", {"user": "bob", "status": "Inactive"})
}

test_trust_any_principal if {
	trust := f.policy([{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}])
	count(trust_any_principal.deny) == 1 with input as f.res("aws_iam_role", "r", {"assume_role_policy": trust})
	guarded := f.policy([{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-1"}}}])
	count(trust_any_principal.deny) == 0 with input as f.res("aws_iam_role", "r", {"assume_role_policy": guarded})
	svc := f.policy([{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}])
	count(trust_any_principal.deny) == 0 with input as f.res("aws_iam_role", "r", {"assume_role_policy": svc})
}

test_passrole_all if {
	count(passrole_all.deny) == 1 with input as f.res("aws_iam_policy", "p", {"policy": f.policy([{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}])})
	count(passrole_all.deny) == 1 with input as f.res("aws_iam_role_policy", "p", {"policy": admin})
	scoped_pass := f.policy([{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::1:role/app"}])
	count(passrole_all.deny) == 0 with input as f.res("aws_iam_policy", "p", {"policy": scoped_pass})
	cond := f.policy([{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*", "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}}])
	count(passrole_all.deny) == 0 with input as f.res("aws_iam_policy", "p", {"policy": cond})
}

trust(cond) := {"assume_role_policy": f.policy([{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole", "Condition": cond}])}

test_trust_any_principal_reads_the_condition if {
	# Conditions that leave every AWS account able to assume the role.
	every cond in [
		{"Bool": {"aws:MultiFactorAuthPresent": "true"}},
		{"StringLike": {"aws:PrincipalOrgID": "*"}},
		{"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
		{"StringNotEquals": {"aws:PrincipalAccount": "111122223333"}},
		{"StringLike": {"sts:ExternalId": "*"}},
	] {
		count(trust_any_principal.deny) == 1 with input as f.res("aws_iam_role", "r", trust(cond))
	}
	# Conditions that name the callers.
	every cond in [
		{"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
		{"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/ci-*"}},
		{"StringEquals": {"sts:ExternalId": "7d2e0c5a"}},
	] {
		count(trust_any_principal.deny) == 0 with input as f.res("aws_iam_role", "r", trust(cond))
	}
}

test_statement_spellings_of_everything if {
	# "*:*" is every action and arn:aws:*:*:*:* every resource.
	admin_arn := f.policy([{"Effect": "Allow", "Action": "*:*", "Resource": "arn:aws:*:*:*:*"}])
	count(admin_policy.deny) == 1 with input as f.res("aws_iam_policy", "p", {"policy": admin_arn})
	count(wildcard_resources.deny) == 1 with input as f.res("aws_iam_policy", "p", {"policy": f.policy([{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:*:*:*:*:*"}])})
	count(wildcard_resources.deny) == 0 with input as f.res("aws_iam_policy", "p", {"policy": f.policy([{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::*"}])})
	# Any action pattern that matches iam:PassRole passes roles.
	every action in ["iam:Pass*", "iam:*Role", "IAM:PassRole", "iam:P?ssRole"] {
		count(passrole_all.deny) == 1 with input as f.res("aws_iam_policy", "p", {"policy": f.policy([{"Effect": "Allow", "Action": action, "Resource": "arn:aws:*:*:*:*"}])})
	}
	count(passrole_all.deny) == 0 with input as f.res("aws_iam_policy", "p", {"policy": f.policy([{"Effect": "Allow", "Action": "iam:Get*", "Resource": "*"}])})
}

pass(cond) := {"policy": f.policy([{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*", "Condition": cond}])}

test_passrole_narrowing_conditions if {
	every cond in [
		{"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
		{"StringEquals": {"aws:ResourceTag/team": "data"}},
		{"ArnEquals": {"iam:AssociatedResourceArn": "arn:aws:ec2:eu-west-1:111122223333:instance/i-0abc"}},
	] {
		count(passrole_all.deny) == 0 with input as f.res("aws_iam_policy", "p", pass(cond))
	}
	every cond in [
		{"Bool": {"aws:MultiFactorAuthPresent": "true"}},
		{"StringLike": {"iam:PassedToService": "*.amazonaws.com"}},
		{"StringNotEquals": {"iam:PassedToService": "lambda.amazonaws.com"}},
		{"StringEqualsIfExists": {"iam:PassedToService": "ec2.amazonaws.com"}},
		{"StringLike": {"aws:ResourceTag/team": "*"}},
	] {
		count(passrole_all.deny) == 1 with input as f.res("aws_iam_policy", "p", pass(cond))
	}
}
