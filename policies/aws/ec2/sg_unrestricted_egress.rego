# METADATA
# title: Security group allows unrestricted egress
# description: >-
#   Egress to 0.0.0.0/0 or ::/0 (or any network that contains it) lets a compromised instance reach any host,
#   which eases data exfiltration and command-and-control.
# custom:
#   id: PL-AWS-0013
#   kinds: [aws_security_group, aws_default_security_group, aws_security_group_rule, aws_vpc_security_group_egress_rule]
#   severity: LOW
#   remediation: >-
#     Limit egress to the destinations and ports the workload needs (VPC
#     endpoints, proxies, known CIDRs).
package plumbline.aws.ec2.sg_unrestricted_egress

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	some e in aws.public_egress
	result := aws.result(sprintf("%s allows egress to %s (%s)", [aws.label, e.cidr, aws.port_label(e)]), e.path)
}
