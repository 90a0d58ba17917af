# METADATA
# title: RDS database logs not published to CloudWatch Logs
# description: >-
#   An RDS DB instance or cluster keeps its database logs (audit, error,
#   general, slow query, postgresql...) on the instance, for a limited time,
#   unless enabled_cloudwatch_logs_exports names log types to publish; nothing
#   is published by default. An instance of an Aurora cluster takes this from
#   its cluster, and Aurora Serverless v1 clusters do not take the setting.
# custom:
#   id: PL-AWS-0093
#   kinds: [aws_db_instance, aws_rds_cluster]
#   severity: MEDIUM
#   remediation: >-
#     List the engine's log types in enabled_cloudwatch_logs_exports
#     (CloudFormation EnableCloudwatchLogsExports), e.g. ["audit", "error",
#     "general", "slowquery"] for MySQL, ["postgresql"] for PostgreSQL.
#   frameworks:
#     - AWS-FSBP-RDS.9
# related_resources:
#   - https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_LogAccess.Procedural.UploadtoCloudWatch.html
package plumbline.aws.rds.log_exports

import rego.v1

import data.plumbline.lib.aws

# A DB instance in a cluster (CloudFormation DBClusterIdentifier, or an Aurora engine).
exempt if {
	input.type == "aws_db_instance"
	aws.is_set(aws.attrs.cluster_identifier)
}

exempt if {
	input.type == "aws_db_instance"
	is_string(aws.attrs.engine)
	startswith(lower(aws.attrs.engine), "aurora")
}

exempt if {
	input.type == "aws_rds_cluster"
	aws.attrs.engine_mode == "serverless"
}

exports := object.get(aws.attrs, "enabled_cloudwatch_logs_exports", [])

none_exported if exports == null

none_exported if {
	is_array(exports)
	count(exports) == 0
}

deny contains result if {
	input.type in {"aws_db_instance", "aws_rds_cluster"}
	not exempt
	none_exported
	result := aws.result(sprintf("Database %s does not publish its logs to CloudWatch Logs", [aws.label]), aws.attr_path("enabled_cloudwatch_logs_exports"))
}
