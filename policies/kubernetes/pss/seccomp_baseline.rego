# METADATA
# title: Seccomp profile disabled
# description: >-
#   Seccomp filters the system calls a container can make. Setting the
#   seccomp profile type to Unconfined on the pod or on a container disables
#   that filter; only RuntimeDefault and Localhost (or leaving it unset) are
#   allowed.
# related_resources:
#   - https://kubernetes.io/docs/concepts/security/pod-security-standards/
#   - https://kubernetes.io/docs/tutorials/security/seccomp/
# custom:
#   id: PL-K8S-0010
#   kinds: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   severity: MEDIUM
#   remediation: >-
#     Set securityContext.seccompProfile.type to RuntimeDefault (or Localhost
#     with a profile that is loaded on the nodes) instead of Unconfined.
#   frameworks:
#     - PSS-baseline
#     - PSS-restricted
package plumbline.kubernetes.pss.seccomp_baseline

# Versions: baseline level. Before v1.19 the standard reads the seccomp
# annotations (seccomp.security.alpha.kubernetes.io/pod and
# container.seccomp.security.alpha.kubernetes.io/<container>), which must
# not be unconfined; from v1.19 it reads the seccompProfile fields, whose
# type must not be Unconfined. When the restricted level is evaluated too,
# a field its restricted counterpart (PL-K8S-0016) also forbids is reported
# here once.

import rego.v1

import data.plumbline.lib.kubernetes as k8s
import data.plumbline.lib.pss

allowed_types := {"RuntimeDefault", "Localhost"}

pod_annotation := "seccomp.security.alpha.kubernetes.io/pod"

container_annotation_prefix := "container.seccomp.security.alpha.kubernetes.io/"

deny contains result if {
	pss.baseline
	pss.at_least(19)
	value := k8s.pod_security_context.seccompProfile.type
	value != null
	not value in allowed_types
	path := array.concat(k8s.pod_security_context_path, ["seccompProfile", "type"])
	result := k8s.result(
		sprintf("Pod sets securityContext.seccompProfile.type to %s; only RuntimeDefault or Localhost are allowed%s", [k8s.format_value(value), also(path)]),
		path,
	)
}

deny contains result if {
	pss.baseline
	pss.at_least(19)
	some entry in k8s.containers
	value := k8s.security_context(entry.container).seccompProfile.type
	value != null
	not value in allowed_types
	path := k8s.container_field_path(entry, ["seccompProfile", "type"])
	result := k8s.result(
		sprintf("%s sets securityContext.seccompProfile.type to %s; only RuntimeDefault or Localhost are allowed%s", [k8s.describe_container(entry), k8s.format_value(value), also(path)]),
		path,
	)
}

deny contains result if {
	pss.baseline
	not pss.at_least(19)
	k8s.pod_meta
	some key, value in k8s.pod_annotations
	seccomp_annotation(key)
	value == "unconfined"
	result := k8s.result(
		sprintf("Annotation %s is unconfined; the standard before v1.19 forbids an unconfined seccomp profile", [key]),
		array.concat(k8s.pod_meta_path, ["annotations", key]),
	)
}

seccomp_annotation(key) if key == pod_annotation

seccomp_annotation(key) if {
	is_string(key)
	startswith(key, container_annotation_prefix)
}

# Every type the baseline forbids is one the restricted control forbids too,
# where that control applies (see seccomp_restricted.rego).
also(_) := pss.also_restricted if {
	pss.at_least(19)
	not pss.windows_exempt
} else := ""
