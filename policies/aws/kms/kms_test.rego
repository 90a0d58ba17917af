package plumbline.aws.kms_test

import rego.v1

import data.plumbline.aws.fixtures_test as f
import data.plumbline.aws.kms.rotation

test_rotation if {
	f.paths(rotation.deny) == {["attributes"]} with input as f.res("aws_kms_key", "k", {})
	f.paths(rotation.deny) == {["attributes", "enable_key_rotation"]} with input as f.res("aws_kms_key", "k", {"enable_key_rotation": false})
	count(rotation.deny) == 0 with input as f.res("aws_kms_key", "k", {"enable_key_rotation": true})
	count(rotation.deny) == 0 with input as f.res("aws_kms_key", "k", {"enable_key_rotation": f.unknown("var.r")})
	count(rotation.deny) == 0 with input as f.res("aws_kms_key", "k", {"customer_master_key_spec": "RSA_2048", "key_usage": "SIGN_VERIFY"})
}
