# METADATA
# title: Image not pinned by digest
# description: >-
#   A tag can be moved to other content by whoever can push to the repository; only a digest
#   (`image@sha256:…`) names exactly one image. Pinning by digest makes deployments
#   reproducible and protects against a replaced tag. Reported at LOW severity, as a
#   preference: the tag rule (PL-K8S-0024) catches the dangerous cases.
# related_resources:
#   - https://kubernetes.io/docs/concepts/containers/images/#image-names
# custom:
#   id: PL-K8S-0025
#   kinds: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   severity: LOW
#   remediation: >-
#     Append the digest of the image you tested, e.g. nginx:1.27.3@sha256:…, and let a bot
#     (Renovate, Dependabot) update it.
#   frameworks:
#     - k8s-workload-hygiene
package plumbline.kubernetes.workload.image_digest

import rego.v1

import data.plumbline.lib.kubernetes as k8s

deny contains result if {
	some entry in k8s.containers
	image := entry.container.image
	is_string(image)
	image != ""
	not regex.match(`@[A-Za-z0-9_+.-]+:[0-9a-fA-F]{32,}$`, image)
	result := k8s.result(
		sprintf("%s uses image %q without a digest", [k8s.describe_container(entry), image]),
		array.concat(entry.path, ["image"]),
	)
}
