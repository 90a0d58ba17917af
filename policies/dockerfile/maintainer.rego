# METADATA
# title: MAINTAINER is deprecated
# description: >-
#   MAINTAINER has been deprecated since Docker 1.13; the author belongs in a label, where
#   tools can read it.
# related_resources:
#   - https://docs.docker.com/reference/dockerfile/#maintainer-deprecated
# custom:
#   id: PL-DOCKER-0014
#   kinds: [Dockerfile]
#   severity: LOW
#   remediation: >-
#     Replace MAINTAINER with LABEL org.opencontainers.image.authors="…".
#   frameworks:
#     - dockerfile
package plumbline.dockerfile.maintainer

import rego.v1

import data.plumbline.lib.dockerfile as df

deny contains {"msg": "MAINTAINER is deprecated: use LABEL org.opencontainers.image.authors", "path": df.path(e)} if {
	some e in df.of("maintainer")
}
