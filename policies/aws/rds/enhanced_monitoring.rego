# METADATA
# title: RDS enhanced monitoring disabled
# description: >-
#   Enhanced Monitoring collects the DB instance's operating system metrics
#   (processes, memory, file system) every 1 to 60 seconds into CloudWatch
#   Logs; monitoring_interval 0, the default, turns it off.
# custom:
#   id: PL-AWS-0092
#   kinds: [aws_db_instance, aws_rds_cluster_instance]
#   severity: LOW
#   remediation: >-
#     Set monitoring_interval to 1, 5, 10, 15, 30 or 60 with a monitoring_role_arn
#     (CloudFormation MonitoringInterval and MonitoringRoleArn).
#   frameworks:
#     - AWS-FSBP-RDS.6
# related_resources:
#   - https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Monitoring.OS.html
package plumbline.aws.rds.enhanced_monitoring

import rego.v1

import data.plumbline.lib.aws

interval := object.get(aws.attrs, "monitoring_interval", 0)

deny contains result if {
	input.type in {"aws_db_instance", "aws_rds_cluster_instance"}
	not aws.is_unknown(interval)
	off(interval)
	result := aws.result(sprintf("Database instance %s does not enable enhanced monitoring (monitoring_interval)", [aws.label]), aws.attr_path("monitoring_interval"))
}

off(v) if v == null

off(v) if aws.number(v) == 0
