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
# container.seccomp.security.alpha.kubernetes.io/<container> of the pod's
# containers), which must name runtime/default, docker/default or a
# localhost/ profile; from v1.19 it reads the seccompProfile fields, whose
# type must not be Unconfined. When the restricted level is evaluated too,
# a field its restricted counterpart (PL-K8S-0016) also forbids is reported
# here once; at that level a Windows pod is checked by neither from v1.25
# (admission's restricted control replaces this one and leaves Windows pods
# alone).

import rego.v1

import data.plumbline.lib.kubernetes as k8s
import data.plumbline.lib.pss

allowed_types := {"RuntimeDefault", "Localhost"}

pod_annotation := "seccomp.security.alpha.kubernetes.io/pod"

container_annotation_prefix := "container.seccomp.security.alpha.kubernetes.io/"

deny contains result if {
	pss.baseline
	pss.at_least(19)
	not pss.linux_controls_overridden
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
	not pss.linux_controls_overridden
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

# Before v1.19: the pod's annotation, and the annotation of each container the pod
# has, must name runtime/default, docker/default or a localhost/ profile.
deny contains result if {
	pss.baseline
	not pss.at_least(19)
	k8s.pod_meta
	some key in annotation_keys
	value := k8s.pod_annotations[key]
	not valid_annotation_value(value)
	result := k8s.result(
		sprintf("Annotation %s is %s; before v1.19 the standard allows only runtime/default, docker/default or localhost/<profile>", [key, k8s.format_value(value)]),
		array.concat(k8s.pod_meta_path, ["annotations", key]),
	)
}

annotation_keys contains pod_annotation

annotation_keys contains concat("", [container_annotation_prefix, entry.container.name]) if {
	some entry in k8s.containers
	is_string(entry.container.name)
}

valid_annotation_value(value) if value in {"runtime/default", "docker/default"}

valid_annotation_value(value) if {
	is_string(value)
	startswith(value, "localhost/")
}

also(_) := pss.also_restricted if {
	pss.at_least(19)
	not pss.windows_exempt
} else := ""
