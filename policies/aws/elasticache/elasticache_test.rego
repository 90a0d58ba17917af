package plumbline.aws.elasticache_test

import rego.v1

import data.plumbline.aws.elasticache.at_rest
import data.plumbline.aws.elasticache.backups
import data.plumbline.aws.elasticache.in_transit
import data.plumbline.aws.fixtures_test as f

rg(attrs) := f.res("aws_elasticache_replication_group", "r", attrs)

test_replication_group if {
	bare := rg({"description": "cache"})
	count(at_rest.deny) == 1 with input as bare
	count(in_transit.deny) == 1 with input as bare
	count(backups.deny) == 1 with input as bare
	good := rg({"at_rest_encryption_enabled": true, "transit_encryption_enabled": true, "snapshot_retention_limit": 5})
	count(at_rest.deny) == 0 with input as good
	count(in_transit.deny) == 0 with input as good
	count(backups.deny) == 0 with input as good
	f.paths(at_rest.deny) == {["attributes", "at_rest_encryption_enabled"]} with input as rg({"at_rest_encryption_enabled": false})
}

test_cluster_backups if {
	count(backups.deny) == 1 with input as f.res("aws_elasticache_cluster", "c", {"engine": "redis", "snapshot_retention_limit": 0})
	count(backups.deny) == 0 with input as f.res("aws_elasticache_cluster", "c", {"engine": "memcached"})
	count(backups.deny) == 1 with input as f.res("aws_elasticache_cluster", "c", {"engine": "redis", "node_type": "cache.m5.large"})
	count(backups.deny) == 0 with input as f.res("aws_elasticache_cluster", "c", {"engine": "redis", "node_type": "cache.t1.micro"})
	count(backups.deny) == 0 with input as f.res("aws_elasticache_cluster", "c", {"engine": "redis", "snapshot_retention_limit": f.unknown("var.n")})
}

test_cluster_backups_valkey if {
	count(backups.deny) == 1 with input as f.res("aws_elasticache_cluster", "c", {"engine": "valkey", "snapshot_retention_limit": 0})
	count(backups.deny) == 0 with input as f.res("aws_elasticache_cluster", "c", {"engine": "valkey", "snapshot_retention_limit": 7})
	count(backups.deny) == 0 with input as f.res("aws_elasticache_cluster", "c", {"engine": "memcached"})
}
