# METADATA
# title: ECR repository tags are mutable
# description: >-
#   With mutable tags, a pushed image can silently replace the one a
#   deployment reviewed. MUTABLE (the default) and MUTABLE_WITH_EXCLUSION
#   (mutable except the tags its filters name) are reported; IMMUTABLE and
#   IMMUTABLE_WITH_EXCLUSION are not.
# related_resources:
#   - https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_PutImageTagMutability.html
# custom:
#   id: PL-AWS-0075
#   kinds: [aws_ecr_repository]
#   severity: LOW
#   remediation: >-
#     Set image_tag_mutability to IMMUTABLE.
#   frameworks:
#     - AWS-FSBP-ECR.2
package plumbline.aws.ecr.immutable_tags

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type == "aws_ecr_repository"
	m := object.get(aws.attrs, "image_tag_mutability", "MUTABLE")
	m in {"MUTABLE", "MUTABLE_WITH_EXCLUSION"}
	result := aws.result(sprintf("ECR repository %s has mutable tags", [aws.label]), aws.attr_path("image_tag_mutability"))
}
