# METADATA
# title: Base image not pinned
# description: >-
#   A FROM without a tag means latest, and latest moves: the same Dockerfile builds a
#   different image tomorrow, and a rebuild can silently pull in a broken or compromised
#   base. Every FROM must name a tag other than latest, or a digest. `scratch`, references
#   to earlier stages and images given by a build argument (FROM $BASE) are not checked.
# related_resources:
#   - https://docs.docker.com/build/building/best-practices/#from
#   - https://docs.docker.com/reference/dockerfile/#from
# custom:
#   id: PL-DOCKER-0002
#   kinds: [Dockerfile]
#   severity: MEDIUM
#   remediation: >-
#     Pin the base image to a version tag (python:3.12.4-slim) or, better, a digest
#     (python:3.12.4-slim@sha256:…), and let a bot (Renovate, Dependabot) update it.
#   frameworks:
#     - dockerfile
package plumbline.dockerfile.base_image_tag

import rego.v1

import data.plumbline.lib.dockerfile as df

deny contains {"msg": msg, "path": df.path(e)} if {
	some e in df.of("from")
	image := df.args(e.ins)[0]
	not contains(image, "$")
	lower(image) != "scratch"
	not earlier_stage(lower(image), e.ins.stage)
	not contains(image, "@")
	problem := unpinned(image)
	msg := sprintf("FROM %s %s", [image, problem])
}

unpinned(image) := "has no tag (that means latest)" if not tag(image)

unpinned(image) := "uses the tag latest" if tag(image) == "latest"

# A stage name defined before stage `s`.
earlier_stage(name, s) if {
	some e in df.of("from")
	e.ins.stage < s
	a := df.args(e.ins)
	count(a) >= 3
	upper(a[1]) == "AS"
	lower(a[2]) == name
}

# The tag: what follows the last ':' after the last '/' (an earlier ':' is a registry port).
tag(image) := t if {
	parts := split(image, "/")
	name := parts[count(parts) - 1]
	contains(name, ":")
	pieces := split(name, ":")
	t := pieces[count(pieces) - 1]
}
