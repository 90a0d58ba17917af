# METADATA
# title: OpenSearch domain reachable from the internet
# description: >-
#   A domain created without VPC options gets a public endpoint, reachable from
#   anywhere on the internet and guarded only by its access policy; a domain in
#   a VPC is reached only through its subnets and security groups. The choice
#   is made at creation and cannot be changed later.
# custom:
#   id: PL-AWS-0083
#   kinds: [aws_opensearch_domain, aws_elasticsearch_domain]
#   severity: HIGH
#   remediation: >-
#     Create the domain in a VPC: vpc_options { subnet_ids, security_group_ids };
#     CloudFormation VPCOptions.
#   frameworks:
#     - AWS-FSBP-ES.2
#     - AWS-FSBP-Opensearch.2
# related_resources:
#   - https://docs.aws.amazon.com/opensearch-service/latest/developerguide/vpc.html
package plumbline.aws.opensearch.vpc

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type in {"aws_opensearch_domain", "aws_elasticsearch_domain"}
	not in_vpc(aws.attrs)
	result := aws.result(sprintf("OpenSearch domain %s has a public endpoint (no vpc_options)", [aws.label]), aws.attr_path("vpc_options"))
}

# In a VPC, or possibly (subnets unknown).
in_vpc(a) if aws.is_unknown(a.vpc_options)

in_vpc(a) if {
	some b in aws.blocks(a, "vpc_options")
	not aws.is_unknown(b)
	aws.is_set(object.get(b, "subnet_ids", null))
}

in_vpc(a) if {
	some b in aws.blocks(a, "vpc_options")
	aws.is_unknown(b)
}
