package plumbline.dockerfile.healthcheck_missing_test

import rego.v1

import data.plumbline.dockerfile.healthcheck_missing as rule
import data.plumbline.dockerfile.input_test.doc

flagged(lines) := {f.path[1] | some f in rule.deny with input as doc(lines)}

test_malformed_documents_give_nothing if {
	every d in ["x", null, {}, {"instructions": "x"}, {"instructions": [null, 1, {"cmd": 3}, {"cmd": "run", "value": "x"}, {"cmd": "from", "value": [1]}]}] {
		count(rule.deny) == 0 with input as d
	}
}

test_missing_healthcheck_flagged_at_final_from if {
	flagged(["FROM golang:1.22 AS build", "HEALTHCHECK CMD true", "FROM alpine:3.20", "CMD [\"/app\"]"]) == {2}
}

test_healthcheck_in_final_stage_passes if {
	flagged(["FROM alpine:3.20", "HEALTHCHECK --interval=30s CMD wget -qO- http://localhost/ || exit 1"]) == set()
	flagged(["FROM alpine:3.20", "HEALTHCHECK NONE"]) == set()
}

