package plumbline.aws.ec2_test

import rego.v1

import data.plumbline.aws.ec2.default_sg_rules
import data.plumbline.aws.ec2.ebs_default_encryption
import data.plumbline.aws.ec2.ebs_snapshot_encryption
import data.plumbline.aws.ec2.ebs_volume_encryption
import data.plumbline.aws.ec2.imdsv2
import data.plumbline.aws.ec2.instance_volume_encryption
import data.plumbline.aws.ec2.nacl_admin_ports_open
import data.plumbline.aws.ec2.sg_admin_ports_open
import data.plumbline.aws.ec2.sg_all_ports_open
import data.plumbline.aws.ec2.sg_description
import data.plumbline.aws.ec2.sg_rdp_open
import data.plumbline.aws.ec2.sg_ssh_open
import data.plumbline.aws.ec2.sg_unrestricted_egress
import data.plumbline.aws.ec2.subnet_public_ip
import data.plumbline.aws.ec2.vpc_flow_logs
import data.plumbline.aws.fixtures_test as f

sg(ingress) := f.res("aws_security_group", "web", {"description": "web", "ingress": ingress})

ing(proto, from, to, cidrs) := {"description": "x", "protocol": proto, "from_port": from, "to_port": to, "cidr_blocks": cidrs}

# --- SSH / RDP / admin ports / all ports -------------------------------------------

test_ssh_open_inline if {
	r := sg_ssh_open.deny with input as sg([ing("tcp", 443, 443, ["0.0.0.0/0"]), ing("tcp", 22, 22, ["10.0.0.0/8", "0.0.0.0/0"])])
	f.paths(r) == {["attributes", "ingress", 1, "cidr_blocks", 1]}
	count(sg_ssh_open.deny) == 0 with input as sg([ing("tcp", 22, 22, ["10.0.0.0/8"])])
	count(sg_ssh_open.deny) == 0 with input as sg([ing("tcp", 22, 22, f.unknown("var.cidrs"))])
	count(sg_ssh_open.deny) == 0 with input as sg([ing("tcp", f.unknown("var.port"), 22, ["0.0.0.0/0"])])
	count(sg_ssh_open.deny) == 0 with input as sg([ing("icmp", -1, -1, ["0.0.0.0/0"])])
}

test_ssh_open_ipv6_and_ranges if {
	r := sg_ssh_open.deny with input as sg([{"protocol": "-1", "from_port": 0, "to_port": 0, "ipv6_cidr_blocks": ["::/0"]}])
	f.paths(r) == {["attributes", "ingress", 0, "ipv6_cidr_blocks", 0]}
	count(sg_ssh_open.deny) == 1 with input as sg([ing("tcp", 0, 1024, ["0.0.0.0/0"])])
}

test_ssh_open_rule_resources if {
	rule := f.res("aws_security_group_rule", "ssh", {"type": "ingress", "protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_blocks": ["0.0.0.0/0"], "security_group_id": f.unknown("aws_security_group.web.id")})
	f.paths(sg_ssh_open.deny) == {["attributes", "cidr_blocks", 0]} with input as rule
	egress := object.union(rule, {"attributes": object.union(rule.attributes, {"type": "egress"})})
	count(sg_ssh_open.deny) == 0 with input as egress
	vpc_rule := f.res("aws_vpc_security_group_ingress_rule", "ssh", {"ip_protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_ipv4": "0.0.0.0/0"})
	f.paths(sg_ssh_open.deny) == {["attributes", "cidr_ipv4"]} with input as vpc_rule
	vpc_all := f.res("aws_vpc_security_group_ingress_rule", "all", {"ip_protocol": "-1", "cidr_ipv6": "::/0"})
	count(sg_ssh_open.deny) == 1 with input as vpc_all
	count(sg_rdp_open.deny) == 1 with input as vpc_all
	count(sg_all_ports_open.deny) == 1 with input as vpc_all
	count(sg_admin_ports_open.deny) == 0 with input as vpc_all
}

test_rdp_open if {
	count(sg_rdp_open.deny) == 1 with input as sg([ing("tcp", 3389, 3389, ["0.0.0.0/0"])])
	count(sg_rdp_open.deny) == 1 with input as sg([ing("6", "3380", "3390", ["0.0.0.0/0"])])
	count(sg_rdp_open.deny) == 0 with input as sg([ing("tcp", 22, 22, ["0.0.0.0/0"])])
}

