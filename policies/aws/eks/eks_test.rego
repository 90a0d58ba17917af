package plumbline.aws.eks_test

import rego.v1

import data.plumbline.aws.eks.control_plane_logging
import data.plumbline.aws.eks.public_cidrs
import data.plumbline.aws.eks.public_endpoint
import data.plumbline.aws.eks.secrets_encryption
import data.plumbline.aws.fixtures_test as f

cluster(attrs) := f.res("aws_eks_cluster", "main", object.union({"role_arn": "arn"}, attrs))

hardened := {
	"vpc_config": [{"subnet_ids": ["a"], "endpoint_public_access": false, "endpoint_private_access": true}],
	"encryption_config": [{"resources": ["secrets"], "provider": [{"key_arn": f.unknown("aws_kms_key.eks.arn")}]}],
	"enabled_cluster_log_types": ["api", "audit", "authenticator", "controllerManager", "scheduler"],
}

test_hardened_cluster_passes if {
	every d in [public_endpoint.deny, public_cidrs.deny, secrets_encryption.deny, control_plane_logging.deny] {
		count(d) == 0
	} with input as cluster(hardened)
}

test_public_endpoint_default if {
	c := cluster({"vpc_config": [{"subnet_ids": ["a"]}]})
	f.paths(public_endpoint.deny) == {["attributes", "vpc_config", 0]} with input as c
	f.paths(public_cidrs.deny) == {["attributes", "vpc_config", 0]} with input as c
}

test_public_cidrs if {
	c := cluster({"vpc_config": [{"endpoint_public_access": true, "public_access_cidrs": ["203.0.113.0/24", "0.0.0.0/0"]}]})
	f.paths(public_cidrs.deny) == {["attributes", "vpc_config", 0, "public_access_cidrs", 1]} with input as c
	ok := cluster({"vpc_config": [{"endpoint_public_access": true, "public_access_cidrs": ["203.0.113.0/24"]}]})
	count(public_cidrs.deny) == 0 with input as ok
	count(public_endpoint.deny) == 1 with input as ok
	count(public_endpoint.deny) == 0 with input as cluster({"vpc_config": [{"endpoint_public_access": f.unknown("var.public")}]})
}

test_secrets_encryption if {
	count(secrets_encryption.deny) == 1 with input as cluster({})
	count(secrets_encryption.deny) == 1 with input as cluster({"encryption_config": [{"resources": ["configmaps"]}]})
	count(secrets_encryption.deny) == 1 with input as cluster({"encryption_config": [{"resources": ["secrets"]}]})
	count(secrets_encryption.deny) == 0 with input as cluster({"encryption_config": [{"resources": f.unknown("var.r")}]})
}

test_logging if {
	r := control_plane_logging.deny with input as cluster({"enabled_cluster_log_types": ["api", "audit"]})
	f.paths(r) == {["attributes", "enabled_cluster_log_types"]}
	some x in r
	contains(x.msg, "authenticator, controllerManager, scheduler")
	f.paths(control_plane_logging.deny) == {["attributes"]} with input as cluster({})
	count(control_plane_logging.deny) == 0 with input as cluster({"enabled_cluster_log_types": f.unknown("var.logs")})
}

test_public_cidrs_empty_list_is_the_default if {
	empty := cluster({"vpc_config": [{"endpoint_public_access": true, "public_access_cidrs": []}]})
	f.paths(public_cidrs.deny) == {["attributes", "vpc_config", 0, "public_access_cidrs"]} with input as empty
	# Not when the endpoint is private, or the list is not known before apply.
	count(public_cidrs.deny) == 0 with input as cluster({"vpc_config": [{"endpoint_public_access": false, "public_access_cidrs": []}]})
	count(public_cidrs.deny) == 0 with input as cluster({"vpc_config": [{"endpoint_public_access": true, "public_access_cidrs": f.unknown("var.cidrs")}]})
	count(public_cidrs.deny) == 0 with input as cluster({"vpc_config": [{"endpoint_public_access": "false", "public_access_cidrs": []}]})
}

test_public_cidrs_by_arithmetic if {
	c := cluster({"vpc_config": [{"endpoint_public_access": "true", "public_access_cidrs": ["10.0.0.0/0", "203.0.113.0/24", "2001:db8::/0"]}]})
	f.paths(public_cidrs.deny) == {
		["attributes", "vpc_config", 0, "public_access_cidrs", 0],
		["attributes", "vpc_config", 0, "public_access_cidrs", 2],
	} with input as c
	count(public_cidrs.deny) == 0 with input as cluster({"vpc_config": [{"public_access_cidrs": ["0.0.0.0/1", "128.0.0.0/2"]}]})
}
