# METADATA
# title: Network ACL allows administration ports from the internet
# description: >-
#   A network ACL entry allowing ingress from the whole internet (0.0.0.0/0,
#   ::/0, or any network that contains it) to port 22 or 3389 opens remote
#   administration to the internet at the subnet level. Entries are evaluated
#   in rule-number order and the first match decides, so an allow is reported
#   only when no lower-numbered deny of the same ACL already refuses that
#   traffic from the whole internet.
# related_resources:
#   - https://docs.aws.amazon.com/vpc/latest/userguide/nacl-rules.html
# custom:
#   id: PL-AWS-0017
#   kinds: [aws_network_acl, aws_default_network_acl, aws_network_acl_rule]
#   severity: MEDIUM
#   remediation: >-
#     Restrict the entry's CIDR, or deny ports 22 and 3389 from the internet
#     with a lower-numbered rule.
#   frameworks:
#     - CIS-AWS-Foundations-5.1
#     - AWS-FSBP-EC2.21
package plumbline.aws.ec2.nacl_admin_ports_open

import rego.v1

import data.plumbline.lib.aws

# The services and the transports they listen on (RDP also over UDP).
admin_ports := {22: {"name": "SSH", "transports": {"tcp"}}, 3389: {"name": "RDP", "transports": {"tcp", "udp"}}}

# An ingress entry as {"protocol", "from", "to", "action", "number", "cidrs", "path"}.
entry(b, action_key, number_key, path) := {
	"protocol": object.get(b, "protocol", null),
	"from": object.get(b, "from_port", null),
	"to": object.get(b, "to_port", null),
	"action": object.get(b, action_key, null),
	"number": object.get(b, number_key, null),
	"cidrs": [c | some c in [object.get(b, "cidr_block", null), object.get(b, "ipv6_cidr_block", null)]; c != null],
	"path": path,
}

# The inline ingress entries of an aws_network_acl's attributes.
inline_entries(a, base) := [entry(b, "action", "rule_no", array.concat(base, ["ingress", i])) |
	some i, b in aws.blocks(a, "ingress")
	is_object(b)
]

# An aws_network_acl_rule's attributes as an entry, when it is an ingress rule.
rule_entry(a, path) := entry(a, "rule_action", "rule_number", path) if {
	is_object(a)
	not aws.is_true(a.egress)
	not aws.is_unknown(a.egress)
}

# The input's own entries (reported on) ...
# The VPC's default network ACL (aws_default_network_acl) has the same entries.
acl_types := {"aws_network_acl", "aws_default_network_acl"}

own contains e if {
	input.type in acl_types
	some e in inline_entries(aws.attrs, ["attributes"])
}

own contains e if {
	input.type == "aws_network_acl_rule"
	e := rule_entry(aws.attrs, ["attributes"])
}

# ... and every entry of the same ACL, its own included (the order is decided
# over all of them): an ACL's inline entries and the rule resources that may
# belong to it; a rule's siblings with the same network_acl_id and the inline
# entries of the ACL it names.
acl_entries contains e if some e in own

acl_entries contains e if {
	input.type in acl_types
	some r in aws.attached("aws_network_acl_rule", "network_acl_id")
	e := rule_entry(r.attributes, [])
}

acl_entries contains e if {
	input.type == "aws_network_acl_rule"
	acl := aws.attrs.network_acl_id
	some r in aws.related_of_type("aws_network_acl_rule")
	r.attributes.network_acl_id == acl
	e := rule_entry(r.attributes, [])
}

acl_entries contains e if {
	input.type == "aws_network_acl_rule"
	some t in acl_types
	some acl in aws.referenced(t, "network_acl_id")
	some e in inline_entries(acl.attributes, [])
}

action(e) := lower(e.action) if is_string(e.action)

# d is evaluated before e, or the order is not known before apply (then d may
# come first, and no finding is made on the unknown).
before(d, e) if aws.number(d.number) < aws.number(e.number)

before(d, _) if aws.is_unknown(d.number)

before(_, e) if aws.is_unknown(e.number)

# The transports (tcp, udp) to port that an earlier deny refuses from every
# address of the network `cidr`.
refused(e, cidr, port) := {t |
	some d in acl_entries
	action(d) == "deny"
	before(d, e)
	some dc in d.cidrs
	aws.cidr_covers(dc, cidr)
	some t in aws.admitted(d, port)
}

# An earlier entry that may be a deny and is not known before apply may refuse
# the traffic: no finding depends on it.
uncertain(e) if {
	some d in acl_entries
	d != e
	not action(d) == "allow"
	before(d, e)
	aws.contains_unknown([d.action, d.protocol, d.from, d.to, d.cidrs])
}

deny contains result if {
	some e in own
	action(e) == "allow"
	not uncertain(e)
	some cidr in e.cidrs
	aws.open_cidr(cidr)
	some port, service in admin_ports
	open := (aws.admitted(e, port) & service.transports) - refused(e, cidr, port)
	count(open) > 0
	result := aws.result(
		sprintf("Network ACL %s allows %s (port %d, %s) from %s", [aws.label, service.name, port, concat("/", sort(open)), cidr]),
		e.path,
	)
}
