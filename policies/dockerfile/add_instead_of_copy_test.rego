package plumbline.dockerfile.add_instead_of_copy_test

import rego.v1

import data.plumbline.dockerfile.add_instead_of_copy as rule
import data.plumbline.dockerfile.input_test.doc

flagged(lines) := {f.path[1] | some f in rule.deny with input as doc(lines)}

test_malformed_documents_give_nothing if {
	every d in ["x", null, {}, {"instructions": "x"}, {"instructions": [null, 1, {"cmd": 3}, {"cmd": "run", "value": "x"}, {"cmd": "from", "value": [1]}]}] {
		count(rule.deny) == 0 with input as d
	}
}

test_local_add_flagged if {
	flagged(["FROM alpine:3.20", "ADD app.py config/ /srv/", "COPY run.sh /srv/"]) == {1}
}

test_archives_and_urls_pass if {
	flagged(["FROM alpine:3.20", "ADD rootfs.tar.gz /", "ADD https://example.com/x /x", "ADD --chown=app ./dist.tgz /srv"]) == set()
}


test_quoted_archive_passes if {
	flagged(["FROM alpine:3.20", `ADD "/target/resources.tar.gz" "resources"`]) == set()
}
