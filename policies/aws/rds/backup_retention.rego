# METADATA
# title: RDS automated backups disabled or too short
# description: >-
#   Automated backups allow point-in-time recovery; a retention period of 0
#   disables them, and shorter than 7 days leaves little time to notice a
#   problem.
# custom:
#   id: PL-AWS-0032
#   kinds: [aws_db_instance, aws_rds_cluster]
#   severity: MEDIUM
#   remediation: >-
#     Set backup_retention_period to 7 days or more.
#   frameworks:
#     - AWS-FSBP-RDS.11
package plumbline.aws.rds.backup_retention

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type in {"aws_db_instance", "aws_rds_cluster"}
	not aws.is_set(aws.attrs.replicate_source_db)
	n := aws.number(aws.attrs.backup_retention_period)
	n < 7
	result := aws.result(sprintf("Database %s keeps automated backups for %v days (7 required)", [aws.label, n]), ["attributes", "backup_retention_period"])
}
