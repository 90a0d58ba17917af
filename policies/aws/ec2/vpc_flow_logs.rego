# METADATA
# title: VPC without flow logs
# description: >-
#   VPC flow logs record the traffic in the VPC; without them network
#   incidents cannot be investigated.
# custom:
#   id: PL-AWS-0016
#   kinds: [aws_vpc]
#   severity: MEDIUM
#   remediation: >-
#     Add an aws_flow_log with vpc_id set to the VPC (traffic_type ALL, or at
#     least REJECT).
#   frameworks:
#     - CIS-AWS-Foundations-3.9
#     - AWS-FSBP-EC2.6
package plumbline.aws.ec2.vpc_flow_logs

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type == "aws_vpc"
	count(aws.attached("aws_flow_log", "vpc_id")) == 0
	result := aws.result(sprintf("VPC %s has no flow log", [aws.label]), ["attributes"])
}