test_admin_ports if {
	r := sg_admin_ports_open.deny with input as sg([ing("tcp", 3306, 3306, ["0.0.0.0/0"]), ing("tcp", 443, 443, ["0.0.0.0/0"])])
	f.paths(r) == {["attributes", "ingress", 0, "cidr_blocks", 0]}
	some x in r
	contains(x.msg, "MySQL")
	count(sg_admin_ports_open.deny) == 0 with input as sg([ing("tcp", 3306, 3306, ["172.16.0.0/12"])])
}

test_all_ports if {
	count(sg_all_ports_open.deny) == 1 with input as sg([ing("-1", 0, 0, ["0.0.0.0/0"])])
	count(sg_all_ports_open.deny) == 1 with input as sg([ing("tcp", 0, 65535, ["0.0.0.0/0"])])
	count(sg_all_ports_open.deny) == 0 with input as sg([ing("tcp", 80, 80, ["0.0.0.0/0"])])
}

# --- egress / descriptions / default SG ---------------------------------------------

test_unrestricted_egress if {
	s := f.res("aws_security_group", "w", {"egress": [{"protocol": "-1", "from_port": 0, "to_port": 0, "cidr_blocks": ["0.0.0.0/0"]}]})
	f.paths(sg_unrestricted_egress.deny) == {["attributes", "egress", 0, "cidr_blocks", 0]} with input as s
	count(sg_unrestricted_egress.deny) == 0 with input as f.res("aws_security_group", "w", {"egress": [{"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_blocks": ["10.0.0.0/8"]}]})
	v := f.res("aws_vpc_security_group_egress_rule", "e", {"ip_protocol": "-1", "cidr_ipv4": "0.0.0.0/0"})
	count(sg_unrestricted_egress.deny) == 1 with input as v
}

test_descriptions if {
	r := sg_description.deny with input as f.res("aws_security_group", "w", {"ingress": [ing("tcp", 1, 2, []), {"protocol": "tcp"}]})
	f.paths(r) == {["attributes"], ["attributes", "ingress", 1]}
	count(sg_description.deny) == 0 with input as sg([ing("tcp", 1, 2, [])])
	count(sg_description.deny) == 1 with input as f.res("aws_security_group_rule", "r", {"type": "ingress", "description": ""})
	count(sg_description.deny) == 0 with input as f.res("aws_security_group_rule", "r", {"type": "ingress", "description": f.unknown("var.d")})
}

test_default_sg if {
	r := default_sg_rules.deny with input as f.res("aws_default_security_group", "d", {"vpc_id": "v", "ingress": [{"protocol": "-1", "self": true}]})
	f.paths(r) == {["attributes", "ingress", 0]}
	count(default_sg_rules.deny) == 0 with input as f.res("aws_default_security_group", "d", {"vpc_id": "v"})
}

# --- VPC / NACL / subnet ---------------------------------------------------------

vpc := f.res("aws_vpc", "main", {"cidr_block": "10.0.0.0/16"})

test_flow_logs if {
	count(vpc_flow_logs.deny) == 1 with input as vpc
	fl := f.res("aws_flow_log", "main", {"vpc_id": f.unknown("aws_vpc.main.id"), "traffic_type": "ALL"})
	count(vpc_flow_logs.deny) == 0 with input as f.with_related(vpc, [fl])
	other := f.res("aws_vpc", "other", {})
	fl_other := f.res("aws_flow_log", "o", {"vpc_id": f.unknown("aws_vpc.other.id")})
	count(vpc_flow_logs.deny) == 1 with input as f.with_related(vpc, [other, fl_other])
}

test_nacl if {
	n := f.res("aws_network_acl", "n", {"ingress": [
		{"protocol": "tcp", "action": "allow", "cidr_block": "0.0.0.0/0", "from_port": 22, "to_port": 22, "rule_no": 100},
		{"protocol": "tcp", "action": "deny", "cidr_block": "0.0.0.0/0", "from_port": 3389, "to_port": 3389, "rule_no": 90},
	]})
	f.paths(nacl_admin_ports_open.deny) == {["attributes", "ingress", 0]} with input as n
	rule := f.res("aws_network_acl_rule", "r", {"egress": false, "protocol": "-1", "rule_action": "allow", "cidr_block": "0.0.0.0/0"})
	count(nacl_admin_ports_open.deny) == 2 with input as rule
	count(nacl_admin_ports_open.deny) == 0 with input as f.res("aws_network_acl_rule", "r", {"egress": true, "protocol": "-1", "rule_action": "allow", "cidr_block": "0.0.0.0/0"})
}

test_subnet_public_ip if {
	count(subnet_public_ip.deny) == 1 with input as f.res("aws_subnet", "s", {"map_public_ip_on_launch": true})
	count(subnet_public_ip.deny) == 0 with input as f.res("aws_subnet", "s", {})
}

