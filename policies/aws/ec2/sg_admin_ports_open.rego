# METADATA
# title: Security group exposes an administration or database port to the internet
# description: >-
#   Ingress from 0.0.0.0/0 or ::/0 (or any network that contains it) to remote administration, file sharing or
#   database ports (Telnet, FTP, SMB, MySQL, PostgreSQL, Redis, MongoDB,
#   Elasticsearch, Docker...) exposes services that must never face the
#   internet.
# custom:
#   id: PL-AWS-0011
#   kinds: [aws_security_group, aws_default_security_group, aws_security_group_rule, aws_vpc_security_group_ingress_rule]
#   severity: HIGH
#   remediation: >-
#     Restrict the source to known CIDRs or security groups.
#   frameworks:
#     - AWS-FSBP-EC2.19
package plumbline.aws.ec2.sg_admin_ports_open

import rego.v1

import data.plumbline.lib.aws

admin_ports := {
	20: "FTP data", 21: "FTP", 23: "Telnet", 135: "MSRPC", 137: "NetBIOS", 138: "NetBIOS",
	139: "NetBIOS", 445: "SMB", 1433: "SQL Server", 1434: "SQL Server browser", 1521: "Oracle",
	2049: "NFS", 2375: "Docker", 2376: "Docker TLS", 2379: "etcd", 3000: "dev servers",
	3020: "CIFS", 3306: "MySQL", 4333: "mSQL", 5432: "PostgreSQL", 5500: "VNC", 5601: "Kibana",
	5900: "VNC", 6379: "Redis", 7001: "Cassandra", 8020: "HDFS", 8888: "Jupyter",
	9042: "Cassandra", 9200: "Elasticsearch", 9300: "Elasticsearch", 10250: "kubelet",
	11211: "Memcached", 27017: "MongoDB", 27018: "MongoDB", 61621: "Cassandra OpsCenter",
}

deny contains result if {
	some e in aws.public_ingress
	not aws.protocol_all(e.protocol)
	exposed := sort([sprintf("%d (%s)", [p, name]) | some p, name in admin_ports; aws.covers_port(e, p)])
	count(exposed) > 0
	result := aws.result(
		sprintf("%s exposes %s from %s", [aws.label, concat(", ", exposed), e.cidr]),
		e.path,
	)
}
