package plumbline.aws.dynamodb_test

import rego.v1

import data.plumbline.aws.dynamodb.cmk
import data.plumbline.aws.dynamodb.dax_encryption
import data.plumbline.aws.dynamodb.pitr
import data.plumbline.aws.fixtures_test as f

table(attrs) := f.res("aws_dynamodb_table", "t", object.union({"name": "t", "hash_key": "id"}, attrs))

test_pitr if {
	f.paths(pitr.deny) == {["attributes"]} with input as table({})
	f.paths(pitr.deny) == {["attributes", "point_in_time_recovery", 0, "enabled"]} with input as table({"point_in_time_recovery": [{"enabled": false}]})
	count(pitr.deny) == 0 with input as table({"point_in_time_recovery": [{"enabled": true}]})
	count(pitr.deny) == 0 with input as table({"point_in_time_recovery": [{"enabled": f.unknown("var.pitr")}]})
}

test_cmk if {
	count(cmk.deny) == 1 with input as table({})
	f.paths(cmk.deny) == {["attributes", "server_side_encryption", 0]} with input as table({"server_side_encryption": [{"enabled": true}]})
	count(cmk.deny) == 0 with input as table({"server_side_encryption": [{"enabled": true, "kms_key_arn": f.unknown("aws_kms_key.t.arn")}]})
	f.paths(cmk.deny) == {["attributes", "server_side_encryption", 0, "kms_key_arn"]} with input as table({"server_side_encryption": [{"enabled": true, "kms_key_arn": "alias/aws/dynamodb"}]})
}

test_dax if {
	count(dax_encryption.deny) == 1 with input as f.res("aws_dax_cluster", "d", {})
	count(dax_encryption.deny) == 0 with input as f.res("aws_dax_cluster", "d", {"server_side_encryption": [{"enabled": true}]})
}
