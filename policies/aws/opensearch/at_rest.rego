# METADATA
# title: OpenSearch domain not encrypted at rest
# description: >-
#   Encryption at rest protects the domain's indexes, logs, swap files and
#   automated snapshots with a KMS key. It is off unless the domain enables it
#   (the API's EncryptionAtRestOptions.Enabled defaults to false), and it can be
#   turned on for Elasticsearch 5.1 or later and every OpenSearch version.
# custom:
#   id: PL-AWS-0079
#   kinds: [aws_opensearch_domain, aws_elasticsearch_domain]
#   severity: HIGH
#   remediation: >-
#     Set encrypt_at_rest { enabled = true } (with kms_key_id for a customer
#     managed key); CloudFormation EncryptionAtRestOptions.Enabled: true.
#   frameworks:
#     - AWS-FSBP-ES.1
#     - AWS-FSBP-Opensearch.1
# related_resources:
#   - https://docs.aws.amazon.com/opensearch-service/latest/developerguide/encryption-at-rest.html
package plumbline.aws.opensearch.at_rest

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type in {"aws_opensearch_domain", "aws_elasticsearch_domain"}
	aws.not_true(aws.block(aws.attrs, "encrypt_at_rest"), "enabled")
	result := aws.result(sprintf("OpenSearch domain %s is not encrypted at rest", [aws.label]), aws.block_attr_path("encrypt_at_rest", "enabled"))
}
