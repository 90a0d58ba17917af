# METADATA
# title: apt-get install without pinned versions
# description: >-
#   apt-get install pkg installs whatever version the repository offers on the day of the
#   build, so two builds of the same Dockerfile differ, and a rebuild can pick up an
#   incompatible or broken release. Pin each package: pkg=1.2.3-1.
# related_resources:
#   - https://docs.docker.com/build/building/best-practices/#apt-get
# custom:
#   id: PL-DOCKER-0008
#   kinds: [Dockerfile]
#   severity: LOW
#   remediation: >-
#     Write each package as name=version (apt-cache policy name shows the candidates), and
#     update the pins deliberately.
#   frameworks:
#     - dockerfile
package plumbline.dockerfile.apt_unpinned

import rego.v1

import data.plumbline.lib.dockerfile as df

# apt-get/apt install commands of every RUN.
installs contains c if {
	some c in df.run_commands
	p := df.program(c.words)
	p in {"apt-get", "apt"}
	"install" in c.words
}

deny contains {"msg": msg, "path": df.path(c)} if {
	some c in installs
	pkgs := unpinned(c.words)
	count(pkgs) > 0
	msg := sprintf("apt-get install without a pinned version for: %s", [concat(", ", sort(pkgs))])
}

# Package arguments after `install` that name no version (and are not .deb files or
# variables).
unpinned(ws) := {w |
	some i, w in ws
	i > install_at(ws)
	not startswith(w, "-")
	not contains(w, "=")
	not contains(w, "$")
	not endswith(w, ".deb")
	not w in {"\\"}
}

install_at(ws) := min({i | some i, w in ws; w == "install"})
