# METADATA
# title: HostPath volumes
# description: >-
#   A hostPath volume mounts a file or directory of the node into the pod,
#   which can expose host credentials, the container runtime socket or the
#   node's filesystem to the workload. Pod volumes must not use hostPath.
# related_resources:
#   - https://kubernetes.io/docs/concepts/security/pod-security-standards/
#   - https://kubernetes.io/docs/concepts/storage/volumes/#hostpath
# custom:
#   id: PL-K8S-0005
#   kinds: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   severity: HIGH
#   remediation: >-
#     Replace the hostPath volume with an emptyDir, configMap, secret,
#     projected or persistentVolumeClaim volume. Node agents that truly need
#     host files belong in a separately governed namespace.
#   frameworks:
#     - PSS-baseline
#     - PSS-restricted
package plumbline.kubernetes.pss.host_path_volumes

# Versions: baseline level, the same in every version of the standard (v1.0 to v1.37).
# A hostPath volume also fails the restricted level's volume types control
# (PL-K8S-0012), which leaves the field to this rule.

import rego.v1

import data.plumbline.lib.kubernetes as k8s
import data.plumbline.lib.pss

deny contains result if {
	pss.baseline
	some entry in k8s.volumes
	host_path := entry.volume.hostPath
	host_path != null
	result := k8s.result(
		sprintf("%s mounts the host path %s%s", [k8s.describe_volume(entry), describe_host_path(host_path), pss.also_restricted]),
		array.concat(entry.path, ["hostPath"]),
	)
}

describe_host_path(hp) := k8s.format_value(hp.path) if is_string(hp.path)

else := "(no path given)"
