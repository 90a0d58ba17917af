# METADATA
# title: ADD used to copy local files
# description: >-
#   ADD also unpacks archives and downloads URLs, so using it for plain local files makes
#   the build do more than it says (a file renamed to .tar.gz is suddenly extracted). COPY
#   does only the copy. Local tar archives, which ADD unpacks on purpose, and URLs (PL-
#   DOCKER-0003) are not reported.
# related_resources:
#   - https://docs.docker.com/build/building/best-practices/#add-or-copy
#   - https://docs.docker.com/reference/dockerfile/#copy
# custom:
#   id: PL-DOCKER-0004
#   kinds: [Dockerfile]
#   severity: LOW
#   remediation: >-
#     Replace ADD with COPY for local files and directories.
#   frameworks:
#     - dockerfile
package plumbline.dockerfile.add_instead_of_copy

import rego.v1

import data.plumbline.lib.dockerfile as df

deny contains {"msg": msg, "path": df.path(e)} if {
	some e in df.of("add")
	srcs := sources(e.ins)
	count(srcs) > 0
	every src in srcs {
		not remote(src)
		not archive(src)
	}
	msg := sprintf("ADD copies local files (%s): use COPY", [concat(", ", srcs)])
}

# The sources (every argument but the destination), without shell quotes.
sources(ins) := [trim(x, `"'`) | some x in array.slice(a, 0, count(a) - 1)] if {
	a := df.args(ins)
	count(a) >= 2
}

remote(src) if regex.match(`^(?i)(https?|ftp)://|^git@`, src)

archive(src) if regex.match(`(?i)\.(tar|tar\.gz|tgz|tar\.bz2|tbz2?|tar\.xz|txz|tar\.zst)$`, src)
