package plumbline.dockerfile.sudo_test

import rego.v1

import data.plumbline.dockerfile.sudo as rule
import data.plumbline.dockerfile.input_test.doc

flagged(lines) := {f.path[1] | some f in rule.deny with input as doc(lines)}

test_malformed_documents_give_nothing if {
	every d in ["x", null, {}, {"instructions": "x"}, {"instructions": [null, 1, {"cmd": 3}, {"cmd": "run", "value": "x"}, {"cmd": "from", "value": [1]}]}] {
		count(rule.deny) == 0 with input as d
	}
}

test_sudo_flagged if {
	flagged(["FROM debian:12", "RUN sudo apt-get update", "RUN make && sudo make install", "RUN echo sudo is mentioned"]) == {1, 2}
}

