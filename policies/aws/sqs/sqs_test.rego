package plumbline.aws.sqs_test

import rego.v1

import data.plumbline.aws.fixtures_test as f
import data.plumbline.aws.sqs.encryption
import data.plumbline.aws.sqs.public_policy

test_sqs_encryption if {
	count(encryption.deny) == 1 with input as f.res("aws_sqs_queue", "q", {})
	count(encryption.deny) == 1 with input as f.res("aws_sqs_queue", "q", {"sqs_managed_sse_enabled": false})
	count(encryption.deny) == 0 with input as f.res("aws_sqs_queue", "q", {"sqs_managed_sse_enabled": true})
	count(encryption.deny) == 0 with input as f.res("aws_sqs_queue", "q", {"kms_master_key_id": "alias/aws/sqs"})
	count(encryption.deny) == 0 with input as f.res("aws_sqs_queue", "q", {"sqs_managed_sse_enabled": f.unknown("var.x")})
}

test_public_queue_policy if {
	pub := f.policy([{"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": "*"}])
	f.paths(public_policy.deny) == {["attributes", "policy"]} with input as f.res("aws_sqs_queue_policy", "p", {"queue_url": "u", "policy": pub})
	count(public_policy.deny) == 1 with input as f.res("aws_sns_topic", "t", {"policy": pub})
	cond := f.policy([{"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": "*", "Condition": {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:x"}}}])
	count(public_policy.deny) == 0 with input as f.res("aws_sqs_queue_policy", "p", {"policy": cond})
}
