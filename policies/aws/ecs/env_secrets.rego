# METADATA
# title: ECS container passes secrets in plain environment variables
# description: >-
#   Environment variables of a task definition are visible to anyone who can
#   describe it; credentials belong in secrets (Secrets Manager or SSM
#   parameters).
# custom:
#   id: PL-AWS-0057
#   kinds: [aws_ecs_task_definition]
#   severity: HIGH
#   remediation: >-
#     Move the value to Secrets Manager or SSM Parameter Store and reference
#     it from the container's secrets list.
#   frameworks:
#     - AWS-FSBP-ECS.8
package plumbline.aws.ecs.env_secrets

import rego.v1

import data.plumbline.lib.aws

secret_name(n) if regex.match(`(?i)(passw(or)?d|secret|token|api_?key|access_?key|private_?key|credential|auth)`, n)

deny contains result if {
	input.type == "aws_ecs_task_definition"
	some c in aws.container_definitions
	some e in aws.as_array(c.environment)
	is_object(e)
	is_string(e.name)
	secret_name(e.name)
	aws.non_empty_string(e.value)
	result := aws.result(
		sprintf("Container %v of task definition %s sets %s in plain text", [object.get(c, "name", "<unnamed>"), aws.label, e.name]),
		["attributes", "container_definitions"],
	)
}
