package plumbline.dockerfile.apk_no_cache_test

import rego.v1

import data.plumbline.dockerfile.apk_no_cache as rule
import data.plumbline.dockerfile.input_test.doc

flagged(lines) := {f.path[1] | some f in rule.deny with input as doc(lines)}

test_malformed_documents_give_nothing if {
	every d in ["x", null, {}, {"instructions": "x"}, {"instructions": [null, 1, {"cmd": 3}, {"cmd": "run", "value": "x"}, {"cmd": "from", "value": [1]}]}] {
		count(rule.deny) == 0 with input as d
	}
}

test_apk_without_no_cache_flagged if {
	flagged([
		"FROM alpine:3.20",
		"RUN apk update && apk add curl",
		"RUN apk add --no-cache curl",
		"RUN apk add git && rm -rf /var/cache/apk/*",
		"RUN apk --update add tini",
	]) == {1, 4}
}

