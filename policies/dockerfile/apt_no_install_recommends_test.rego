package plumbline.dockerfile.apt_no_install_recommends_test

import rego.v1

import data.plumbline.dockerfile.apt_no_install_recommends as rule
import data.plumbline.dockerfile.input_test.doc

flagged(lines) := {f.path[1] | some f in rule.deny with input as doc(lines)}

test_malformed_documents_give_nothing if {
	every d in ["x", null, {}, {"instructions": "x"}, {"instructions": [null, 1, {"cmd": 3}, {"cmd": "run", "value": "x"}, {"cmd": "from", "value": [1]}]}] {
		count(rule.deny) == 0 with input as d
	}
}

test_missing_flag_flagged if {
	flagged([
		"FROM debian:12",
		"RUN apt-get update && apt-get install -y curl",
		"RUN apt-get install -y --no-install-recommends curl",
		"RUN apt-get -o APT::Install-Recommends=false install -y curl",
		"RUN apt-get update",
	]) == {1}
}

