# METADATA
# title: RDS automated backups disabled or left at one day
# description: >-
#   Automated backups allow point-in-time recovery; a retention period of 0
#   disables them, and the 1-day default (backup_retention_period unset)
#   leaves no time to notice a problem.
# custom:
#   id: PL-AWS-0032
#   kinds: [aws_db_instance, aws_rds_cluster]
#   severity: MEDIUM
#   remediation: >-
#     Set backup_retention_period explicitly, to 7 days or more.
#   frameworks:
#     - AWS-FSBP-RDS.11
package plumbline.aws.rds.backup_retention

import rego.v1

import data.plumbline.lib.aws

# A CloudFormation DB instance that joins an Aurora cluster (DBClusterIdentifier;
# Terraform's aws_rds_cluster_instance) takes this setting from its cluster.
cluster_member if {
	input.type == "aws_db_instance"
	aws.is_set(aws.attrs.cluster_identifier)
}

deny contains result if {
	input.type in {"aws_db_instance", "aws_rds_cluster"}
	not cluster_member
	not aws.is_set(aws.attrs.replicate_source_db)
	n := aws.number(aws.attrs.backup_retention_period)
	n < 2
	result := aws.result(sprintf("Database %s keeps automated backups for %v day(s)", [aws.label, n]), ["attributes", "backup_retention_period"])
}

deny contains result if {
	input.type in {"aws_db_instance", "aws_rds_cluster"}
	not cluster_member
	not aws.is_set(aws.attrs.replicate_source_db)
	aws.absent(aws.attrs, "backup_retention_period")
	result := aws.result(sprintf("Database %s does not set backup_retention_period (1 day by default)", [aws.label]), ["attributes"])
}
