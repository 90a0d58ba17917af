# METADATA
# title: RDS storage not encrypted
# description: >-
#   Database storage, its snapshots and backups must be encrypted at rest.
# custom:
#   id: PL-AWS-0031
#   kinds: [aws_db_instance, aws_rds_cluster]
#   severity: HIGH
#   remediation: >-
#     Set storage_encrypted to true (with kms_key_id for a customer managed
#     key). Existing databases must be restored from an encrypted snapshot
#     copy.
#   frameworks:
#     - CIS-AWS-Foundations-2.3.1
#     - AWS-FSBP-RDS.3
#     - AWS-FSBP-RDS.27
package plumbline.aws.rds.storage_encrypted

import rego.v1

import data.plumbline.lib.aws

# A CloudFormation DB instance that joins an Aurora cluster (DBClusterIdentifier;
# Terraform's aws_rds_cluster_instance) takes this setting from its cluster.
cluster_member if {
	input.type == "aws_db_instance"
	aws.is_set(aws.attrs.cluster_identifier)
}

# A replica inherits the encryption of its source, unless the template says
# otherwise.
exempt if {
	aws.is_set(aws.attrs.replicate_source_db)
	aws.absent(aws.attrs, "storage_encrypted")
}

exempt if aws.is_set(aws.attrs.snapshot_identifier)

# Aurora Serverless v1 clusters are always encrypted.
exempt if {
	input.type == "aws_rds_cluster"
	aws.attrs.engine_mode == "serverless"
}

deny contains result if {
	input.type in {"aws_db_instance", "aws_rds_cluster"}
	not cluster_member
	aws.not_true(aws.attrs, "storage_encrypted")
	not exempt
	result := aws.result(sprintf("Database %s does not encrypt its storage", [aws.label]), aws.attr_path("storage_encrypted"))
}
