package plumbline.dockerfile.secrets_in_env_arg_test

import rego.v1

import data.plumbline.dockerfile.secrets_in_env_arg as rule
import data.plumbline.dockerfile.input_test.doc

flagged(lines) := {f.path[1] | some f in rule.deny with input as doc(lines)}

test_malformed_documents_give_nothing if {
	every d in ["x", null, {}, {"instructions": "x"}, {"instructions": [null, 1, {"cmd": 3}, {"cmd": "run", "value": "x"}, {"cmd": "from", "value": [1]}]}] {
		count(rule.deny) == 0 with input as d
	}
}

test_secret_names_flagged if {
	flagged([
		"FROM alpine:3.20",
		"ENV DB_PASSWORD=hunter2",
		"ENV LOG_LEVEL=debug",
		"ARG GITHUB_TOKEN",
		"ENV API_KEY some-legacy-form-value",
		"ARG VERSION=1.2",
	]) == {1, 3, 4}
}

test_credential_values_flagged if {
	flagged(["FROM alpine:3.20", "ENV DEPLOY=AKIAIOSFODNN7EXAMPLE", "ARG X=ghp_0123456789abcdefghijABCDEFGHIJ"]) == {1, 2}
}

test_references_and_pointers_pass if {
	flagged([
		"FROM alpine:3.20",
		"ENV DB_PASSWORD_FILE=/run/secrets/db",
		"ENV TOKEN_URL=https://auth.example.com/token",
		"ENV DB_PASSWORD=${DB_PASSWORD}",
		"ENV API_KEY=",
	]) == set()
}

test_message_never_contains_the_value if {
	r := rule.deny with input as doc(["FROM alpine:3.20", "ENV DB_PASSWORD=hunter2-secret", "ENV X=AKIAIOSFODNN7EXAMPLE"])
	count(r) == 2
	every f in r {
		not contains(f.msg, "hunter2")
		not contains(f.msg, "AKIA")
	}
}

