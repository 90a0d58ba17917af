package plumbline.aws.rds_test

import rego.v1

import data.plumbline.aws.fixtures_test as f
import data.plumbline.aws.rds.backup_retention
import data.plumbline.aws.rds.deletion_protection
import data.plumbline.aws.rds.iam_auth
import data.plumbline.aws.rds.public
import data.plumbline.aws.rds.storage_encrypted

good := {
	"engine": "postgres", "publicly_accessible": false, "storage_encrypted": true,
	"backup_retention_period": 14, "deletion_protection": true, "iam_database_authentication_enabled": true,
}

db(attrs) := f.res("aws_db_instance", "db", attrs)

test_good_instance_passes if {
	every d in [public.deny, storage_encrypted.deny, backup_retention.deny, deletion_protection.deny, iam_auth.deny] {
		count(d) == 0
	} with input as db(good)
}

test_public if {
	f.paths(public.deny) == {["attributes", "publicly_accessible"]} with input as db(object.union(good, {"publicly_accessible": true}))
	count(public.deny) == 0 with input as db({"publicly_accessible": f.unknown("var.public")})
}

test_storage_encrypted if {
	f.paths(storage_encrypted.deny) == {["attributes"]} with input as db({"engine": "mysql"})
	f.paths(storage_encrypted.deny) == {["attributes", "storage_encrypted"]} with input as f.res("aws_rds_cluster", "c", {"storage_encrypted": false})
	count(storage_encrypted.deny) == 0 with input as f.res("aws_rds_cluster", "c", {"engine_mode": "serverless"})
	count(storage_encrypted.deny) == 0 with input as db({"replicate_source_db": f.unknown("aws_db_instance.main.identifier")})
	count(storage_encrypted.deny) == 1 with input as db({"replicate_source_db": "main", "storage_encrypted": false})
}

# A CloudFormation DB instance in an Aurora cluster takes these settings from the cluster.
test_cluster_member if {
	member := db({"engine": "aurora-mysql", "cluster_identifier": f.unknown("aws_rds_cluster.c.id")})
	every d in [storage_encrypted.deny, backup_retention.deny, iam_auth.deny] {
		count(d) == 0
	} with input as member
	count(iam_auth.deny) == 0 with input as db({"engine": "mysql", "replicate_source_db": "main"})
	count(iam_auth.deny) == 1 with input as db({"engine": "mysql", "replicate_source_db": "main", "iam_database_authentication_enabled": false})
}

# On an Aurora instance the setting is not applicable: its cluster manages it, even when
# the instance is a replica that names no cluster and writes false.
test_iam_auth_aurora_instance if {
	count(iam_auth.deny) == 0 with input as db({"engine": "aurora", "replicate_source_db": "src", "iam_database_authentication_enabled": false})
	count(iam_auth.deny) == 0 with input as db({"engine": "Aurora-PostgreSQL"})
	count(iam_auth.deny) == 1 with input as f.res("aws_rds_cluster", "c", {"engine": "aurora-mysql", "iam_database_authentication_enabled": false})
	count(iam_auth.deny) == 1 with input as db({"engine": "mariadb", "iam_database_authentication_enabled": false})
}

test_backup_retention if {
	f.paths(backup_retention.deny) == {["attributes", "backup_retention_period"]} with input as db({"backup_retention_period": 0})
	count(backup_retention.deny) == 1 with input as f.res("aws_rds_cluster", "c", {"backup_retention_period": "1"})
	count(backup_retention.deny) == 0 with input as db({"backup_retention_period": 7})
	count(backup_retention.deny) == 0 with input as db({"backup_retention_period": 5})
	f.paths(backup_retention.deny) == {["attributes"]} with input as db({"engine": "mysql"})
	count(backup_retention.deny) == 0 with input as db({"replicate_source_db": "main"})
	count(backup_retention.deny) == 0 with input as db({"backup_retention_period": f.unknown("var.days")})
}

test_deletion_protection if {
	count(deletion_protection.deny) == 1 with input as db({})
	count(deletion_protection.deny) == 1 with input as f.res("aws_rds_cluster", "c", {"deletion_protection": false})
}

test_iam_auth if {
	count(iam_auth.deny) == 1 with input as db({"engine": "mysql"})
	count(iam_auth.deny) == 0 with input as db({"engine": "sqlserver-ex"})
	count(iam_auth.deny) == 0 with input as db({"engine": "mysql", "iam_database_authentication_enabled": true})
}
