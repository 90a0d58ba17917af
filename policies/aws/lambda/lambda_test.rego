package plumbline.aws.lambda_test

import rego.v1

import data.plumbline.aws.fixtures_test as f
import data.plumbline.aws.lambda.permission_source
import data.plumbline.aws.lambda.public_permission
import data.plumbline.aws.lambda.tracing

test_tracing if {
	f.paths(tracing.deny) == {["attributes"]} with input as f.res("aws_lambda_function", "fn", {"function_name": "fn"})
	f.paths(tracing.deny) == {["attributes", "tracing_config", 0, "mode"]} with input as f.res("aws_lambda_function", "fn", {"tracing_config": [{"mode": "PassThrough"}]})
	count(tracing.deny) == 0 with input as f.res("aws_lambda_function", "fn", {"tracing_config": [{"mode": "Active"}]})
	count(tracing.deny) == 0 with input as f.res("aws_lambda_function", "fn", {"tracing_config": [{"mode": f.unknown("var.m")}]})
}

test_public_permission if {
	f.paths(public_permission.deny) == {["attributes", "principal"]} with input as f.res("aws_lambda_permission", "p", {"action": "lambda:InvokeFunction", "principal": "*"})
	count(public_permission.deny) == 0 with input as f.res("aws_lambda_permission", "p", {"principal": "*", "source_account": "123456789012"})
	count(public_permission.deny) == 0 with input as f.res("aws_lambda_permission", "p", {"principal": "123456789012"})
}

test_permission_source if {
	count(permission_source.deny) == 1 with input as f.res("aws_lambda_permission", "p", {"principal": "s3.amazonaws.com"})
	count(permission_source.deny) == 0 with input as f.res("aws_lambda_permission", "p", {"principal": "s3.amazonaws.com", "source_arn": f.unknown("aws_s3_bucket.b.arn")})
	count(permission_source.deny) == 0 with input as f.res("aws_lambda_permission", "p", {"principal": "123456789012"})
}

perm(attrs) := f.res("aws_lambda_permission", "p", object.union({"action": "lambda:InvokeFunction", "function_name": "fn"}, attrs))

test_public_permission_wildcard_conditions_restrict_nothing if {
	# Lambda compares source_arn with StringLike: a wildcard matches every caller.
	every attrs in [
		{"principal": "*", "source_arn": "*"},
		{"principal": "*", "source_arn": "arn:aws:s3:::*"},
		{"principal": "*", "source_arn": "arn:aws:sns:*:*:alerts"},
		{"principal": "*", "source_account": "*"},
		{"principal": "*", "principal_org_id": "o-*"},
		{"principal": "*", "source_arn": ""},
	] {
		count(public_permission.deny) == 1 with input as perm(attrs)
	}
	r := public_permission.deny with input as perm({"principal": "*", "source_arn": "*"})
	some x in r
	contains(x.msg, `source_arn = "*"`)
	# A fixed ARN, an ARN of one account, an account or an organization does restrict.
	every attrs in [
		{"principal": "*", "source_arn": "arn:aws:s3:::uploads"},
		{"principal": "*", "source_arn": "arn:aws:events:eu-west-1:111122223333:rule/*"},
		{"principal": "*", "source_arn": "*", "source_account": "111122223333"},
		{"principal": "*", "principal_org_id": "o-a1b2c3d4e5"},
		{"principal": "*", "source_arn": f.unknown("aws_s3_bucket.b.arn")},
	] {
		count(public_permission.deny) == 0 with input as perm(attrs)
	}
}

test_permission_source_wildcard_arn if {
	r := permission_source.deny with input as perm({"principal": "s3.amazonaws.com", "source_arn": "arn:aws:s3:::*"})
	f.paths(r) == {["attributes", "source_arn"]}
	count(permission_source.deny) == 1 with input as perm({"principal": "sns.amazonaws.com", "source_arn": "arn:aws:sns:*:*:alerts"})
	# The account named by source_account, or in the ARN, limits it to that account's resources.
	count(permission_source.deny) == 0 with input as perm({"principal": "s3.amazonaws.com", "source_arn": "arn:aws:s3:::*", "source_account": "111122223333"})
	count(permission_source.deny) == 0 with input as perm({"principal": "sns.amazonaws.com", "source_arn": "arn:aws:sns:eu-west-1:111122223333:*"})
	count(permission_source.deny) == 0 with input as perm({"principal": "s3.amazonaws.com", "source_arn": "arn:aws:s3:::uploads"})
}
