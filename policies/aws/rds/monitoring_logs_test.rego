package plumbline.aws.rds.monitoring_logs_test

import rego.v1

import data.plumbline.aws.fixtures_test as f
import data.plumbline.aws.rds.enhanced_monitoring
import data.plumbline.aws.rds.log_exports

test_enhanced_monitoring if {
	# Absent: the default interval is 0.
	count(enhanced_monitoring.deny) == 1 with input as f.res("aws_db_instance", "db", {"engine": "mysql"})
	f.paths(enhanced_monitoring.deny) == {["attributes", "monitoring_interval"]} with input as f.res("aws_db_instance", "db", {"monitoring_interval": 0})
	count(enhanced_monitoring.deny) == 1 with input as f.res("aws_rds_cluster_instance", "i", {"monitoring_interval": "0"})
	count(enhanced_monitoring.deny) == 0 with input as f.res("aws_db_instance", "db", {"monitoring_interval": 60, "monitoring_role_arn": "r"})
	count(enhanced_monitoring.deny) == 0 with input as f.res("aws_rds_cluster_instance", "i", {"monitoring_interval": "5"})
	count(enhanced_monitoring.deny) == 0 with input as f.res("aws_db_instance", "db", {"monitoring_interval": f.unknown("var.i")})
	count(enhanced_monitoring.deny) == 0 with input as f.res("aws_rds_cluster", "c", {})
}

test_log_exports if {
	count(log_exports.deny) == 1 with input as f.res("aws_db_instance", "db", {"engine": "mysql"})
	count(log_exports.deny) == 1 with input as f.res("aws_db_instance", "db", {"engine": "postgres", "enabled_cloudwatch_logs_exports": []})
	count(log_exports.deny) == 1 with input as f.res("aws_rds_cluster", "c", {"engine": "aurora-mysql"})
	count(log_exports.deny) == 0 with input as f.res("aws_db_instance", "db", {"engine": "postgres", "enabled_cloudwatch_logs_exports": ["postgresql"]})
	count(log_exports.deny) == 0 with input as f.res("aws_rds_cluster", "c", {"enabled_cloudwatch_logs_exports": ["audit"]})
	count(log_exports.deny) == 0 with input as f.res("aws_rds_cluster", "c", {"enabled_cloudwatch_logs_exports": f.unknown("var.logs")})

	# Members of a cluster take it from the cluster; Serverless v1 does not take it.
	count(log_exports.deny) == 0 with input as f.res("aws_db_instance", "db", {"engine": "aurora-postgresql"})
	count(log_exports.deny) == 0 with input as f.res("aws_db_instance", "db", {"cluster_identifier": "c"})
	count(log_exports.deny) == 0 with input as f.res("aws_rds_cluster", "c", {"engine_mode": "serverless"})
}