# --- EBS --------------------------------------------------------------------------

test_ebs_volume if {
	f.paths(ebs_volume_encryption.deny) == {["attributes"]} with input as f.res("aws_ebs_volume", "v", {"size": 10})
	f.paths(ebs_volume_encryption.deny) == {["attributes", "encrypted"]} with input as f.res("aws_ebs_volume", "v", {"encrypted": false})
	count(ebs_volume_encryption.deny) == 0 with input as f.res("aws_ebs_volume", "v", {"encrypted": true})
	count(ebs_volume_encryption.deny) == 0 with input as f.res("aws_ebs_volume", "v", {"encrypted": f.unknown("var.enc")})
	default_on := f.res("aws_ebs_encryption_by_default", "on", {"enabled": true})
	count(ebs_volume_encryption.deny) == 0 with input as f.with_related(f.res("aws_ebs_volume", "v", {}), [default_on])
}

test_instance_volumes if {
	i := f.res("aws_instance", "i", {"root_block_device": [{"encrypted": true}], "ebs_block_device": [{"device_name": "/dev/sdb"}]})
	f.paths(instance_volume_encryption.deny) == {["attributes", "ebs_block_device", 0]} with input as i
	f.paths(instance_volume_encryption.deny) == {["attributes"]} with input as f.res("aws_instance", "i", {"ami": "ami-1"})
	cfn := object.union(f.res("aws_instance", "i", {"ebs_block_device": [{"encrypted": true}]}), {"source": "cloudformation"})
	count(instance_volume_encryption.deny) == 0 with input as cfn
	lt := f.res("aws_launch_template", "t", {"block_device_mappings": [{"ebs": [{"encrypted": "false"}]}]})
	f.paths(instance_volume_encryption.deny) == {["attributes", "block_device_mappings", 0, "ebs", 0, "encrypted"]} with input as lt
	count(instance_volume_encryption.deny) == 0 with input as f.res("aws_launch_template", "t", {})
}

test_ebs_default_and_snapshots if {
	count(ebs_default_encryption.deny) == 1 with input as f.res("aws_ebs_encryption_by_default", "d", {"enabled": false})
	count(ebs_default_encryption.deny) == 0 with input as f.res("aws_ebs_encryption_by_default", "d", {})
	count(ebs_snapshot_encryption.deny) == 1 with input as f.res("aws_ebs_snapshot_copy", "c", {"source_snapshot_id": "snap-1"})
	vol := f.res("aws_ebs_volume", "v", {"size": 1})
	snap := f.res("aws_ebs_snapshot", "s", {"volume_id": f.unknown("aws_ebs_volume.v.id")})
	f.paths(ebs_snapshot_encryption.deny) == {["attributes", "volume_id"]} with input as f.with_related(snap, [vol])
	enc := f.res("aws_ebs_volume", "v", {"encrypted": true})
	count(ebs_snapshot_encryption.deny) == 0 with input as f.with_related(snap, [enc])
}

test_imdsv2 if {
	f.paths(imdsv2.deny) == {["attributes"]} with input as f.res("aws_instance", "i", {})
	f.paths(imdsv2.deny) == {["attributes", "metadata_options", 0, "http_tokens"]} with input as f.res("aws_instance", "i", {"metadata_options": [{"http_tokens": "optional"}]})
	count(imdsv2.deny) == 0 with input as f.res("aws_instance", "i", {"metadata_options": [{"http_tokens": "required"}]})
	count(imdsv2.deny) == 0 with input as f.res("aws_launch_template", "i", {"metadata_options": [{"http_endpoint": "disabled"}]})
	count(imdsv2.deny) == 0 with input as f.res("aws_instance", "i", {"metadata_options": [{"http_tokens": f.unknown("var.t")}]})
}

# --- values, not spellings ----------------------------------------------------------

test_sg_open_cidr_by_arithmetic if {
	# Every network that contains the whole internet, however written, is open.
	every cidr in ["10.0.0.1/0", "0.0.0.0/00", "192.168.1.1/0"] {
		count(sg_ssh_open.deny) == 1 with input as sg([ing("tcp", 22, 22, [cidr])])
	}
	every cidr in ["0::/0", "2001:db8::1/0", "0:0:0:0:0:0:0:0/0"] {
		count(sg_ssh_open.deny) == 1 with input as sg([{"protocol": "tcp", "from_port": 22, "to_port": 22, "ipv6_cidr_blocks": [cidr]}])
	}
	v := f.res("aws_vpc_security_group_ingress_rule", "r", {"ip_protocol": "6", "from_port": 3389, "to_port": 3389, "cidr_ipv4": "1.2.3.4/0"})
	count(sg_rdp_open.deny) == 1 with input as v
	# A narrower network, a malformed one, or a single address is not.
	every cidr in ["0.0.0.0/1", "10.0.0.0/8", "0.0.0.0", "not-a-cidr", "0.0.0.0/33"] {
		count(sg_ssh_open.deny) == 0 with input as sg([ing("tcp", 22, 22, [cidr])])
	}
	count(sg_ssh_open.deny) == 0 with input as sg([ing("tcp", 22, 22, [7])])
}

