# METADATA
# title: EKS secrets not encrypted with KMS
# description: >-
#   Envelope encryption of Kubernetes secrets with a KMS key protects them in
#   etcd backups and snapshots.
# custom:
#   id: PL-AWS-0042
#   kinds: [aws_eks_cluster]
#   severity: MEDIUM
#   remediation: >-
#     Add encryption_config { resources = ["secrets"], provider { key_arn =
#     ... } }.
#   frameworks:
#     - AWS-FSBP-EKS.3
package plumbline.aws.eks.secrets_encryption

import rego.v1

import data.plumbline.lib.aws

encrypts_secrets if {
	some c in aws.blocks(aws.attrs, "encryption_config")
	some r in aws.strings_of(c.resources)
	r == "secrets"
	has_key(c)
}

has_key(c) if {
	some p in aws.blocks(c, "provider")
	aws.is_set(p.key_arn)
}

has_key(c) if aws.is_unknown(c.provider)

encrypts_secrets if {
	some c in aws.blocks(aws.attrs, "encryption_config")
	aws.is_unknown(c.resources)
}

deny contains result if {
	input.type == "aws_eks_cluster"
	not encrypts_secrets
	not aws.is_unknown(aws.attrs.encryption_config)
	result := aws.result(sprintf("EKS cluster %s does not encrypt secrets with KMS", [aws.label]), aws.attr_path("encryption_config"))
}
