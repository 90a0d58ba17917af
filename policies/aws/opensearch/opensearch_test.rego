package plumbline.aws.opensearch_test

import rego.v1

import data.plumbline.aws.fixtures_test as f
import data.plumbline.aws.opensearch.at_rest
import data.plumbline.aws.opensearch.audit_logs
import data.plumbline.aws.opensearch.https
import data.plumbline.aws.opensearch.node_to_node
import data.plumbline.aws.opensearch.public_policy
import data.plumbline.aws.opensearch.vpc

dom(attrs) := f.res("aws_opensearch_domain", "d", attrs)

es(attrs) := f.res("aws_elasticsearch_domain", "d", attrs)

test_at_rest if {
	# Absent: the API's default is off.
	count(at_rest.deny) == 1 with input as dom({})
	count(at_rest.deny) == 1 with input as es({"encrypt_at_rest": [{"enabled": false}]})
	count(at_rest.deny) == 1 with input as dom({"encrypt_at_rest": [{"enabled": "false"}]})
	count(at_rest.deny) == 0 with input as dom({"encrypt_at_rest": [{"enabled": true}]})
	count(at_rest.deny) == 0 with input as es({"encrypt_at_rest": [{"enabled": "true", "kms_key_id": "k"}]})
	count(at_rest.deny) == 0 with input as dom({"encrypt_at_rest": [{"enabled": f.unknown("var.e")}]})
	count(at_rest.deny) == 0 with input as f.res("aws_rds_cluster", "d", {})
}

test_node_to_node if {
	count(node_to_node.deny) == 1 with input as dom({})
	count(node_to_node.deny) == 1 with input as es({"node_to_node_encryption": [{"enabled": false}]})
	count(node_to_node.deny) == 0 with input as dom({"node_to_node_encryption": [{"enabled": true}]})
	count(node_to_node.deny) == 0 with input as dom({"node_to_node_encryption": [{"enabled": f.unknown("var.e")}]})
}

test_https if {
	# No endpoint options: the API does not enforce HTTPS.
	count(https.deny) == 1 with input as dom({})
	count(https.deny) == 1 with input as es({"domain_endpoint_options": [{"enforce_https": false, "tls_security_policy": "Policy-Min-TLS-1-2-2019-07"}]})

	# In the block, enforce_https defaults to true.
	count(https.deny) == 0 with input as dom({"domain_endpoint_options": [{"tls_security_policy": "Policy-Min-TLS-1-2-2019-07"}]})
	count(https.deny) == 0 with input as dom({"domain_endpoint_options": [{"enforce_https": true}]})

	# CloudFormation's EnforceHTTPS has the API's default, false.
	count(https.deny) == 1 with input as object.union(dom({"domain_endpoint_options": [{"tls_security_policy": "Policy-Min-TLS-1-2-2019-07"}]}), {"source": "cloudformation"})
	count(https.deny) == 0 with input as object.union(dom({"domain_endpoint_options": [{"enforce_https": "true"}]}), {"source": "cloudformation"})
	count(https.deny) == 1 with input as dom({"domain_endpoint_options": [{"enforce_https": true, "tls_security_policy": "Policy-Min-TLS-1-0-2019-07"}]})
	count(https.deny) == 2 with input as dom({"domain_endpoint_options": [{"enforce_https": false, "tls_security_policy": "Policy-Min-TLS-1-0-2019-07"}]})
	count(https.deny) == 0 with input as dom({"domain_endpoint_options": [{"enforce_https": true, "tls_security_policy": "Policy-Min-TLS-1-2-PFS-2023-10"}]})
	count(https.deny) == 0 with input as dom({"domain_endpoint_options": [{"enforce_https": f.unknown("var.h"), "tls_security_policy": f.unknown("var.p")}]})
}