test_sg_protocol_spellings if {
	# -1, "-1", "all" and "ALL" are every protocol; 6/"6"/"TCP" are tcp; 17 is udp.
	every p in [-1, "-1", "all", "ALL"] {
		count(sg_all_ports_open.deny) == 1 with input as sg([ing(p, 0, 0, ["0.0.0.0/0"])])
	}
	every p in [6, "6", "TCP", " tcp", 17, "udp"] {
		count(sg_ssh_open.deny) == 1 with input as sg([ing(p, 20, 25, ["0.0.0.0/0"])])
	}
	# ICMP (1, 58) and other protocols carry no SSH.
	every p in [1, "icmp", "58", "icmpv6", "132"] {
		count(sg_ssh_open.deny) == 0 with input as sg([ing(p, 22, 22, ["0.0.0.0/0"])])
	}
	# Ports as strings are read as numbers; a port range includes its ends.
	count(sg_admin_ports_open.deny) == 1 with input as sg([ing("tcp", "3300", "3306", ["0.0.0.0/0"])])
	count(sg_admin_ports_open.deny) == 0 with input as sg([ing("tcp", "3307", "3308", ["0.0.0.0/0"])])
	# The whole range of one protocol is all its ports.
	r := sg_all_ports_open.deny with input as sg([ing("6", "0", "65535", ["0.0.0.0/0"])])
	some x in r
	contains(x.msg, "all tcp traffic")
}

test_unrestricted_egress_arithmetic if {
	s := f.res("aws_security_group", "w", {"egress": [{"protocol": "all", "from_port": 0, "to_port": 0, "ipv6_cidr_blocks": ["0::/0"]}]})
	count(sg_unrestricted_egress.deny) == 1 with input as s
	n := f.res("aws_security_group", "w", {"egress": [{"protocol": "all", "from_port": 0, "to_port": 0, "ipv6_cidr_blocks": ["2001:db8::/32"]}]})
	count(sg_unrestricted_egress.deny) == 0 with input as n
}

# --- network ACLs: rule-number order -----------------------------------------------

acl_entry(no, action, proto, from, to, cidr) := {"rule_no": no, "action": action, "protocol": proto, "from_port": from, "to_port": to, "cidr_block": cidr}

test_nacl_lower_numbered_deny_wins if {
	# A lower-numbered deny of SSH from the whole internet refuses it before the allow.
	shadowed := f.res("aws_network_acl", "n", {"ingress": [
		acl_entry(100, "allow", "-1", 0, 0, "0.0.0.0/0"),
		acl_entry(50, "deny", "6", 22, 22, "0.0.0.0/0"),
		acl_entry(60, "DENY", "tcp", 3389, 3389, "0.0.0.0/0"),
		acl_entry(70, "deny", "udp", 3389, 3389, "0.0.0.0/0"),
	]})
	count(nacl_admin_ports_open.deny) == 0 with input as shadowed
	# The same deny with a higher number comes too late.
	late := f.res("aws_network_acl", "n", {"ingress": [
		acl_entry(100, "allow", "-1", 0, 0, "0.0.0.0/0"),
		acl_entry(200, "deny", "6", 22, 22, "0.0.0.0/0"),
	]})
	r := nacl_admin_ports_open.deny with input as late
	f.paths(r) == {["attributes", "ingress", 0]}
	count(r) == 2
	# A deny of part of the internet, or of the other address family, leaves the rest open.
	partial := f.res("aws_network_acl", "n", {"ingress": [
		acl_entry(100, "allow", "tcp", 22, 22, "0.0.0.0/0"),
		acl_entry(10, "deny", "tcp", 22, 22, "203.0.113.0/24"),
		{"rule_no": 20, "action": "deny", "protocol": "tcp", "from_port": 22, "to_port": 22, "ipv6_cidr_block": "::/0"},
	]})
	count(nacl_admin_ports_open.deny) == 1 with input as partial
	# A deny of tcp alone leaves udp 3389 (RDP over UDP) open under an all-protocols allow.
	udp_left := f.res("aws_network_acl", "n", {"ingress": [
		acl_entry(100, "allow", "-1", 0, 0, "10.1.2.3/0"),
		acl_entry(10, "deny", "tcp", 0, 65535, "0.0.0.0/0"),
	]})
	r2 := nacl_admin_ports_open.deny with input as udp_left
	count(r2) == 1
	some x in r2
	contains(x.msg, "RDP (port 3389, udp)")
}

