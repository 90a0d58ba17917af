# METADATA
# title: ElastiCache replication group not encrypted at rest
# description: >-
#   Cached data and backups are written to disk unencrypted unless at-rest
#   encryption is enabled.
# custom:
#   id: PL-AWS-0069
#   kinds: [aws_elasticache_replication_group]
#   severity: MEDIUM
#   remediation: >-
#     Set at_rest_encryption_enabled to true.
#   frameworks:
#     - AWS-FSBP-ElastiCache.4
package plumbline.aws.elasticache.at_rest

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type == "aws_elasticache_replication_group"
	aws.not_true(aws.attrs, "at_rest_encryption_enabled")
	result := aws.result(sprintf("Replication group %s is not encrypted at rest", [aws.label]), aws.attr_path("at_rest_encryption_enabled"))
}
