package plumbline.dockerfile.root_user_test

import rego.v1

import data.plumbline.dockerfile.root_user as rule
import data.plumbline.dockerfile.input_test.doc

flagged(lines) := {f.path[1] | some f in rule.deny with input as doc(lines)}

test_malformed_documents_give_nothing if {
	every d in ["x", null, {}, {"instructions": "x"}, {"instructions": [null, 1, {"cmd": 3}, {"cmd": "run", "value": "x"}, {"cmd": "from", "value": [1]}]}] {
		count(rule.deny) == 0 with input as d
	}
}

test_last_user_root_flagged if {
	flagged(["FROM alpine:3.20", "USER app", "RUN id", "USER root"]) == {3}
	flagged(["FROM alpine:3.20", "USER 0:0"]) == {1}
}

test_missing_user_flagged_at_final_from if {
	flagged(["FROM golang:1.22 AS build", "USER app", "FROM alpine:3.20", "COPY --from=build /app /app"]) == {2}
}

test_non_root_final_user_passes if {
	flagged(["FROM alpine:3.20 AS build", "USER root", "FROM alpine:3.20", "USER root", "RUN apk add --no-cache curl", "USER 10001"]) == set()
	flagged(["FROM alpine:3.20", "USER rootless"]) == set()
}

test_message if {
	some f in rule.deny with input as doc(["FROM alpine:3.20", "USER root"])
	f.msg == "The final stage's last USER is root: the image runs as root"
}

