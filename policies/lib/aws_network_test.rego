# Tests of the network arithmetic of policies/lib/aws.rego.
package plumbline.lib.aws_network_test

import rego.v1

import data.plumbline.lib.aws

test_open_cidr_by_arithmetic if {
	every c in ["0.0.0.0/0", "10.0.0.1/0", "255.255.255.255/0", "::/0", "0::/0", "2001:db8::/0", "0:0:0:0:0:0:0:0/0"] {
		aws.open_cidr(c)
	}
	every c in ["0.0.0.0/1", "128.0.0.0/1", "10.0.0.0/8", "::/1", "2000::/3", "0.0.0.0", "::", "", "0.0.0.0/33", "x/0", 0, null, {"$unknown": "var.c"}] {
		not aws.open_cidr(c)
	}
}

test_cidr_covers if {
	aws.cidr_covers("0.0.0.0/0", "10.1.0.0/16")
	aws.cidr_covers("10.0.0.0/8", "10.1.2.3/32")
	aws.cidr_covers("10.9.9.9/0", "0.0.0.0/0")
	not aws.cidr_covers("10.1.0.0/16", "10.0.0.0/8")
	# The two families never cover each other.
	not aws.cidr_covers("0.0.0.0/0", "::/0")
	not aws.cidr_covers("::/0", "0.0.0.0/0")
	not aws.cidr_covers("bogus", "0.0.0.0/0")
}

test_protocol_names if {
	every p in [-1, "-1", "all", "ALL", " all "] {
		aws.protocol_name(p) == "all"
	}
	every p in [6, "6", "tcp", "TCP"] {
		aws.protocol_name(p) == "tcp"
	}
	every p in [17, "17", "udp", "Udp"] {
		aws.protocol_name(p) == "udp"
	}
	aws.protocol_name(1) == "icmp"
	aws.protocol_name("58") == "icmpv6"
	aws.protocol_name(132) == "132"
	not aws.protocol_name({"$unknown": "var.p"})
	not aws.protocol_name(null)
}

test_admitted_ports if {
	aws.admitted({"protocol": "-1", "from": 0, "to": 0}, 22) == {"tcp", "udp"}
	aws.admitted({"protocol": "6", "from": "20", "to": "25"}, 22) == {"tcp"}
	aws.admitted({"protocol": "udp", "from": 22, "to": 22}, 22) == {"udp"}
	aws.admitted({"protocol": "tcp", "from": 23, "to": 65535}, 22) == set()
	aws.admitted({"protocol": "icmp", "from": -1, "to": -1}, 22) == set()
	# The ports of -1 are ignored; a tcp rule with -1 ports (ICMP's "all") admits nothing.
	aws.admitted({"protocol": "all", "from": 8080, "to": 8080}, 22) == {"tcp", "udp"}
	aws.admitted({"protocol": "tcp", "from": -1, "to": -1}, 22) == set()
	aws.admitted({"protocol": "tcp", "from": {"$unknown": "var.p"}, "to": 22}, 22) == set()
	aws.covers_port({"protocol": 6, "from": 0, "to": 65535}, 3389)
	not aws.covers_port({"protocol": 58, "from": 0, "to": 65535}, 3389)
}

test_public_ingress_every_declaration if {
	sg := {"type": "aws_security_group", "attributes": {"ingress": [{"protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_blocks": ["10.0.0.0/8", "10.0.0.0/0"]}]}}
	{e.path | some e in aws.public_ingress} == {["attributes", "ingress", 0, "cidr_blocks", 1]} with input as sg
	rule := {"type": "aws_security_group_rule", "attributes": {"type": "ingress", "protocol": "6", "from_port": 22, "to_port": 22, "ipv6_cidr_blocks": ["0::/0"]}}
	count(aws.public_ingress) == 1 with input as rule
	egress := {"type": "aws_security_group_rule", "attributes": {"type": "egress", "protocol": "-1", "from_port": 0, "to_port": 0, "cidr_blocks": ["1.1.1.1/0"]}}
	count(aws.public_ingress) == 0 with input as egress
	count(aws.public_egress) == 1 with input as egress
	vpc := {"type": "aws_vpc_security_group_ingress_rule", "attributes": {"ip_protocol": "-1", "cidr_ipv6": "2001:db8::/32"}}
	count(aws.public_ingress) == 0 with input as vpc
}
