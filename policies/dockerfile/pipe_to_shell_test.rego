package plumbline.dockerfile.pipe_to_shell_test

import rego.v1

import data.plumbline.dockerfile.pipe_to_shell as rule
import data.plumbline.dockerfile.input_test.doc

flagged(lines) := {f.path[1] | some f in rule.deny with input as doc(lines)}

test_malformed_documents_give_nothing if {
	every d in ["x", null, {}, {"instructions": "x"}, {"instructions": [null, 1, {"cmd": 3}, {"cmd": "run", "value": "x"}, {"cmd": "from", "value": [1]}]}] {
		count(rule.deny) == 0 with input as d
	}
}

test_pipes_flagged if {
	flagged([
		"FROM alpine:3.20",
		"RUN curl -fsSL https://get.example.com | sh",
		"RUN wget -qO- https://example.com/install.sh | sudo -E bash -s -- --yes",
		"RUN curl https://x | /bin/bash",
		"RUN curl -sS https://x | python3 -",
		"RUN curl -fsSLo /tmp/i.sh https://x && sh /tmp/i.sh",
		"RUN curl -s https://x | tar -xz",
	]) == {1, 2, 3, 4}
}

