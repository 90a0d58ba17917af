# METADATA
# title: apt-get install without --no-install-recommends
# description: >-
#   Without --no-install-recommends apt-get installs every recommended package too: a bigger
#   image with more software to patch and a larger attack surface, none of which the
#   Dockerfile asked for.
# related_resources:
#   - https://docs.docker.com/build/building/best-practices/#apt-get
# custom:
#   id: PL-DOCKER-0009
#   kinds: [Dockerfile]
#   severity: LOW
#   remediation: >-
#     Add --no-install-recommends to apt-get install (and install the recommended packages
#     you do need by name).
#   frameworks:
#     - dockerfile
package plumbline.dockerfile.apt_no_install_recommends

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
	not avoids_recommends(c.words)
	msg := "apt-get install without --no-install-recommends"
}

avoids_recommends(ws) if "--no-install-recommends" in ws

avoids_recommends(ws) if {
	some w in ws
	regex.match(`(?i)APT::Install-Recommends=(false|0)`, w)
}
