# METADATA
# title: OpenSearch node-to-node encryption disabled
# description: >-
#   Without node-to-node encryption the nodes of a domain exchange data in
#   plain text inside the VPC or the service network. It is off unless the
#   domain enables it (NodeToNodeEncryptionOptions.Enabled defaults to false);
#   Elasticsearch 6.0 or later and every OpenSearch version support it.
# custom:
#   id: PL-AWS-0080
#   kinds: [aws_opensearch_domain, aws_elasticsearch_domain]
#   severity: MEDIUM
#   remediation: >-
#     Set node_to_node_encryption { enabled = true }; CloudFormation
#     NodeToNodeEncryptionOptions.Enabled: true.
#   frameworks:
#     - AWS-FSBP-ES.3
#     - AWS-FSBP-Opensearch.3
# related_resources:
#   - https://docs.aws.amazon.com/opensearch-service/latest/developerguide/ntn.html
package plumbline.aws.opensearch.node_to_node

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type in {"aws_opensearch_domain", "aws_elasticsearch_domain"}
	aws.not_true(aws.block(aws.attrs, "node_to_node_encryption"), "enabled")
	result := aws.result(sprintf("OpenSearch domain %s does not encrypt node-to-node traffic", [aws.label]), aws.block_attr_path("node_to_node_encryption", "enabled"))
}
