# METADATA
# title: ADD of a remote URL
# description: >-
#   ADD with a URL downloads a file at build time without checking it: the content can
#   change or be replaced between builds, and it bypasses the cache and the review of what
#   goes into the image. Download in a RUN step that verifies a checksum, or use ADD
#   --checksum.
# related_resources:
#   - https://docs.docker.com/build/building/best-practices/#add-or-copy
#   - https://docs.docker.com/reference/dockerfile/#add
# custom:
#   id: PL-DOCKER-0003
#   kinds: [Dockerfile]
#   severity: MEDIUM
#   remediation: >-
#     Use RUN curl -fsSLo file URL && echo "SHA256 file" | sha256sum -c -, or ADD
#     --checksum=sha256:… URL (BuildKit), and remove the file once unpacked.
#   frameworks:
#     - dockerfile
package plumbline.dockerfile.add_remote_url

import rego.v1

import data.plumbline.lib.dockerfile as df

deny contains {"msg": msg, "path": df.path(e)} if {
	some e in df.of("add")
	not checksummed(e.ins)
	some src in sources(e.ins)
	remote(src)
	msg := sprintf("ADD downloads %s without a checksum", [src])
}

# The sources (every argument but the destination), without shell quotes.
sources(ins) := [trim(x, `"'`) | some x in array.slice(a, 0, count(a) - 1)] if {
	a := df.args(ins)
	count(a) >= 2
}

remote(src) if regex.match(`^(?i)(https?|ftp)://`, src)

remote(src) if regex.match(`^(?i)git@`, src)

checksummed(ins) if {
	some f in df.as_array(ins.flags)
	is_string(f)
	startswith(f, "--checksum=")
}
