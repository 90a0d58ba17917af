# METADATA
# title: OpenSearch domain open to everyone on the internet
# description: >-
#   A domain with a public endpoint (no VPC options) whose access policy allows
#   Principal "*" without a condition on the caller (source IP, account...)
#   lets anyone on the internet read and write its indexes. A domain in a VPC
#   may use such a policy and rely on its security groups, as the OpenSearch
#   documentation describes, so it is not reported; a separate domain policy
#   resource is reported when the domain it names is in the same module.
# custom:
#   id: PL-AWS-0084
#   kinds: [aws_opensearch_domain, aws_elasticsearch_domain, aws_opensearch_domain_policy, aws_elasticsearch_domain_policy]
#   severity: CRITICAL
#   remediation: >-
#     Name the principals (IAM roles or users) in the access policy, limit it
#     with aws:SourceIp, or create the domain in a VPC.
# related_resources:
#   - https://docs.aws.amazon.com/opensearch-service/latest/developerguide/ac.html
package plumbline.aws.opensearch.public_policy

import rego.v1

import data.plumbline.lib.aws

domain_types := {"aws_opensearch_domain", "aws_elasticsearch_domain"}

# The domain whose endpoint the policy guards, when it is public.
public_domain if {
	input.type in domain_types
	not in_vpc(aws.attrs)
}

public_domain if {
	input.type in {"aws_opensearch_domain_policy", "aws_elasticsearch_domain_policy"}
	some t in domain_types
	some d in aws.referenced(t, "domain_name")
	not in_vpc(aws.object_or_empty(d.attributes))
}

deny contains result if {
	public_domain
	doc := aws.policy_doc(aws.attrs.access_policies)
	some s in aws.allow_statements(doc)
	aws.public_principal(s)
	not aws.restricting_condition(s)
	result := aws.result(sprintf("%s has an access policy statement that allows everyone (Principal \"*\") on a public endpoint", [aws.label]), ["attributes", "access_policies"])
}

# In a VPC, or possibly (VPC options or subnets unknown).
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
