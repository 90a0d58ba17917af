# METADATA
# title: SQS queue policy allows everyone
# description: >-
#   A queue policy statement that allows Principal "*" without a condition
#   on the caller (source ARN, account, IP, VPC...)
#   lets any AWS account send, read or delete messages.
# custom:
#   id: PL-AWS-0063
#   kinds: [aws_sqs_queue, aws_sqs_queue_policy, aws_sns_topic, aws_sns_topic_policy]
#   severity: HIGH
#   remediation: >-
#     Name the principals, or restrict the statement with aws:SourceArn or
#     aws:SourceAccount.
package plumbline.aws.sqs.public_policy

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type in {"aws_sqs_queue", "aws_sqs_queue_policy", "aws_sns_topic", "aws_sns_topic_policy"}
	doc := aws.policy_doc(aws.attrs.policy)
	some s in aws.allow_statements(doc)
	aws.public_principal(s)
	not aws.restricting_condition(s)
	result := aws.result(sprintf("%s has a policy statement that allows everyone (Principal \"*\")", [aws.label]), ["attributes", "policy"])
}
