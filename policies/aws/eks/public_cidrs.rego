# METADATA
# title: EKS public endpoint open to the whole internet
# description: >-
#   When the API endpoint is public, public_access_cidrs defaults to
#   0.0.0.0/0; it should be limited to known networks.
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

deny contains result if {
	input.type == "aws_eks_cluster"
	vpc := aws.block(aws.attrs, "vpc_config")
	not aws.is_false(vpc.endpoint_public_access)
	not aws.is_unknown(vpc.endpoint_public_access)
	aws.absent(vpc, "public_access_cidrs")
	result := aws.result(sprintf("EKS cluster %s accepts API requests from any address (public_access_cidrs unset)", [aws.label]), aws.block_attr_path("vpc_config", "endpoint_public_access"))
}

deny contains result if {
	input.type == "aws_eks_cluster"
	vpc := aws.block(aws.attrs, "vpc_config")
	not aws.is_false(vpc.endpoint_public_access)
	some i, cidr in aws.as_array(vpc.public_access_cidrs)
	cidr in aws.open_cidrs
	result := aws.result(sprintf("EKS cluster %s accepts API requests from %s", [aws.label, cidr]), ["attributes", "vpc_config", 0, "public_access_cidrs", i])
}
