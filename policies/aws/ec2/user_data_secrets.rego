# METADATA
# title: EC2 user data holds AWS credentials
# description: >-
#   Instance user data is readable by any process on the instance through the
#   instance metadata service and by anyone allowed to describe the instance
#   attribute, and it is not encrypted; AWS documents that it must not hold
#   passwords or long-lived keys. An access key id (AKIA..., ASIA...) or an
#   assigned AWS secret access key in the user data (as written, or
#   base64-encoded) is reported.
# custom:
#   id: PL-AWS-0089
#   kinds: [aws_instance, aws_launch_template, aws_launch_configuration]
#   severity: CRITICAL
#   remediation: >-
#     Remove the keys, rotate them, and give the instance an instance profile
#     role (or read the secret from Secrets Manager at boot).
# related_resources:
#   - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/user-data.html
package plumbline.aws.ec2.user_data_secrets

import rego.v1

import data.plumbline.lib.aws

# An access key id: a four-letter prefix and 16 base-32 characters.
key_id_pattern := `(^|[^A-Z0-9])(AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16}($|[^A-Z0-9])`

# A secret access key (40 base-64 characters) assigned to an AWS secret key name.
secret_pattern := `(?i)(aws_?secret_?access_?key|aws_?secret_?key|secret_?access_?key)["']?(\s*[:=]\s*|\s+)["']?[A-Za-z0-9/+]{40}`

leaks(text) if regex.match(key_id_pattern, text)

leaks(text) if regex.match(secret_pattern, text)

deny contains result if {
	input.type in {"aws_instance", "aws_launch_template", "aws_launch_configuration"}
	some name in {"user_data", "user_data_base64"}
	some t in texts_of(name)
	leaks(t)
	result := aws.result(sprintf("%s has AWS credentials in its %s", [aws.label, name]), ["attributes", name])
}

# The attribute as written, and decoded when it is base64 (launch templates
# always take base64, and so does user_data_base64).
texts_of(name) := {t | t := aws.attrs[name]; is_string(t)} | {d |
	t := aws.attrs[name]
	is_string(t)
	s := regex.replace(t, `\s`, "")
	count(s) > 0
	regex.match(`^[A-Za-z0-9+/]+={0,2}$`, s)
	d := base64.decode(s)
}
