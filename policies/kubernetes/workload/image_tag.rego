# METADATA
# title: Image tag not pinned
# description: >-
#   An image without a tag means `latest`, and `latest` (like any tag) moves: the same manifest
#   deploys different code on different days, rollbacks do not roll back, and nodes with a
#   cached copy run something else than fresh nodes. Every container image must name an
#   explicit tag other than `latest`, or a digest.
# related_resources:
#   - https://kubernetes.io/docs/concepts/containers/images/#image-names
#   - https://kubernetes.io/docs/concepts/configuration/overview/#container-images
# custom:
#   id: PL-K8S-0024
#   kinds: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   severity: MEDIUM
#   remediation: >-
#     Reference the image by a version tag (nginx:1.27.3) or, better, by digest
#     (nginx@sha256:…).
#   frameworks:
#     - k8s-workload-hygiene
package plumbline.kubernetes.workload.image_tag

import rego.v1

import data.plumbline.lib.kubernetes as k8s

deny contains result if {
	some entry in k8s.containers
	image := entry.container.image
	is_string(image)
	image != ""
	not contains(image, "@")
	problem := unpinned(image)
	result := k8s.result(
		sprintf("%s uses image %q %s", [k8s.describe_container(entry), image, problem]),
		array.concat(entry.path, ["image"]),
	)
}

unpinned(image) := "without a tag (that means latest)" if not tag(image)

unpinned(image) := "with the tag latest" if tag(image) == "latest"

# The tag: what follows the last ':' after the last '/' (a ':' before it is a registry port).
tag(image) := t if {
	parts := split(image, "/")
	name := parts[count(parts) - 1]
	contains(name, ":")
	pieces := split(name, ":")
	t := pieces[count(pieces) - 1]
}
