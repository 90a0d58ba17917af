# METADATA
# title: ElastiCache replication group not encrypted in transit
# description: >-
#   Without in-transit encryption, clients and replicas exchange data in plain
#   text.
# custom:
#   id: PL-AWS-0070
#   kinds: [aws_elasticache_replication_group]
#   severity: MEDIUM
#   remediation: >-
#     Set transit_encryption_enabled to true.
#   frameworks:
#     - AWS-FSBP-ElastiCache.5
package plumbline.aws.elasticache.in_transit

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type == "aws_elasticache_replication_group"
	aws.not_true(aws.attrs, "transit_encryption_enabled")
	result := aws.result(sprintf("Replication group %s is not encrypted in transit", [aws.label]), aws.attr_path("transit_encryption_enabled"))
}
