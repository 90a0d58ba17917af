# METADATA
# title: apt-get lists not removed
# description: >-
#   apt-get update writes the package lists to /var/lib/apt/lists; unless the same RUN
#   removes them, they stay in that layer for good (tens of MB), and a later RUN apt-get
#   install can reuse stale lists from the cache. Remove them in the RUN that installs.
# related_resources:
#   - https://docs.docker.com/build/building/best-practices/#apt-get
# custom:
#   id: PL-DOCKER-0010
#   kinds: [Dockerfile]
#   severity: LOW
#   remediation: >-
#     End the RUN that runs apt-get install with && rm -rf /var/lib/apt/lists/* (or use a
#     cache mount: RUN --mount=type=cache,target=/var/lib/apt/lists).
#   frameworks:
#     - dockerfile
package plumbline.dockerfile.apt_lists_not_removed

import rego.v1

import data.plumbline.lib.dockerfile as df

deny contains {"msg": msg, "path": df.path(e)} if {
	some e in df.of("run")
	text := df.script(e.ins)
	regex.match(`\bapt(-get)?\s+(-\S+\s+)*install\b`, text)
	not regex.match(`\brm\s+(-\S+\s+)*(\S*\s+)*/var/lib/apt/lists`, text)
	not cache_mounted(e.ins)
	msg := "RUN installs with apt-get but does not remove /var/lib/apt/lists in the same layer"
}

cache_mounted(ins) if {
	some f in df.as_array(ins.flags)
	is_string(f)
	contains(f, "/var/lib/apt")
}
