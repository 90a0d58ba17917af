# METADATA
# title: Restricted volume types
# description: >-
#   The restricted profile only allows volume types that do not reach into
#   the node or into external storage systems directly: configMap, csi,
#   downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected and
#   secret. Other sources (hostPath, nfs, iscsi, gitRepo, cloud disks...)
#   must go through a PersistentVolumeClaim instead.
# related_resources:
#   - https://kubernetes.io/docs/concepts/security/pod-security-standards/
#   - https://kubernetes.io/docs/concepts/storage/volumes/
# custom:
#   id: PL-K8S-0012
#   kinds: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   severity: LOW
#   remediation: >-
#     Replace the volume with one of configMap, csi, downwardAPI, emptyDir,
#     ephemeral, persistentVolumeClaim, projected or secret; expose network or
#     cloud storage through a PersistentVolume and reference it with a
#     persistentVolumeClaim.
#   frameworks:
#     - PSS-restricted
package plumbline.kubernetes.pss.volume_types

# Versions: restricted level, the same in every version of the standard
# (v1.0 to v1.37): Pod Security admission allows image volumes (added in
# Kubernetes v1.33) in its v1.0 check, so at every version. A hostPath volume
# is reported by the baseline control (PL-K8S-0005) alone.

import rego.v1

import data.plumbline.kubernetes.pss.host_path_volumes as baseline
import data.plumbline.lib.kubernetes as k8s
import data.plumbline.lib.pss

allowed_sources := {
	"configMap",
	"csi",
	"downwardAPI",
	"emptyDir",
	"ephemeral",
	"image",
	"persistentVolumeClaim",
	"projected",
	"secret",
}

violations contains result if {
	pss.restricted
	some entry in k8s.volumes
	some source, value in entry.volume
	source != "name"
	value != null
	not source in allowed_sources
	result := k8s.result(
		sprintf("%s uses volume type %s, which the restricted profile does not allow", [k8s.describe_volume(entry), k8s.format_value(source)]),
		array.concat(entry.path, [source]),
	)
}

deny contains result if {
	some result in violations
	not pss.reported(baseline.deny, result.path)
}
