# METADATA
# title: Instance block device not encrypted
# description: >-
#   Root and data volumes of instances, launch templates and launch
#   configurations must be encrypted at rest.
# custom:
#   id: PL-AWS-0036
#   kinds: [aws_instance, aws_launch_configuration, aws_launch_template]
#   severity: HIGH
#   remediation: >-
#     Set encrypted = true on root_block_device and every ebs_block_device
#     (ebs in launch templates), or enable aws_ebs_encryption_by_default.
#   frameworks:
#     - CIS-AWS-Foundations-2.2.1
#     - AWS-FSBP-EC2.3
package plumbline.aws.ec2.instance_volume_encryption

import rego.v1

import data.plumbline.lib.aws

devices contains {"path": ["attributes", kind, i], "device": d} if {
	input.type in {"aws_instance", "aws_launch_configuration"}
	some kind in ["root_block_device", "ebs_block_device"]
	some i, d in aws.blocks(aws.attrs, kind)
}

devices contains {"path": ["attributes", "block_device_mappings", i, "ebs", j], "device": d} if {
	input.type == "aws_launch_template"
	some i, m in aws.blocks(aws.attrs, "block_device_mappings")
	some j, d in aws.blocks(m, "ebs")
}

deny contains result if {
	not aws.ebs_default_encryption
	some dev in devices
	aws.not_true(dev.device, "encrypted")
	not aws.is_set(dev.device.snapshot_id)
	path := aws.key_path(dev.path, dev.device, "encrypted")
	result := aws.result(sprintf("%s has an unencrypted block device", [aws.label]), path)
}

# An instance without root_block_device gets an unencrypted root volume unless
# the AMI's snapshot is encrypted. (CloudFormation has no separate root device:
# it is one of the block device mappings.)
deny contains result if {
	input.type in {"aws_instance", "aws_launch_configuration"}
	input.source != "cloudformation"
	not aws.ebs_default_encryption
	count(aws.blocks(aws.attrs, "root_block_device")) == 0
	result := aws.result(sprintf("%s does not declare an encrypted root_block_device", [aws.label]), ["attributes"])
}
