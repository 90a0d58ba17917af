# METADATA
# title: OpenSearch domain accepts plain HTTP or outdated TLS
# description: >-
#   A domain whose endpoint options do not require HTTPS answers plain HTTP
#   requests (the API's DomainEndpointOptions.EnforceHTTPS defaults to false;
#   inside a domain_endpoint_options block Terraform's enforce_https defaults
#   to true, CloudFormation's EnforceHTTPS does not), and the TLS policy Policy-Min-TLS-1-0-2019-07 accepts TLS 1.0
#   and 1.1. A domain that does not name its TLS policy is not reported for it.
# custom:
#   id: PL-AWS-0081
#   kinds: [aws_opensearch_domain, aws_elasticsearch_domain]
#   severity: HIGH
#   remediation: >-
#     Set domain_endpoint_options { enforce_https = true, tls_security_policy =
#     "Policy-Min-TLS-1-2-2019-07" } (or Policy-Min-TLS-1-2-PFS-2023-10).
#   frameworks:
#     - AWS-FSBP-ES.8
#     - AWS-FSBP-Opensearch.8
# related_resources:
#   - https://docs.aws.amazon.com/opensearch-service/latest/APIReference/API_DomainEndpointOptions.html
package plumbline.aws.opensearch.https

import rego.v1

import data.plumbline.lib.aws

domain if input.type in {"aws_opensearch_domain", "aws_elasticsearch_domain"}

opts := aws.block(aws.attrs, "domain_endpoint_options")

# EnforceHTTPS left out: Terraform's enforce_https defaults to true, the API's
# (and so CloudFormation's) to false.
default_enforce := false if input.source == "cloudformation"

else := true

deny contains result if {
	domain
	count(aws.blocks(aws.attrs, "domain_endpoint_options")) == 0
	result := aws.result(sprintf("OpenSearch domain %s does not require HTTPS (no domain_endpoint_options)", [aws.label]), ["attributes"])
}

deny contains result if {
	domain
	count(aws.blocks(aws.attrs, "domain_endpoint_options")) > 0
	aws.is_false(object.get(opts, "enforce_https", default_enforce))
	result := aws.result(sprintf("OpenSearch domain %s does not require HTTPS (enforce_https)", [aws.label]), aws.block_attr_path("domain_endpoint_options", "enforce_https"))
}

deny contains result if {
	domain
	policy := opts.tls_security_policy
	is_string(policy)
	policy == "Policy-Min-TLS-1-0-2019-07"
	result := aws.result(sprintf("OpenSearch domain %s accepts TLS 1.0 (tls_security_policy %s)", [aws.label, policy]), aws.block_attr_path("domain_endpoint_options", "tls_security_policy"))
}
