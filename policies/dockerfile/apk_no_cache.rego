# METADATA
# title: apk add without --no-cache
# description: >-
#   apk add without --no-cache keeps the package index in /var/cache/apk in the layer: a
#   bigger image, and stale indexes for later steps. --no-cache fetches the index, installs
#   and leaves nothing behind.
# related_resources:
#   - https://github.com/gliderlabs/docker-alpine/blob/master/docs/usage.md#disabling-cache
# custom:
#   id: PL-DOCKER-0011
#   kinds: [Dockerfile]
#   severity: LOW
#   remediation: >-
#     Use apk add --no-cache (and drop a separate apk update), or remove /var/cache/apk/* in
#     the same RUN.
#   frameworks:
#     - dockerfile
package plumbline.dockerfile.apk_no_cache

import rego.v1

import data.plumbline.lib.dockerfile as df

deny contains {"msg": msg, "path": df.path(c)} if {
	some c in df.run_commands
	df.program(c.words) == "apk"
	"add" in c.words
	not "--no-cache" in c.words
	not removes_cache(c.ins)
	msg := "apk add without --no-cache"
}

removes_cache(ins) if regex.match(`\brm\s+(-\S+\s+)*(\S*\s+)*/var/cache/apk`, df.script(ins))
