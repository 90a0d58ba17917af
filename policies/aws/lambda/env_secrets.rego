# METADATA
# title: Lambda function passes secrets in plain environment variables
# description: >-
#   A function's environment variables are returned in clear text to anyone
#   allowed lambda:GetFunctionConfiguration, and are written into the template
#   and the Terraform state; AWS recommends Secrets Manager for secrets. A
#   variable holding an AWS access key id, or a literal value under a
#   credential name (password, secret, token, api key, access key, private
#   key...), is reported; names of a reference (..._ARN, ..._NAME, ..._ID,
#   ..._PATH) and ARN values are not.
# custom:
#   id: PL-AWS-0090
#   kinds: [aws_lambda_function]
#   severity: HIGH
#   remediation: >-
#     Store the value in Secrets Manager (or SSM Parameter Store SecureString),
#     pass its ARN or name in the environment, and read it at run time.
# related_resources:
#   - https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html
#   - https://docs.aws.amazon.com/secretsmanager/latest/userguide/retrieving-secrets_lambda.html
package plumbline.aws.lambda.env_secrets

import rego.v1

import data.plumbline.lib.aws

secret_name(n) if regex.match(`(?i)(passw(or)?d|secret|token|api_?key|access_?key|private_?key|credential)`, n)

# A name that holds where the secret is, not the secret.
reference_name(n) if regex.match(`(?i)[_-]?(arn|name|id|path|url|uri)$`, n)

key_id(v) if regex.match(`^(AKIA|ASIA)[A-Z2-7]{16}$`, trim_space(v))

finding(n, v) if key_id(v)

finding(n, v) if {
	secret_name(n)
	not reference_name(n)
	aws.non_empty_string(v)
	not startswith(trim_space(v), "arn:")
	not startswith(trim_space(v), "{{resolve:")
}

variables := aws.object_or_empty(aws.block(aws.attrs, "environment").variables)

deny contains result if {
	input.type == "aws_lambda_function"
	some n, v in variables
	is_string(v)
	finding(n, v)
	result := aws.result(sprintf("Lambda function %s sets %s in plain text in its environment", [aws.label, n]), ["attributes", "environment", 0, "variables", n])
}
