# METADATA
# title: Secret in ENV or ARG
# description: >-
#   A password, token or key given in ENV is stored in the image configuration, and an ARG
#   is recorded in the image history (docker history), where anyone who can pull the image
#   reads it. Reported: ENV with a secret-like name (…PASSWORD…, …TOKEN…, …SECRET…, …_KEY)
#   and a value, ARG with a secret-like name, and any ENV or ARG value that looks like a
#   private key or a well-known credential format. The value is never shown in the finding.
# related_resources:
#   - https://docs.docker.com/reference/dockerfile/#env
#   - https://docs.docker.com/build/building/secrets/
# custom:
#   id: PL-DOCKER-0005
#   kinds: [Dockerfile]
#   severity: HIGH
#   remediation: >-
#     Use a BuildKit secret mount (RUN --mount=type=secret,id=…) at build time, and pass
#     runtime secrets to the container from the orchestrator (Kubernetes Secret, Docker
#     secret); rotate the exposed value.
#   frameworks:
#     - dockerfile
package plumbline.dockerfile.secrets_in_env_arg

import rego.v1

import data.plumbline.lib.dockerfile as df

deny contains {"msg": msg, "path": df.path(e)} if {
	some e in df.instructions
	cmd := lower(e.ins.cmd)
	cmd in {"env", "arg"}
	some p in df.pairs(e.ins)
	secret_name(p.key)
	reported(cmd, p)
	msg := sprintf("%s %s holds a secret: it is stored in the image", [upper(cmd), p.key])
}

deny contains {"msg": msg, "path": df.path(e)} if {
	some e in df.instructions
	cmd := lower(e.ins.cmd)
	cmd in {"env", "arg"}
	some p in df.pairs(e.ins)
	not secret_name(p.key)
	credential_value(p.value)
	msg := sprintf("The value of %s %s looks like a credential: it is stored in the image", [upper(cmd), p.key])
}

# ENV needs a literal value to leak; a secret-named ARG leaks whatever --build-arg passes.
reported("arg", _) := true

reported("env", p) if {
	p.has_value
	p.value != ""
	not regex.match(`^\$\{?[A-Za-z_][A-Za-z0-9_]*\}?$`, p.value)
}

secret_name(name) if {
	n := upper(name)
	regex.match(`(PASSWORD|PASSWD|PASSPHRASE|TOKEN|SECRET|CREDENTIAL|(^|_)PWD$|(^|_)KEY$|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY)`, n)
	not regex.match(`_(FILE|PATH|DIR|NAME|URL|URI|ENDPOINT|HOST|PORT|REF|ID|TTL|TIMEOUT|EXPIRY|LENGTH|ENABLED)$`, n)
}

credential_value(v) if regex.match(`-----BEGIN ([A-Z]+ )?PRIVATE KEY-----`, v)

credential_value(v) if regex.match(`^(AKIA|ASIA)[0-9A-Z]{16}$`, v)

credential_value(v) if regex.match(`^(ghp|gho|ghu|ghs|ghr|github_pat)_[A-Za-z0-9_]{20,}$`, v)

credential_value(v) if regex.match(`^glpat-[A-Za-z0-9_-]{20,}$`, v)

credential_value(v) if regex.match(`^xox[abpors]-[A-Za-z0-9-]{10,}$`, v)
