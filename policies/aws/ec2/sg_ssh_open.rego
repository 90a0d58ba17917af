# METADATA
# title: Security group allows SSH from the internet
# description: >-
#   An ingress rule from 0.0.0.0/0 or ::/0 (or any network that contains it,
#   however written) whose protocol and port range cover tcp/22 (tcp, 6, udp,
#   17, or all protocols: -1, all) exposes SSH to password guessing and
#   exploits from the whole internet.
# custom:
#   id: PL-AWS-0009
#   kinds: [aws_security_group, aws_default_security_group, aws_security_group_rule, aws_vpc_security_group_ingress_rule]
#   severity: HIGH
#   remediation: >-
#     Restrict the source to known CIDRs or a security group, or use Session
#     Manager instead of SSH.
#   frameworks:
#     - CIS-AWS-Foundations-5.2
#     - CIS-AWS-Foundations-5.3
#     - AWS-FSBP-EC2.13
#     - AWS-FSBP-EC2.53
#     - AWS-FSBP-EC2.54
package plumbline.aws.ec2.sg_ssh_open

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	some e in aws.public_ingress
	aws.covers_port(e, 22)
	result := aws.result(sprintf("%s allows SSH (port 22) from %s (%s)", [aws.label, e.cidr, aws.port_label(e)]), e.path)
}
