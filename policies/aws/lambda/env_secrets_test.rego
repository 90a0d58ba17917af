package plumbline.aws.lambda.env_secrets_test

import rego.v1

import data.plumbline.aws.fixtures_test as f
import data.plumbline.aws.lambda.env_secrets

fn(vars) := f.res("aws_lambda_function", "fn", {"environment": [{"variables": vars}]})

test_env_secrets if {
	f.paths(env_secrets.deny) == {["attributes", "environment", 0, "variables", "secret_key"]} with input as fn({"secret_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "STAGE": "prod"})
	count(env_secrets.deny) == 1 with input as fn({"DB_PASSWORD": "hunter2"})
	count(env_secrets.deny) == 1 with input as fn({"GITHUB_TOKEN": "ghp_x"})

	# An access key id under any name (even a *_ID one).
	count(env_secrets.deny) == 1 with input as fn({"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE"})
	count(env_secrets.deny) == 2 with input as fn({"access_key": "AKIAIOSFODNN7EXAMPLE", "secret_key": "abc"})

	# References to a secret, empty values, unknown values, other names.
	count(env_secrets.deny) == 0 with input as fn({"DB_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:111122223333:secret:db"})
	count(env_secrets.deny) == 0 with input as fn({"SECRET_NAME": "prod/db", "TOKEN_PARAMETER_PATH": "/app/token"})
	count(env_secrets.deny) == 0 with input as fn({"API_KEY": "arn:aws:ssm:us-east-1:111122223333:parameter/key"})
	count(env_secrets.deny) == 0 with input as fn({"PASSWORD": ""})
	count(env_secrets.deny) == 0 with input as fn({"PASSWORD": f.unknown("random_password.p.result")})
	count(env_secrets.deny) == 0 with input as fn({"LOG_LEVEL": "debug", "TABLE": "orders"})
	count(env_secrets.deny) == 0 with input as f.res("aws_lambda_function", "fn", {})
	count(env_secrets.deny) == 0 with input as f.res("aws_lambda_function", "fn", {"environment": [{"variables": f.unknown("var.env")}]})
}
