package plumbline.aws.ec2.user_data_secrets_test

import rego.v1

import data.plumbline.aws.ec2.user_data_secrets
import data.plumbline.aws.fixtures_test as f

script_with_keys := "#!/bin/bash\nexport AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\nexport AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"

test_plain_user_data if {
	f.paths(user_data_secrets.deny) == {["attributes", "user_data"]} with input as f.res("aws_instance", "i", {"user_data": script_with_keys})
	count(user_data_secrets.deny) == 1 with input as f.res("aws_launch_configuration", "l", {"user_data": "aws configure set aws_secret_access_key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"})
	count(user_data_secrets.deny) == 1 with input as f.res("aws_instance", "i", {"user_data": "key=ASIAIOSFODNN7EXAMPLE"})
	count(user_data_secrets.deny) == 0 with input as f.res("aws_instance", "i", {"user_data": "#!/bin/bash\nyum install -y httpd\n"})

	# Credentials fetched at boot, or named without a value.
	count(user_data_secrets.deny) == 0 with input as f.res("aws_instance", "i", {"user_data": "export AWS_SECRET_ACCESS_KEY=$(aws secretsmanager get-secret-value --secret-id app)"})
	count(user_data_secrets.deny) == 0 with input as f.res("aws_instance", "i", {"user_data": f.unknown("templatefile")})

	# Not an access key id: longer token, lowercase letters.
	count(user_data_secrets.deny) == 0 with input as f.res("aws_instance", "i", {"user_data": "ID=XAKIAIOSFODNN7EXAMPLEX akiaiosfodnn7example"})
}

test_base64_user_data if {
	f.paths(user_data_secrets.deny) == {["attributes", "user_data"]} with input as f.res("aws_launch_template", "t", {"user_data": base64.encode(script_with_keys)})
	f.paths(user_data_secrets.deny) == {["attributes", "user_data_base64"]} with input as f.res("aws_instance", "i", {"user_data_base64": base64.encode(script_with_keys)})
	count(user_data_secrets.deny) == 0 with input as f.res("aws_launch_template", "t", {"user_data": base64.encode("#!/bin/bash\necho hello\n")})
	count(user_data_secrets.deny) == 0 with input as f.res("aws_s3_bucket", "b", {"user_data": script_with_keys})
}
