package plumbline.aws.ecs_test

import rego.v1

import data.plumbline.aws.ecs.env_secrets
import data.plumbline.aws.ecs.privileged
import data.plumbline.aws.fixtures_test as f

task(defs) := f.res("aws_ecs_task_definition", "t", {"family": "svc", "container_definitions": defs})

test_privileged if {
	defs := json.marshal([{"name": "app", "image": "app:1"}, {"name": "agent", "image": "a:1", "privileged": true}])
	r := privileged.deny with input as task(defs)
	f.paths(r) == {["attributes", "container_definitions"]}
	some x in r
	contains(x.msg, "agent")
	count(privileged.deny) == 0 with input as task([{"name": "app", "privileged": false}])
	count(privileged.deny) == 0 with input as task(f.unknown("data.template_file.defs.rendered"))
}

test_env_secrets if {
	defs := [{"name": "app", "environment": [
		{"name": "LOG_LEVEL", "value": "info"},
		{"name": "DB_PASSWORD", "value": "hunter2"},
		{"name": "API_TOKEN", "value": {"$unknown": "random_password.t.result"}},
	]}]
	r := env_secrets.deny with input as task(json.marshal(defs))
	count(r) == 1
	some x in r
	contains(x.msg, "DB_PASSWORD")
	not contains(x.msg, "hunter2")
	ok := [{"name": "app", "secrets": [{"name": "DB_PASSWORD", "valueFrom": "arn:aws:ssm:x"}], "environment": [{"name": "PASSWORD_FILE", "value": ""}]}]
	count(env_secrets.deny) == 0 with input as task(ok)
}
