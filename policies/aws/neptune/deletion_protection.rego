# METADATA
# title: Neptune cluster deletion protection disabled
# description: >-
#   Deletion protection makes Neptune refuse to delete the cluster until it is
#   turned off; deletion_protection defaults to false.
# custom:
#   id: PL-AWS-0088
#   kinds: [aws_neptune_cluster]
#   severity: LOW
#   remediation: >-
#     Set deletion_protection = true (CloudFormation DeletionProtection: true).
#   frameworks:
#     - AWS-FSBP-Neptune.4
# related_resources:
#   - https://docs.aws.amazon.com/neptune/latest/userguide/manage-console-instances-delete.html
package plumbline.aws.neptune.deletion_protection

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type == "aws_neptune_cluster"
	aws.not_true(aws.attrs, "deletion_protection")
	result := aws.result(sprintf("Neptune cluster %s does not enable deletion protection", [aws.label]), aws.attr_path("deletion_protection"))
}
