# METADATA
# title: Download piped into a shell
# description: >-
#   curl … | sh and wget -O- … | sh run whatever the server returns at build time, without a
#   checksum or signature check: a compromised or spoofed download server runs code in your
#   build, and the script can change between builds.
# related_resources:
#   - https://docs.docker.com/build/building/best-practices/#run
# custom:
#   id: PL-DOCKER-0007
#   kinds: [Dockerfile]
#   severity: HIGH
#   remediation: >-
#     Download the script to a file, verify its checksum (sha256sum -c) or signature, then
#     run it; or install the tool from a package repository with a pinned version.
#   frameworks:
#     - dockerfile
package plumbline.dockerfile.pipe_to_shell

import rego.v1

import data.plumbline.lib.dockerfile as df

deny contains {"msg": msg, "path": df.path(e)} if {
	some e in df.of("run")
	regex.match(pattern, df.script(e.ins))
	msg := "RUN pipes a download (curl or wget) straight into a shell"
}

pattern := `(?i)\b(curl|wget)\b[^|;&\n]*\|\s*(sudo\s+(-\S+\s+)*)?(env\s+)?(\S*/)?(sh|bash|zsh|dash|ksh|ash|python[0-9.]*|perl|ruby|node)\b`
