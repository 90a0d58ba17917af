package plumbline.aws.neptune_test

import rego.v1

import data.plumbline.aws.fixtures_test as f
import data.plumbline.aws.neptune.audit_logs
import data.plumbline.aws.neptune.deletion_protection
import data.plumbline.aws.neptune.iam_auth
import data.plumbline.aws.neptune.storage_encrypted

cluster(attrs) := f.res("aws_neptune_cluster", "c", attrs)

test_storage_encrypted if {
	# Absent: Neptune's default is unencrypted.
	count(storage_encrypted.deny) == 1 with input as cluster({})
	count(storage_encrypted.deny) == 1 with input as cluster({"storage_encrypted": false})
	count(storage_encrypted.deny) == 1 with input as cluster({"storage_encrypted": "false"})
	count(storage_encrypted.deny) == 0 with input as cluster({"storage_encrypted": true})
	count(storage_encrypted.deny) == 0 with input as cluster({"storage_encrypted": "true", "kms_key_arn": "k"})
	count(storage_encrypted.deny) == 0 with input as cluster({"storage_encrypted": f.unknown("var.e")})

	# Restored from a snapshot: the snapshot decides.
	count(storage_encrypted.deny) == 0 with input as cluster({"snapshot_identifier": "snap"})
	count(storage_encrypted.deny) == 0 with input as f.res("aws_neptune_cluster_instance", "i", {})
}

test_audit_logs if {
	count(audit_logs.deny) == 1 with input as cluster({})
	count(audit_logs.deny) == 1 with input as cluster({"enable_cloudwatch_logs_exports": []})
	count(audit_logs.deny) == 1 with input as cluster({"enable_cloudwatch_logs_exports": ["slowquery"]})
	count(audit_logs.deny) == 0 with input as cluster({"enable_cloudwatch_logs_exports": ["audit"]})
	count(audit_logs.deny) == 0 with input as cluster({"enable_cloudwatch_logs_exports": ["slowquery", "audit"]})
	count(audit_logs.deny) == 0 with input as cluster({"enable_cloudwatch_logs_exports": f.unknown("var.logs")})
	count(audit_logs.deny) == 0 with input as cluster({"enable_cloudwatch_logs_exports": ["slowquery", f.unknown("var.log")]})
}

test_iam_auth if {
	count(iam_auth.deny) == 1 with input as cluster({})
	count(iam_auth.deny) == 1 with input as cluster({"iam_database_authentication_enabled": false})
	count(iam_auth.deny) == 0 with input as cluster({"iam_database_authentication_enabled": true})
	count(iam_auth.deny) == 0 with input as cluster({"iam_database_authentication_enabled": "true"})
	count(iam_auth.deny) == 0 with input as cluster({"iam_database_authentication_enabled": f.unknown("var.iam")})
}

test_deletion_protection if {
	count(deletion_protection.deny) == 1 with input as cluster({})
	count(deletion_protection.deny) == 1 with input as cluster({"deletion_protection": false})
	count(deletion_protection.deny) == 0 with input as cluster({"deletion_protection": true})
	count(deletion_protection.deny) == 0 with input as cluster({"deletion_protection": f.unknown("var.d")})
}
