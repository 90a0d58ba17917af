# METADATA
# title: Load balancer access logging disabled
# description: >-
#   Access logs record every request the load balancer served, for incident
#   investigation.
# custom:
#   id: PL-AWS-0055
#   kinds: [aws_lb, aws_alb, aws_elb]
#   severity: LOW
#   remediation: >-
#     Add access_logs { bucket = ..., enabled = true }.
#   frameworks:
#     - AWS-FSBP-ELB.5
package plumbline.aws.elb.access_logs

import rego.v1

import data.plumbline.lib.aws

# aws_lb: access_logs.enabled defaults to false; aws_elb: to true in a declared
# access_logs block (without the block, a classic load balancer logs nothing).
# CloudFormation gives access_logs_enabled (load balancer attribute
# access_logs.s3.enabled) and, for classic ones, access_logging_policy.
enabled(logs) if aws.is_true(logs.enabled)

enabled(_) if aws.is_true(aws.attrs.access_logs_enabled)

enabled(_) if aws.is_unknown(aws.attrs.access_logs_enabled)

enabled(_) if aws.is_true(aws.block(aws.attrs, "access_logging_policy").enabled)

enabled(logs) if aws.is_unknown(logs.enabled)

enabled(logs) if {
	input.type == "aws_elb"
	count(logs) > 0
	aws.absent(logs, "enabled")
}

deny contains result if {
	input.type in {"aws_lb", "aws_alb", "aws_elb"}
	not aws.is_unknown(aws.attrs.access_logs)
	not enabled(aws.block(aws.attrs, "access_logs"))
	result := aws.result(sprintf("Load balancer %s does not enable access logs", [aws.label]), aws.block_attr_path("access_logs", "enabled"))
}
