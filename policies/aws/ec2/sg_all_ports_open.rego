# METADATA
# title: Security group allows all traffic from the internet
# description: >-
#   An ingress rule from the whole internet (0.0.0.0/0, ::/0, or any network
#   that contains it) for all protocols (-1, all) or the whole port range of tcp
#   or udp (6, 17) exposes every service on the instances.
# custom:
#   id: PL-AWS-0012
#   kinds: [aws_security_group, aws_default_security_group, aws_security_group_rule, aws_vpc_security_group_ingress_rule]
#   severity: CRITICAL
#   remediation: >-
#     Allow only the ports the service needs, from the sources that need them.
#   frameworks:
#     - CIS-AWS-Foundations-5.2
#     - CIS-AWS-Foundations-5.3
#     - AWS-FSBP-EC2.18
package plumbline.aws.ec2.sg_all_ports_open

import rego.v1

import data.plumbline.lib.aws

all_ports(e) if aws.protocol_all(e.protocol)

all_ports(e) if {
	aws.protocol_ported(e.protocol)
	aws.number(e.from) <= 1
	aws.number(e.to) >= 65535
}

deny contains result if {
	some e in aws.public_ingress
	all_ports(e)
	result := aws.result(sprintf("%s allows all %s traffic from %s", [aws.label, label(e), e.cidr]), e.path)
}

label(e) := "protocols' " if aws.protocol_all(e.protocol)

else := aws.protocol_name(e.protocol)
