# METADATA
# title: RUN cd instead of WORKDIR
# description: >-
#   A cd in RUN only lasts for that RUN; instructions after it run in the previous
#   directory, which makes the Dockerfile misleading and error-prone. WORKDIR sets the
#   directory for every following instruction. Reported when a RUN starts with cd.
# related_resources:
#   - https://docs.docker.com/build/building/best-practices/#workdir
# custom:
#   id: PL-DOCKER-0013
#   kinds: [Dockerfile]
#   severity: LOW
#   remediation: >-
#     Replace RUN cd /dir && … with WORKDIR /dir followed by RUN ….
#   frameworks:
#     - dockerfile
package plumbline.dockerfile.cd_instead_of_workdir

import rego.v1

import data.plumbline.lib.dockerfile as df

deny contains {"msg": msg, "path": df.path(e)} if {
	some e in df.of("run")
	cmds := df.commands(df.script(e.ins))
	count(cmds) > 0
	ws := df.words(cmds[0])
	ws[0] == "cd"
	msg := sprintf("RUN starts with %q: use WORKDIR", [cmds[0]])
}