test_nacl_unknown_order_or_deny if {
	unknown_no := f.res("aws_network_acl", "n", {"ingress": [
		acl_entry(100, "allow", "tcp", 22, 22, "0.0.0.0/0"),
		acl_entry(f.unknown("var.no"), "deny", "tcp", 22, 22, "0.0.0.0/0"),
	]})
	count(nacl_admin_ports_open.deny) == 0 with input as unknown_no
	unknown_cidr := f.res("aws_network_acl", "n", {"ingress": [
		acl_entry(100, "allow", "tcp", 22, 22, "0.0.0.0/0"),
		acl_entry(10, "deny", "tcp", 22, 22, f.unknown("var.cidr")),
	]})
	count(nacl_admin_ports_open.deny) == 0 with input as unknown_cidr
	# An unknown allow before it changes nothing.
	unknown_allow := f.res("aws_network_acl", "n", {"ingress": [
		acl_entry(100, "allow", "tcp", 22, 22, "0.0.0.0/0"),
		acl_entry(10, "allow", "tcp", 22, 22, f.unknown("var.cidr")),
	]})
	count(nacl_admin_ports_open.deny) == 1 with input as unknown_allow
}

nacl_rule(name, no, action, from, to) := f.res("aws_network_acl_rule", name, {
	"network_acl_id": f.unknown("aws_network_acl.main.id"), "rule_number": no, "egress": false,
	"protocol": "6", "rule_action": action, "cidr_block": "0.0.0.0/0", "from_port": from, "to_port": to,
})

test_nacl_rule_resources_in_order if {
	allow := nacl_rule("allow", 200, "allow", 0, 65535)
	deny_ssh := nacl_rule("deny_ssh", 100, "deny", 22, 22)
	deny_rdp := nacl_rule("deny_rdp", 110, "deny", 3389, 3389)
	count(nacl_admin_ports_open.deny) == 0 with input as f.with_related(allow, [deny_ssh, deny_rdp])
	r := nacl_admin_ports_open.deny with input as f.with_related(allow, [deny_ssh])
	count(r) == 1
	some x in r
	contains(x.msg, "RDP")
	# A deny of another ACL does not count.
	other := object.union(deny_ssh, {"attributes": object.union(deny_ssh.attributes, {"network_acl_id": f.unknown("aws_network_acl.other.id")})})
	r_other := nacl_admin_ports_open.deny with input as f.with_related(allow, [other, deny_rdp])
	count(r_other) == 1
	some y in r_other
	contains(y.msg, "SSH")
	# The ACL's inline entries count for its rule resources, and its rule resources for it.
	acl := f.res("aws_network_acl", "main", {"ingress": [acl_entry(10, "deny", "-1", 0, 0, "0.0.0.0/0")]})
	count(nacl_admin_ports_open.deny) == 0 with input as f.with_related(allow, [acl])
	acl_allow := f.res("aws_network_acl", "main", {"ingress": [acl_entry(300, "allow", "-1", 0, 0, "0.0.0.0/0")]})
	# (the tcp denies leave RDP over UDP open under the all-protocols allow)
	r_acl := nacl_admin_ports_open.deny with input as f.with_related(acl_allow, [deny_ssh, deny_rdp])
	count(r_acl) == 1
	some z in r_acl
	contains(z.msg, "RDP (port 3389, udp)")
	count(nacl_admin_ports_open.deny) == 2 with input as acl_allow
	# Egress rules are not ingress.
	count(nacl_admin_ports_open.deny) == 2 with input as f.with_related(allow, [object.union(deny_ssh, {"attributes": object.union(deny_ssh.attributes, {"egress": true})}), nacl_rule("x", 300, "deny", 3389, 3389)])
}

test_nacl_default_acl if {
	# The VPC's default network ACL allows everything unless told otherwise.
	d := f.res("aws_default_network_acl", "default", {"default_network_acl_id": "acl-1", "ingress": [acl_entry(100, "allow", "-1", 0, 0, "0.0.0.0/0")]})
	f.paths(nacl_admin_ports_open.deny) == {["attributes", "ingress", 0]} with input as d
	closed := f.res("aws_default_network_acl", "default", {"ingress": [acl_entry(100, "allow", "-1", 0, 0, "10.0.0.0/16")]})
	count(nacl_admin_ports_open.deny) == 0 with input as closed
}
