# METADATA
# title: OpenSearch audit logs not published
# description: >-
#   Audit logs record authentication failures and access to indexes and
#   documents; a domain publishes them to CloudWatch Logs only with a
#   log_publishing_options entry of type AUDIT_LOGS that is not disabled (an
#   entry is enabled unless it says otherwise).
# custom:
#   id: PL-AWS-0082
#   kinds: [aws_opensearch_domain, aws_elasticsearch_domain]
#   severity: MEDIUM
#   remediation: >-
#     Enable fine-grained access control and add log_publishing_options {
#     log_type = "AUDIT_LOGS", cloudwatch_log_group_arn = ... };
#     CloudFormation LogPublishingOptions.AUDIT_LOGS.
#   frameworks:
#     - AWS-FSBP-ES.5
#     - AWS-FSBP-Opensearch.5
# related_resources:
#   - https://docs.aws.amazon.com/opensearch-service/latest/developerguide/audit-logs.html
package plumbline.aws.opensearch.audit_logs

import rego.v1

import data.plumbline.lib.aws

# An entry that publishes audit logs, or one that may (its type or switch unknown).
publishes if {
	some b in aws.blocks(aws.attrs, "log_publishing_options")
	not aws.is_unknown(b)
	_audit_or_unknown(b.log_type)
	not aws.is_false(object.get(b, "enabled", true))
}

publishes if aws.is_unknown(aws.attrs.log_publishing_options)

publishes if {
	some b in aws.blocks(aws.attrs, "log_publishing_options")
	aws.is_unknown(b)
}

# CloudFormation: LogPublishingOptions is an object keyed by log type.
publishes if {
	opts := aws.attrs.log_publishing_options
	is_object(opts)
	not aws.is_unknown(opts)
	audit := opts.AUDIT_LOGS
	not aws.is_false(object.get(aws.object_or_empty(audit), "Enabled", true))
}

_audit_or_unknown(t) if t == "AUDIT_LOGS"

_audit_or_unknown(t) if aws.is_unknown(t)

deny contains result if {
	input.type in {"aws_opensearch_domain", "aws_elasticsearch_domain"}
	not publishes
	result := aws.result(sprintf("OpenSearch domain %s does not publish audit logs", [aws.label]), aws.attr_path("log_publishing_options"))
}
