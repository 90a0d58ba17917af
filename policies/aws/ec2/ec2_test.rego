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
