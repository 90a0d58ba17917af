# METADATA
# title: ECS container runs privileged
# description: >-
#   A privileged container has root access to the host and every device on it.
# custom:
#   id: PL-AWS-0056
#   kinds: [aws_ecs_task_definition]
#   severity: HIGH
#   remediation: >-
#     Remove privileged: true from the container definition.
#   frameworks:
#     - AWS-FSBP-ECS.4
package plumbline.aws.ecs.privileged

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type == "aws_ecs_task_definition"
	some c in aws.container_definitions
	aws.is_true(c.privileged)
	result := aws.result(sprintf("Container %v of task definition %s is privileged", [object.get(c, "name", "<unnamed>"), aws.label]), ["attributes", "container_definitions"])
}
