# METADATA
# title: ElastiCache Redis without automatic backups
# description: >-
#   A Redis (or Valkey, its fork with the same snapshots) cluster without
#   snapshot retention cannot be restored after data loss. Memcached has no
#   backups.
# custom:
#   id: PL-AWS-0071
#   kinds: [aws_elasticache_cluster, aws_elasticache_replication_group]
#   severity: LOW
#   remediation: >-
#     Set snapshot_retention_limit to 1 or more days.
#   frameworks:
#     - AWS-FSBP-ElastiCache.1
package plumbline.aws.elasticache.backups

import rego.v1

import data.plumbline.lib.aws

redis if input.type == "aws_elasticache_replication_group"

redis if {
	input.type == "aws_elasticache_cluster"
	is_string(aws.attrs.engine)
	lower(aws.attrs.engine) in {"redis", "valkey"}
}

# cache.t1 nodes do not support backups.
no_backup_support if startswith(aws.attrs.node_type, "cache.t1.")

deny contains result if {
	redis
	not no_backup_support
	not aws.is_unknown(aws.attrs.snapshot_retention_limit)
	n := object.get(aws.attrs, "snapshot_retention_limit", 0)
	aws.number(n) == 0
	result := aws.result(sprintf("ElastiCache %s keeps no automatic backups", [aws.label]), aws.attr_path("snapshot_retention_limit"))
}
