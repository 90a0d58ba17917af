package plumbline.dockerfile.apt_unpinned_test

import rego.v1

import data.plumbline.dockerfile.apt_unpinned as rule
import data.plumbline.dockerfile.input_test.doc

flagged(lines) := {f.path[1] | some f in rule.deny with input as doc(lines)}

test_malformed_documents_give_nothing if {
	every d in ["x", null, {}, {"instructions": "x"}, {"instructions": [null, 1, {"cmd": 3}, {"cmd": "run", "value": "x"}, {"cmd": "from", "value": [1]}]}] {
		count(rule.deny) == 0 with input as d
	}
}

test_unpinned_packages_flagged if {
	flagged([
		"FROM debian:12",
		"RUN apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10 git",
		"RUN apt-get install -y curl=7.88.1-10 ca-certificates=20230311",
		"RUN sudo apt install -y vim",
		"RUN apt-get install -y ./local.deb",
	]) == {1, 3}
}

test_message_lists_packages if {
	some f in rule.deny with input as doc(["FROM debian:12", "RUN apt-get install -y git curl=1"])
	f.msg == "apt-get install without a pinned version for: git"
}

