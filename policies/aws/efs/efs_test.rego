package plumbline.aws.efs_test

import rego.v1

import data.plumbline.aws.efs.encryption
import data.plumbline.aws.fixtures_test as f

test_efs if {
	count(encryption.deny) == 1 with input as f.res("aws_efs_file_system", "fs", {})
	count(encryption.deny) == 0 with input as f.res("aws_efs_file_system", "fs", {"encrypted": true})
	count(encryption.deny) == 0 with input as f.res("aws_efs_file_system", "fs", {"encrypted": f.unknown("var.e")})
}
