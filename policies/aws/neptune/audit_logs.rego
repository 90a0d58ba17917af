# METADATA
# title: Neptune audit logs not exported to CloudWatch Logs
# description: >-
#   A Neptune cluster publishes its audit log to CloudWatch Logs only when
#   enable_cloudwatch_logs_exports lists "audit" (nothing is exported by
#   default); without it the record of connections and queries stays on the
#   instances.
# custom:
#   id: PL-AWS-0086
#   kinds: [aws_neptune_cluster]
#   severity: MEDIUM
#   remediation: >-
#     Add "audit" to enable_cloudwatch_logs_exports (CloudFormation
#     EnableCloudwatchLogsExports) and set the neptune_enable_audit_log
#     parameter of the cluster parameter group to 1.
#   frameworks:
#     - AWS-FSBP-Neptune.2
# related_resources:
#   - https://docs.aws.amazon.com/neptune/latest/userguide/cloudwatch-logs.html
package plumbline.aws.neptune.audit_logs

import rego.v1

import data.plumbline.lib.aws

exports := aws.attrs.enable_cloudwatch_logs_exports

# "audit" is listed, or may be (the list or one of its items is unknown).
audit_exported if aws.is_unknown(exports)

audit_exported if {
	some v in aws.as_array(exports)
	v == "audit"
}

audit_exported if {
	some v in aws.as_array(exports)
	aws.is_unknown(v)
}

deny contains result if {
	input.type == "aws_neptune_cluster"
	not audit_exported
	result := aws.result(sprintf("Neptune cluster %s does not export its audit log to CloudWatch Logs", [aws.label]), aws.attr_path("enable_cloudwatch_logs_exports"))
}
