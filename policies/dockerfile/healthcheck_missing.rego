# METADATA
# title: HEALTHCHECK missing
# description: >-
#   Without a HEALTHCHECK, Docker and Compose only know whether the process runs, not
#   whether it answers, so a hung service is never restarted or taken out of rotation. The
#   final stage should declare one (HEALTHCHECK NONE states a deliberate choice and is
#   accepted). Kubernetes ignores HEALTHCHECK and uses probes instead (PL-K8S-0022,
#   PL-K8S-0023): waive this rule for images that only run there.
# related_resources:
#   - https://docs.docker.com/reference/dockerfile/#healthcheck
# custom:
#   id: PL-DOCKER-0006
#   kinds: [Dockerfile]
#   severity: LOW
#   remediation: >-
#     Add HEALTHCHECK CMD with a cheap check of the service (e.g. HEALTHCHECK CMD wget -qO-
#     http://localhost:8080/healthz || exit 1), or HEALTHCHECK NONE if none makes sense.
#   frameworks:
#     - dockerfile
package plumbline.dockerfile.healthcheck_missing

import rego.v1

import data.plumbline.lib.dockerfile as df

deny contains {"msg": msg, "path": ["instructions", df.from_index(df.final_stage)]} if {
	count(df.of("from")) > 0
	count({e | some e in df.final; lower(e.ins.cmd) == "healthcheck"}) == 0
	msg := "The final stage has no HEALTHCHECK"
}
