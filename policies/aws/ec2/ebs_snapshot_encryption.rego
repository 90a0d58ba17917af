# METADATA
# title: EBS snapshot not encrypted
# description: >-
#   Snapshots of unencrypted volumes and unencrypted snapshot copies expose
#   the volume's data to anyone the snapshot is shared with.
# custom:
#   id: PL-AWS-0038
#   kinds: [aws_ebs_snapshot, aws_ebs_snapshot_copy]
#   severity: HIGH
#   remediation: >-
#     Encrypt the source volume, or set encrypted = true on
#     aws_ebs_snapshot_copy.
#   frameworks:
#     - AWS-FSBP-EC2.3
package plumbline.aws.ec2.ebs_snapshot_encryption

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type == "aws_ebs_snapshot_copy"
	aws.not_true(aws.attrs, "encrypted")
	not aws.ebs_default_encryption
	result := aws.result(sprintf("Snapshot copy %s is not encrypted", [aws.label]), aws.attr_path("encrypted"))
}

deny contains result if {
	input.type == "aws_ebs_snapshot"
	not aws.ebs_default_encryption
	some v in aws.referenced("aws_ebs_volume", "volume_id")
	aws.not_true(v.attributes, "encrypted")
	result := aws.result(sprintf("Snapshot %s is taken of the unencrypted volume %s", [aws.label, v.address]), ["attributes", "volume_id"])
}
