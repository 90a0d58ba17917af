# METADATA
# title: EKS cluster endpoint publicly accessible
# description: >-
#   A public Kubernetes API endpoint exposes the control plane to the
#   internet; it should be reachable from the VPC only.
# custom:
#   id: PL-AWS-0040
#   kinds: [aws_eks_cluster]
#   severity: MEDIUM
#   remediation: >-
#     Set vpc_config { endpoint_public_access = false, endpoint_private_access
#     = true }.
#   frameworks:
#     - AWS-FSBP-EKS.1
package plumbline.aws.eks.public_endpoint

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type == "aws_eks_cluster"
	vpc := aws.block(aws.attrs, "vpc_config")
	not aws.is_false(vpc.endpoint_public_access)
	not aws.is_unknown(vpc.endpoint_public_access)
	result := aws.result(sprintf("EKS cluster %s has a public API endpoint", [aws.label]), aws.block_attr_path("vpc_config", "endpoint_public_access"))
}
