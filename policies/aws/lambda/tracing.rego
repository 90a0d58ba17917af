# METADATA
# title: Lambda function tracing disabled
# description: >-
#   Active X-Ray tracing records each invocation's path through other
#   services, which helps investigate abuse and failures.
# custom:
#   id: PL-AWS-0049
#   kinds: [aws_lambda_function]
#   severity: LOW
#   remediation: >-
#     Add tracing_config { mode = "Active" }.
package plumbline.aws.lambda.tracing

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type == "aws_lambda_function"
	mode := object.get(aws.block(aws.attrs, "tracing_config"), "mode", "PassThrough")
	not aws.is_unknown(mode)
	mode != "Active"
	result := aws.result(sprintf("Lambda function %s does not enable active tracing", [aws.label]), aws.block_attr_path("tracing_config", "mode"))
}
