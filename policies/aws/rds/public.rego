# METADATA
# title: RDS instance publicly accessible
# description: >-
#   A publicly accessible database instance gets a public DNS name and can be
#   reached from the internet where the security group allows it.
# custom:
#   id: PL-AWS-0030
#   kinds: [aws_db_instance, aws_rds_cluster_instance]
#   severity: HIGH
#   remediation: >-
#     Set publicly_accessible to false and reach the database from the VPC.
#   frameworks:
#     - CIS-AWS-Foundations-2.3.3
#     - AWS-FSBP-RDS.2
package plumbline.aws.rds.public

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type in {"aws_db_instance", "aws_rds_cluster_instance"}
	aws.is_true(aws.attrs.publicly_accessible)
	result := aws.result(sprintf("Database instance %s is publicly accessible", [aws.label]), ["attributes", "publicly_accessible"])
}
