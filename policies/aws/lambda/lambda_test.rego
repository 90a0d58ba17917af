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
