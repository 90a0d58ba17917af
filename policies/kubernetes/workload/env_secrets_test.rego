package plumbline.kubernetes.workload.env_secrets_test

import rego.v1

import data.plumbline.kubernetes.workload.env_secrets as rule

pod(env) := {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "app", "image": "a:1", "env": env}]}}

test_secret_like_names_with_literal_values_denied if {
	r := rule.deny with input as pod([
		{"name": "LOG_LEVEL", "value": "debug"},
		{"name": "DB_PASSWORD", "value": "hunter2"},
		{"name": "github_token", "value": "ghp_abc"},
		{"name": "AWS_SECRET_ACCESS_KEY", "value": "abc/def"},
		{"name": "STRIPE_API_KEY", "value": "sk_live_x"},
		{"name": "PIN", "value": 1234},
	])
	{f.path | some f in r} == {
		["spec", "containers", 0, "env", 1, "name"],
		["spec", "containers", 0, "env", 2, "name"],
		["spec", "containers", 0, "env", 3, "name"],
		["spec", "containers", 0, "env", 4, "name"],
	}
}

test_message_names_the_variable_never_the_value if {
	r := rule.deny with input as pod([{"name": "DB_PASSWORD", "value": "hunter2-very-secret"}])
	some f in r
	contains(f.msg, `"DB_PASSWORD"`)
	not contains(f.msg, "hunter2")
}

test_references_and_non_secrets_pass if {
	r := rule.deny with input as pod([
		{"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
		{"name": "DB_PASSWORD_FILE", "value": "/run/secrets/db"},
		{"name": "TOKEN_URL", "value": "https://auth.example.com/token"},
		{"name": "SECRET_NAME", "value": "db-credentials"},
		{"name": "API_KEY", "value": ""},
		{"name": "API_KEY", "value": "$(API_KEY_FROM_SECRET)"},
		{"name": "KEYBOARD_LAYOUT", "value": "us"},
		{"name": "MONKEY", "value": "banana"},
	])
	count(r) == 0
}

test_init_containers_checked if {
	r := rule.deny with input as {"kind": "Job", "spec": {"template": {"spec": {"initContainers": [{"name": "i", "env": [{"name": "ADMIN_TOKEN", "value": "x"}]}]}}}}
	{f.path | some f in r} == {["spec", "template", "spec", "initContainers", 0, "env", 0, "name"]}
}

test_malformed_env_ignored if {
	every env in ["x", [null, 1, {"name": 3, "value": "x"}, {"value": "secret"}, {"name": "PASSWORD", "value": ["x"]}]] {
		count(rule.deny) == 0 with input as pod(env)
	}
}
