# METADATA
# title: EKS public endpoint open to the whole internet
# description: >-
#   When the API endpoint is public, public_access_cidrs defaults to
#   0.0.0.0/0 (and ::/0 on dual-stack clusters) when it is unset or an empty
#   list; it should be limited to known networks. A listed network that
#   contains the whole internet (0.0.0.0/0, ::/0, 10.0.0.0/0...) opens it as
#   well.
# related_resources:
#   - https://docs.aws.amazon.com/eks/latest/APIReference/API_VpcConfigRequest.html
# custom:
#   id: PL-AWS-0041
#   kinds: [aws_eks_cluster]
#   severity: HIGH
#   remediation: >-
#     Disable the public endpoint, or set public_access_cidrs to the networks
#     that need it.
#   frameworks:
#     - AWS-FSBP-EKS.1
package plumbline.aws.eks.public_cidrs

import rego.v1

import data.plumbline.lib.aws

# No list, or an empty one: EKS applies its default, 0.0.0.0/0.
unset(vpc) if aws.absent(vpc, "public_access_cidrs")

unset(vpc) if {
	is_array(vpc.public_access_cidrs)
	count(vpc.public_access_cidrs) == 0
}

public(vpc) if {
	not aws.is_false(vpc.endpoint_public_access)
	not aws.is_unknown(vpc.endpoint_public_access)
}

deny contains result if {
	input.type == "aws_eks_cluster"
	vpc := aws.block(aws.attrs, "vpc_config")
	public(vpc)
	unset(vpc)
	result := aws.result(sprintf("EKS cluster %s accepts API requests from any address (public_access_cidrs unset or empty: 0.0.0.0/0)", [aws.label]), path(vpc))
}

deny contains result if {
	input.type == "aws_eks_cluster"
	vpc := aws.block(aws.attrs, "vpc_config")
	public(vpc)
	some i, cidr in aws.as_array(vpc.public_access_cidrs)
	aws.open_cidr(cidr)
	result := aws.result(sprintf("EKS cluster %s accepts API requests from %s", [aws.label, cidr]), ["attributes", "vpc_config", 0, "public_access_cidrs", i])
}

path(vpc) := ["attributes", "vpc_config", 0, "public_access_cidrs"] if aws.has_key(vpc, "public_access_cidrs")

else := aws.block_attr_path("vpc_config", "endpoint_public_access")
