package plumbline.aws.sns_test

import rego.v1

import data.plumbline.aws.fixtures_test as f
import data.plumbline.aws.sns.encryption

test_sns_encryption if {
	f.paths(encryption.deny) == {["attributes"]} with input as f.res("aws_sns_topic", "t", {"name": "t"})
	f.paths(encryption.deny) == {["attributes", "kms_master_key_id"]} with input as f.res("aws_sns_topic", "t", {"kms_master_key_id": ""})
	count(encryption.deny) == 0 with input as f.res("aws_sns_topic", "t", {"kms_master_key_id": "alias/aws/sns"})
	count(encryption.deny) == 0 with input as f.res("aws_sns_topic", "t", {"kms_master_key_id": f.unknown("aws_kms_key.k.id")})
}
