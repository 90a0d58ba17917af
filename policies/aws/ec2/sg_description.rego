# METADATA
# title: Security group or rule without a description
# description: >-
#   Descriptions on security groups and their rules tell reviewers and
#   responders why each opening exists.
# custom:
#   id: PL-AWS-0014
#   kinds: [aws_security_group, aws_security_group_rule, aws_vpc_security_group_ingress_rule, aws_vpc_security_group_egress_rule]
#   severity: LOW
#   remediation: >-
#     Add a description to the security group and to each of its rules.
package plumbline.aws.ec2.sg_description

import rego.v1

import data.plumbline.lib.aws

missing(obj) if aws.absent(obj, "description")

missing(obj) if {
	is_string(obj.description)
	trim_space(obj.description) == ""
}

deny contains result if {
	input.type != "aws_security_group"
	missing(aws.attrs)
	result := aws.result(sprintf("%s has no description", [aws.label]), ["attributes"])
}

deny contains result if {
	input.type == "aws_security_group"
	missing(aws.attrs)
	result := aws.result(sprintf("Security group %s has no description", [aws.label]), ["attributes"])
}

deny contains result if {
	input.type == "aws_security_group"
	some kind in ["ingress", "egress"]
	some i, b in aws.blocks(aws.attrs, kind)
	missing(b)
	result := aws.result(sprintf("Security group %s has an %s rule without a description", [aws.label, kind]), ["attributes", kind, i])
}
