package plumbline.aws.secretsmanager_test

import rego.v1

import data.plumbline.aws.fixtures_test as f
import data.plumbline.aws.secretsmanager.cmk
import data.plumbline.aws.secretsmanager.rotation

secret := f.res("aws_secretsmanager_secret", "db", {"name": "db"})

test_rotation if {
	count(rotation.deny) == 1 with input as secret
	rot := f.res("aws_secretsmanager_secret_rotation", "db", {"secret_id": f.unknown("aws_secretsmanager_secret.db.id"), "rotation_rules": [{"automatically_after_days": 30}]})
	count(rotation.deny) == 0 with input as f.with_related(secret, [rot])
	other := f.res("aws_secretsmanager_secret", "api", {"name": "api"})
	rot_other := f.res("aws_secretsmanager_secret_rotation", "api", {"secret_id": f.unknown("aws_secretsmanager_secret.api.id")})
	count(rotation.deny) == 1 with input as f.with_related(secret, [other, rot_other])
}

test_cmk if {
	count(cmk.deny) == 1 with input as secret
	count(cmk.deny) == 0 with input as f.res("aws_secretsmanager_secret", "db", {"kms_key_id": f.unknown("aws_kms_key.k.arn")})
	f.paths(cmk.deny) == {["attributes", "kms_key_id"]} with input as f.res("aws_secretsmanager_secret", "db", {"kms_key_id": "alias/aws/secretsmanager"})
}
