# METADATA
# title: Default security group allows traffic
# description: >-
#   The default security group of every VPC should allow no traffic, so that
#   resources launched without a security group are isolated.
# custom:
#   id: PL-AWS-0015
#   kinds: [aws_default_security_group]
#   severity: MEDIUM
#   remediation: >-
#     Declare aws_default_security_group with no ingress and no egress blocks.
#   frameworks:
#     - CIS-AWS-Foundations-5.4
#     - AWS-FSBP-EC2.2
package plumbline.aws.ec2.default_sg_rules

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type == "aws_default_security_group"
	some kind in ["ingress", "egress"]
	some i, _ in aws.blocks(aws.attrs, kind)
	result := aws.result(sprintf("Default security group %s has an %s rule", [aws.label, kind]), ["attributes", kind, i])
}
