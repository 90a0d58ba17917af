# METADATA
# title: Subnet assigns public IP addresses
# description: >-
#   A subnet with map_public_ip_on_launch gives every instance launched in it
#   a public address, exposing it directly to the internet.
# custom:
#   id: PL-AWS-0018
#   kinds: [aws_subnet]
#   severity: LOW
#   remediation: >-
#     Set map_public_ip_on_launch to false and expose services through load
#     balancers.
#   frameworks:
#     - AWS-FSBP-EC2.15
package plumbline.aws.ec2.subnet_public_ip

import rego.v1

import data.plumbline.lib.aws

deny contains result if {
	input.type == "aws_subnet"
	aws.is_true(aws.attrs.map_public_ip_on_launch)
	result := aws.result(sprintf("Subnet %s assigns a public IP to every instance", [aws.label]), ["attributes", "map_public_ip_on_launch"])
}
