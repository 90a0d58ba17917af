# METADATA
# title: Image runs as root
# description: >-
#   A container runs as the last USER of its image's final stage, and as root when there is
#   none (unless the base image sets another user). A process running as root in the
#   container is root on the host's kernel: one escape or one writable host mount away from
#   the node. The final stage should end with USER set to an unprivileged user. Earlier
#   build stages are not checked: they do not become the image.
# related_resources:
#   - https://docs.docker.com/build/building/best-practices/#user
#   - https://docs.docker.com/reference/dockerfile/#user
# custom:
#   id: PL-DOCKER-0001
#   kinds: [Dockerfile]
#   severity: HIGH
#   remediation: >-
#     Create an unprivileged user (RUN useradd -r -u 10001 app, or the base image's nonroot
#     user) and add USER app (or USER 10001) after the last instruction that needs root.
#   frameworks:
#     - dockerfile
package plumbline.dockerfile.root_user

import rego.v1

import data.plumbline.lib.dockerfile as df

# The last USER of the final stage.
last_user := e if {
	users := [u | some u in df.final; lower(u.ins.cmd) == "user"]
	count(users) > 0
	e := [u | some u in users; u.index == max({x.index | some x in users})][0]
}

deny contains {"msg": msg, "path": df.path(last_user)} if {
	user := trim_space(df.args(last_user.ins)[0])
	root(user)
	msg := sprintf("The final stage's last USER is %s: the image runs as root", [user])
}

deny contains {"msg": msg, "path": ["instructions", df.from_index(df.final_stage)]} if {
	count(df.of("from")) > 0
	not last_user
	msg := "The final stage sets no USER: the image runs as root unless its base image sets a user"
}

root(user) if lower(split(user, ":")[0]) in {"root", "0"}
