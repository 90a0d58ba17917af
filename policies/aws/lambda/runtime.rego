# METADATA
# title: Lambda function uses a deprecated runtime
# description: >-
#   Lambda stops applying security patches to a runtime when it is deprecated,
#   then blocks creating and updating functions that use it. The runtimes
#   reported are those of the Lambda documentation's deprecated runtimes table
#   whose deprecation date had passed by the end of 2025 (nodejs18.x on
#   September 1, 2025, python3.9 on December 15, 2025, and every older one).
# custom:
#   id: PL-AWS-0091
#   kinds: [aws_lambda_function]
#   severity: MEDIUM
#   remediation: >-
#     Move the function to a supported runtime of its language (for example
#     nodejs22.x, python3.13, java21, dotnet8, ruby3.4, provided.al2023).
#   frameworks:
#     - AWS-FSBP-Lambda.2
# related_resources:
#   - https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html
package plumbline.aws.lambda.runtime

import rego.v1

import data.plumbline.lib.aws

deprecated := {
	"nodejs", "nodejs4.3", "nodejs4.3-edge", "nodejs6.10", "nodejs8.10",
	"nodejs10.x", "nodejs12.x", "nodejs14.x", "nodejs16.x", "nodejs18.x",
	"python2.7", "python3.6", "python3.7", "python3.8", "python3.9",
	"java8",
	"go1.x",
	"ruby2.5", "ruby2.7",
	"dotnetcore1.0", "dotnetcore2.0", "dotnetcore2.1", "dotnetcore3.1",
	"dotnet5.0", "dotnet6", "dotnet7",
	"provided",
}

deny contains result if {
	input.type == "aws_lambda_function"
	rt := aws.attrs.runtime
	is_string(rt)
	lower(rt) in deprecated
	result := aws.result(sprintf("Lambda function %s uses the deprecated runtime %s", [aws.label, rt]), ["attributes", "runtime"])
}
