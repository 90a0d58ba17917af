# METADATA
# title: Neptune IAM database authentication disabled
# description: >-
#   With IAM database authentication, every connection to the cluster is signed
#   with AWS credentials (Signature Version 4) and allowed by an IAM policy;
#   without it (iam_database_authentication_enabled defaults to false) anyone who
#   reaches the endpoint on the network can query the graph.
# custom:
#   id: PL-AWS-0087
#   kinds: [aws_neptune_cluster]
#   severity: MEDIUM
#   remediation: >-
#     Set iam_database_authentication_enabled = true (CloudFormation
#     IamAuthEnabled: true) and grant neptune-db:* actions to the clients.
#   frameworks:
#     - AWS-FSBP-Neptune.7
# related_resources:
#   - https://docs.aws.amazon.com/neptune/latest/userguide/iam-auth.html
package plumbline.aws.neptune.iam_auth

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type == "aws_neptune_cluster"
	aws.not_true(aws.attrs, "iam_database_authentication_enabled")
	result := aws.result(sprintf("Neptune cluster %s does not enable IAM database authentication", [aws.label]), aws.attr_path("iam_database_authentication_enabled"))
}
