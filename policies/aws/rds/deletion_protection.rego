# METADATA
# title: RDS deletion protection disabled
# description: >-
#   Without deletion protection, a database can be deleted by a single API
#   call or an unintended plan.
# custom:
#   id: PL-AWS-0033
#   kinds: [aws_db_instance, aws_rds_cluster]
#   severity: MEDIUM
#   remediation: >-
#     Set deletion_protection to true.
#   frameworks:
#     - AWS-FSBP-RDS.7
#     - AWS-FSBP-RDS.8
package plumbline.aws.rds.deletion_protection

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type in {"aws_db_instance", "aws_rds_cluster"}
	aws.not_true(aws.attrs, "deletion_protection")
	result := aws.result(sprintf("Database %s does not enable deletion protection", [aws.label]), aws.attr_path("deletion_protection"))
}
