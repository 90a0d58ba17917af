package plumbline.dockerfile.apt_lists_not_removed_test

import rego.v1

import data.plumbline.dockerfile.apt_lists_not_removed as rule
import data.plumbline.dockerfile.input_test.doc

flagged(lines) := {f.path[1] | some f in rule.deny with input as doc(lines)}

test_malformed_documents_give_nothing if {
	every d in ["x", null, {}, {"instructions": "x"}, {"instructions": [null, 1, {"cmd": 3}, {"cmd": "run", "value": "x"}, {"cmd": "from", "value": [1]}]}] {
		count(rule.deny) == 0 with input as d
	}
}

test_lists_left_flagged if {
	flagged([
		"FROM debian:12",
		"RUN apt-get update && apt-get install -y curl",
		"RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*",
		"RUN --mount=type=cache,target=/var/lib/apt/lists apt-get update && apt-get install -y git",
		"RUN apt-get update && apt-get -y install git && apt-get clean && rm -r /var/lib/apt/lists",
		"RUN echo no apt here",
	]) == {1}
}

