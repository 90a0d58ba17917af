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

test_assigned_passwords if {
	count(user_data_secrets.deny) == 1 with input as f.res("aws_instance", "i", {"user_data": "export DATABASE_PASSWORD=password1234"})
	count(user_data_secrets.deny) == 1 with input as f.res("aws_launch_configuration", "l", {"user_data": "#cloud-config\nchpasswd:\n  list: |\n    root:x\napi_key: 'abcd1234efgh'\n"})
	count(user_data_secrets.deny) == 1 with input as f.res("aws_instance", "i", {"user_data": "mysql -u admin --password=S3cr3tPass"})

	# Read at boot, or not a secret.
	count(user_data_secrets.deny) == 0 with input as f.res("aws_instance", "i", {"user_data": "DB_PASSWORD=$(aws ssm get-parameter --name /db/pw --with-decryption --query Parameter.Value --output text)"})
	count(user_data_secrets.deny) == 0 with input as f.res("aws_instance", "i", {"user_data": "TOKEN=`curl -X PUT http://169.254.169.254/latest/api/token -H \"X-aws-ec2-metadata-token-ttl-seconds: 21600\"`\ncurl -H \"X-aws-ec2-metadata-token: $TOKEN\" http://169.254.169.254/latest/meta-data/"})
	count(user_data_secrets.deny) == 0 with input as f.res("aws_instance", "i", {"user_data": "SECRET_ARN=arn:aws:secretsmanager:us-east-1:111122223333:secret:db\nDB_SECRET_NAME=prod/db\nPASSWORD=${password}"})
	count(user_data_secrets.deny) == 0 with input as f.res("aws_instance", "i", {"user_data": "sed -i 's/PasswordAuthentication no/PasswordAuthentication yes/' /etc/ssh/sshd_config"})
}

test_private_key if {
	count(user_data_secrets.deny) == 1 with input as f.res("aws_launch_configuration", "l", {"user_data": base64.encode("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\n")})
	count(user_data_secrets.deny) == 1 with input as f.res("aws_instance", "i", {"user_data": "cat > /root/.ssh/id <<EOF\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\nEOF"})
	count(user_data_secrets.deny) == 0 with input as f.res("aws_instance", "i", {"user_data": "echo '-----BEGIN PUBLIC KEY-----' > k.pub"})
}

test_base64_user_data if {
	f.paths(user_data_secrets.deny) == {["attributes", "user_data"]} with input as f.res("aws_launch_template", "t", {"user_data": base64.encode(script_with_keys)})
	f.paths(user_data_secrets.deny) == {["attributes", "user_data_base64"]} with input as f.res("aws_instance", "i", {"user_data_base64": base64.encode(script_with_keys)})
	count(user_data_secrets.deny) == 0 with input as f.res("aws_launch_template", "t", {"user_data": base64.encode("#!/bin/bash\necho hello\n")})
	count(user_data_secrets.deny) == 0 with input as f.res("aws_s3_bucket", "b", {"user_data": script_with_keys})
}
