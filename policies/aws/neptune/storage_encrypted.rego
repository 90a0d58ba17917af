# METADATA
# title: Neptune cluster storage not encrypted
# description: >-
#   Neptune encrypts a cluster's storage, its instances, automated backups and
#   snapshots only when the cluster is created with encryption; storage_encrypted
#   defaults to false, and an unencrypted cluster cannot be encrypted later. A
#   cluster restored from a snapshot takes the snapshot's encryption.
# custom:
#   id: PL-AWS-0085
#   kinds: [aws_neptune_cluster]
#   severity: HIGH
#   remediation: >-
#     Set storage_encrypted = true (with kms_key_arn for a customer managed key);
#     CloudFormation StorageEncrypted: true.
#   frameworks:
#     - AWS-FSBP-Neptune.1
# related_resources:
#   - https://docs.aws.amazon.com/neptune/latest/userguide/encrypt.html
package plumbline.aws.neptune.storage_encrypted

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type == "aws_neptune_cluster"
	aws.not_true(aws.attrs, "storage_encrypted")
	not aws.is_set(aws.attrs.snapshot_identifier)
	result := aws.result(sprintf("Neptune cluster %s does not encrypt its storage", [aws.label]), aws.attr_path("storage_encrypted"))
}
