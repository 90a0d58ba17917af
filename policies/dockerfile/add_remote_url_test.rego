package plumbline.dockerfile.add_remote_url_test

import rego.v1

import data.plumbline.dockerfile.add_remote_url as rule
import data.plumbline.dockerfile.input_test.doc

flagged(lines) := {f.path[1] | some f in rule.deny with input as doc(lines)}

test_malformed_documents_give_nothing if {
	every d in ["x", null, {}, {"instructions": "x"}, {"instructions": [null, 1, {"cmd": 3}, {"cmd": "run", "value": "x"}, {"cmd": "from", "value": [1]}]}] {
		count(rule.deny) == 0 with input as d
	}
}

test_remote_add_flagged if {
	flagged(["FROM alpine:3.20", "ADD https://example.com/tool.tar.gz /opt/", "ADD ./local /srv/", "ADD git@github.com:acme/repo.git /src"]) == {1, 3}
}

test_checksum_passes if {
	flagged(["FROM alpine:3.20", "ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://example.com/tool.tar.gz /opt/"]) == set()
}