test_audit_logs if {
	count(audit_logs.deny) == 1 with input as dom({})
	count(audit_logs.deny) == 1 with input as dom({"log_publishing_options": [{"log_type": "INDEX_SLOW_LOGS", "cloudwatch_log_group_arn": "a"}]})
	count(audit_logs.deny) == 1 with input as es({"log_publishing_options": [{"log_type": "AUDIT_LOGS", "cloudwatch_log_group_arn": "a", "enabled": false}]})
	count(audit_logs.deny) == 0 with input as dom({"log_publishing_options": [{"log_type": "AUDIT_LOGS", "cloudwatch_log_group_arn": "a"}]})
	count(audit_logs.deny) == 0 with input as dom({"log_publishing_options": [{"log_type": "AUDIT_LOGS", "enabled": true}]})
	count(audit_logs.deny) == 0 with input as dom({"log_publishing_options": [{"log_type": f.unknown("each.key")}]})
	count(audit_logs.deny) == 0 with input as dom({"log_publishing_options": [{"log_type": "AUDIT_LOGS", "enabled": f.unknown("var.e")}]})
	count(audit_logs.deny) == 0 with input as dom({"log_publishing_options": f.unknown("var.logs")})

	# CloudFormation: an object keyed by log type.
	count(audit_logs.deny) == 0 with input as dom({"log_publishing_options": {"AUDIT_LOGS": {"CloudWatchLogsLogGroupArn": "a", "Enabled": true}}})
	count(audit_logs.deny) == 1 with input as dom({"log_publishing_options": {"AUDIT_LOGS": {"CloudWatchLogsLogGroupArn": "a", "Enabled": "false"}}})
	count(audit_logs.deny) == 1 with input as dom({"log_publishing_options": {"ES_APPLICATION_LOGS": {"CloudWatchLogsLogGroupArn": "a"}}})
}

test_vpc if {
	count(vpc.deny) == 1 with input as dom({})
	count(vpc.deny) == 1 with input as es({"vpc_options": [{"subnet_ids": []}]})
	count(vpc.deny) == 0 with input as dom({"vpc_options": [{"subnet_ids": ["subnet-1"], "security_group_ids": ["sg-1"]}]})
	count(vpc.deny) == 0 with input as dom({"vpc_options": [{"subnet_ids": f.unknown("var.subnets")}]})
	count(vpc.deny) == 0 with input as dom({"vpc_options": f.unknown("var.vpc")})
}

open_policy := f.policy([{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "es:*", "Resource": "*"}])

ip_policy := f.policy([{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "es:*", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": ["192.0.2.0/24"]}}}])

role_policy := f.policy([{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/app"}, "Action": "es:*", "Resource": "*"}])

test_public_policy_inline if {
	count(public_policy.deny) == 1 with input as dom({"access_policies": open_policy})
	count(public_policy.deny) == 1 with input as es({"access_policies": open_policy})
	count(public_policy.deny) == 0 with input as dom({"access_policies": ip_policy})
	count(public_policy.deny) == 0 with input as dom({"access_policies": role_policy})

	# In a VPC, an open policy relies on the security groups.
	count(public_policy.deny) == 0 with input as dom({"access_policies": open_policy, "vpc_options": [{"subnet_ids": ["subnet-1"]}]})
	count(public_policy.deny) == 0 with input as dom({"access_policies": f.unknown("var.p")})
}

pol(p) := f.res("aws_elasticsearch_domain_policy", "p", {"domain_name": f.unknown("aws_elasticsearch_domain.d.domain_name"), "access_policies": p})

test_public_policy_resource if {
	public_dom := {"type": "aws_elasticsearch_domain", "name": "d", "address": "aws_elasticsearch_domain.d", "attributes": {"domain_name": "logs"}}
	vpc_dom := {"type": "aws_elasticsearch_domain", "name": "d", "address": "aws_elasticsearch_domain.d", "attributes": {"domain_name": "logs", "vpc_options": [{"subnet_ids": ["subnet-1"]}]}}
	count(public_policy.deny) == 1 with input as f.with_related(pol(open_policy), [public_dom])
	count(public_policy.deny) == 0 with input as f.with_related(pol(role_policy), [public_dom])
	count(public_policy.deny) == 0 with input as f.with_related(pol(open_policy), [vpc_dom])

	# The domain is not in the module: its endpoint is not known.
	count(public_policy.deny) == 0 with input as pol(open_policy)
}
