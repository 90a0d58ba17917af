# METADATA
# title: AppArmor profile overrides
# description: >-
#   On AppArmor hosts the runtime's default profile confines every container.
#   Setting the profile to Unconfined (through securityContext.appArmorProfile
#   or the legacy container.apparmor.security.beta.kubernetes.io annotation)
#   removes that confinement; only RuntimeDefault and Localhost profiles are
#   allowed.
# related_resources:
#   - https://kubernetes.io/docs/concepts/security/pod-security-standards/
#   - https://kubernetes.io/docs/tutorials/security/apparmor/
# custom:
#   id: PL-K8S-0007
#   kinds: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   severity: MEDIUM
#   remediation: >-
#     Remove the AppArmor override or set securityContext.appArmorProfile.type
#     to RuntimeDefault (or Localhost with a loaded profile); for the legacy
#     annotation use runtime/default or localhost/<profile>.
#   frameworks:
#     - PSS-baseline
#     - PSS-restricted
package plumbline.kubernetes.pss.apparmor

# Versions: baseline level, the same in every version of the standard (v1.0 to
# v1.37). The securityContext.appArmorProfile fields appeared in v1.30; Pod
# Security admission checks them at every version, as it does the annotation.

import rego.v1

import data.plumbline.lib.kubernetes as k8s
import data.plumbline.lib.pss

allowed_types := {"RuntimeDefault", "Localhost"}

annotation_prefix := "container.apparmor.security.beta.kubernetes.io/"

deny contains result if {
	pss.baseline
	profile_type := k8s.pod_security_context.appArmorProfile.type
	profile_type != null
	not profile_type in allowed_types
	result := k8s.result(
		sprintf("Pod sets securityContext.appArmorProfile.type to %s; only RuntimeDefault or Localhost are allowed", [k8s.format_value(profile_type)]),
		array.concat(k8s.pod_security_context_path, ["appArmorProfile", "type"]),
	)
}

deny contains result if {
	pss.baseline
	some entry in k8s.containers
	profile_type := k8s.security_context(entry.container).appArmorProfile.type
	profile_type != null
	not profile_type in allowed_types
	result := k8s.result(
		sprintf("%s sets securityContext.appArmorProfile.type to %s; only RuntimeDefault or Localhost are allowed", [k8s.describe_container(entry), k8s.format_value(profile_type)]),
		k8s.container_field_path(entry, ["appArmorProfile", "type"]),
	)
}

deny contains result if {
	pss.baseline
	k8s.pod_meta
	some key, value in k8s.pod_annotations
	is_string(key)
	startswith(key, annotation_prefix)
	value != null
	not allowed_annotation_value(value)
	container := trim_prefix(key, annotation_prefix)
	result := k8s.result(
		sprintf("Annotation %s sets the AppArmor profile of container %q to %s; only runtime/default or localhost/<profile> are allowed", [key, container, k8s.format_value(value)]),
		array.concat(k8s.pod_meta_path, ["annotations", key]),
	)
}

# An empty value leaves the default profile in place, as no annotation does.
allowed_annotation_value(value) if value in {"runtime/default", ""}

allowed_annotation_value(value) if {
	is_string(value)
	startswith(value, "localhost/")
}
