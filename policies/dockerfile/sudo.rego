# METADATA
# title: sudo in RUN
# description: >-
#   RUN already runs as the current USER; sudo in a Dockerfile means either the build runs
#   as root anyway (sudo is useless) or the image ships sudo with a rule that lets an
#   unprivileged user become root, which defeats USER. It also behaves unpredictably without
#   a TTY.
# related_resources:
#   - https://docs.docker.com/build/building/best-practices/#user
# custom:
#   id: PL-DOCKER-0012
#   kinds: [Dockerfile]
#   severity: MEDIUM
#   remediation: >-
#     Switch with USER root before the commands that need root and back to the unprivileged
#     user after them; remove sudo from the image.
#   frameworks:
#     - dockerfile
package plumbline.dockerfile.sudo

import rego.v1

import data.plumbline.lib.dockerfile as df

deny contains {"msg": msg, "path": df.path(c)} if {
	some c in df.run_commands
	count(c.words) > 0
	c.words[0] == "sudo"
	msg := sprintf("RUN uses sudo (%s)", [c.command])
}
