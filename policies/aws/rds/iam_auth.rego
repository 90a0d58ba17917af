# METADATA
# title: RDS IAM database authentication disabled
# description: >-
#   IAM database authentication replaces long-lived database passwords with
#   short-lived tokens tied to IAM identities.
# custom:
#   id: PL-AWS-0034
#   kinds: [aws_db_instance, aws_rds_cluster]
#   severity: LOW
#   remediation: >-
#     Set iam_database_authentication_enabled to true.
#   frameworks:
#     - AWS-FSBP-RDS.10
#     - AWS-FSBP-RDS.12
package plumbline.aws.rds.iam_auth

import rego.v1

import data.plumbline.lib.aws

# A CloudFormation DB instance that joins an Aurora cluster (DBClusterIdentifier;
# Terraform's aws_rds_cluster_instance) takes this setting from its cluster.
cluster_member if {
	input.type == "aws_db_instance"
	aws.is_set(aws.attrs.cluster_identifier)
}

# An Aurora DB instance always belongs to a cluster, which manages IAM authentication
# (CloudFormation's EnableIAMDatabaseAuthentication: "Amazon Aurora: Not applicable"),
# even when the instance does not name it (a replica of an Aurora source, say).
cluster_member if {
	input.type == "aws_db_instance"
	is_string(aws.attrs.engine)
	startswith(lower(aws.attrs.engine), "aurora")
}

# Engines that support IAM authentication (the engine defaults to one of them
# on clusters; instances always name their engine unless restored).
supported if not aws.has_key(aws.attrs, "engine")

supported if {
	engine := aws.attrs.engine
	is_string(engine)
	regex.match(`^(aurora|aurora-mysql|aurora-postgresql|mysql|mariadb|postgres)$`, lower(engine))
}

# A replica that does not set it keeps its source's setting.
inherited if {
	aws.is_set(aws.attrs.replicate_source_db)
	aws.absent(aws.attrs, "iam_database_authentication_enabled")
}

deny contains result if {
	input.type in {"aws_db_instance", "aws_rds_cluster"}
	not cluster_member
	supported
	not inherited
	aws.not_true(aws.attrs, "iam_database_authentication_enabled")
	result := aws.result(sprintf("Database %s does not enable IAM authentication", [aws.label]), aws.attr_path("iam_database_authentication_enabled"))
}
