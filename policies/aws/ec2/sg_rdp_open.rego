# METADATA
# title: Security group allows RDP from the internet
# description: >-
#   An ingress rule from 0.0.0.0/0 or ::/0 (or any network that contains it,
#   however written) whose protocol and port range cover port 3389 exposes
#   Remote Desktop to the whole internet.
# custom:
#   id: PL-AWS-0010
#   kinds: [aws_security_group, aws_default_security_group, aws_security_group_rule, aws_vpc_security_group_ingress_rule]
#   severity: HIGH
#   remediation: >-
#     Restrict the source to known CIDRs or a security group, or reach hosts
#     through Session Manager or a bastion.
#   frameworks:
#     - CIS-AWS-Foundations-5.2
#     - CIS-AWS-Foundations-5.3
#     - AWS-FSBP-EC2.14
#     - AWS-FSBP-EC2.53
#     - AWS-FSBP-EC2.54
package plumbline.aws.ec2.sg_rdp_open

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	some e in aws.public_ingress
	aws.covers_port(e, 3389)
	result := aws.result(sprintf("%s allows RDP (port 3389) from %s (%s)", [aws.label, e.cidr, aws.port_label(e)]), e.path)
}
