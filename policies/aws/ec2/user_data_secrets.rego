# METADATA
# title: EC2 user data holds credentials
# description: >-
#   Instance user data is readable by any process on the instance through the
#   instance metadata service and by anyone allowed to describe the instance
#   attribute, and it is not encrypted; AWS documents that it must not hold
#   passwords or long-lived keys. Reported, in the user data as written or
#   base64-encoded: an AWS access key id (AKIA..., ASIA...), an assigned AWS
#   secret access key, a PEM private key, or a literal value assigned to a credential name
#   (password, secret, token, api key, private key: `DB_PASSWORD=...`,
#   `token: ...`). Values read at boot (`$(...)`, backquotes, `${...}`, `$VAR`), numbers
#   (`X-aws-ec2-metadata-token-ttl-seconds: 21600`) and names of a reference
#   (..._ARN, ..._NAME, ..._ID, ..._PATH, ..._URL) are not.
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

# A PEM private key (RSA, EC, OpenSSH, PKCS#8...).
leaks(text) if regex.match(`-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY-----`, text)

# NAME=value or NAME: value, NAME holding a credential word.
assignment_pattern := `(?i)([A-Za-z0-9_.-]*(?:passw(?:or)?d|secret|token|api_?key|private_?key)[A-Za-z0-9_.-]*)["']?[ \t]*[:=][ \t]*["']?([^\s"';]+)`

leaks(text) if {
	some m in regex.find_all_string_submatch_n(assignment_pattern, text, -1)
	literal_secret(m[1], m[2])
}

reference_name(n) if regex.match(`(?i)[_.-](arn|name|id|path|url|uri|file|ttl-seconds)$`, n)

literal_secret(name, value) if {
	not reference_name(name)
	count(value) >= 4
	not regex.match("^[$%{(<`]", value)
	not regex.match(`^[0-9]+$`, value)
	not startswith(value, "arn:")
}

deny contains result if {
	input.type in {"aws_instance", "aws_launch_template", "aws_launch_configuration"}
	some name in {"user_data", "user_data_base64"}
	some t in texts_of(name)
	leaks(t)
	result := aws.result(sprintf("%s has credentials in its %s", [aws.label, name]), ["attributes", name])
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
