# METADATA
# title: ECR repository without image scanning
# description: >-
#   Scanning images on push reports known vulnerabilities before they run.
# custom:
#   id: PL-AWS-0074
#   kinds: [aws_ecr_repository]
#   severity: LOW
#   remediation: >-
#     Add image_scanning_configuration { scan_on_push = true }.
#   frameworks:
#     - AWS-FSBP-ECR.1
package plumbline.aws.ecr.scan_on_push

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type == "aws_ecr_repository"
	aws.not_true(aws.block(aws.attrs, "image_scanning_configuration"), "scan_on_push")
	result := aws.result(sprintf("ECR repository %s does not scan images on push", [aws.label]), aws.block_attr_path("image_scanning_configuration", "scan_on_push"))
}
