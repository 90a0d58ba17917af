# METADATA
# title: Network ACL allows administration ports from the internet
# description: >-
#   A network ACL entry allowing ingress from 0.0.0.0/0 or ::/0 to port 22 or
#   3389 opens remote administration to the internet at the subnet level.
# custom:
#   id: PL-AWS-0017
#   kinds: [aws_network_acl, aws_network_acl_rule]
#   severity: MEDIUM
#   remediation: >-
#     Restrict the entry's CIDR, or deny ports 22 and 3389 from the internet.
#   frameworks:
#     - CIS-AWS-Foundations-5.1
#     - AWS-FSBP-EC2.21
package plumbline.aws.ec2.nacl_admin_ports_open

import rego.v1

import data.plumbline.lib.aws

entries contains {"rule": {"protocol": object.get(b, "protocol", null), "from": object.get(b, "from_port", null), "to": object.get(b, "to_port", null)}, "action": object.get(b, "action", ""), "cidr": cidr, "path": ["attributes", "ingress", i]} if {
	input.type == "aws_network_acl"
	some i, b in aws.blocks(aws.attrs, "ingress")
	some cidr in [object.get(b, "cidr_block", null), object.get(b, "ipv6_cidr_block", null)]
	cidr in aws.open_cidrs
}

entries contains {"rule": {"protocol": object.get(a, "protocol", null), "from": object.get(a, "from_port", null), "to": object.get(a, "to_port", null)}, "action": object.get(a, "rule_action", ""), "cidr": cidr, "path": ["attributes"]} if {
	input.type == "aws_network_acl_rule"
	a := aws.attrs
	not aws.is_true(a.egress)
	some cidr in [object.get(a, "cidr_block", null), object.get(a, "ipv6_cidr_block", null)]
	cidr in aws.open_cidrs
}

deny contains result if {
	some e in entries
	is_string(e.action)
	lower(e.action) == "allow"
	some port in [22, 3389]
	aws.covers_port(e.rule, port)
	result := aws.result(sprintf("Network ACL %s allows port %d from %s", [aws.label, port, e.cidr]), e.path)
}
