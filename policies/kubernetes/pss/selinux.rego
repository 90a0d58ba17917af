# METADATA
# title: Custom SELinux options
# description: >-
#   Custom SELinux users, roles or types can give a container a more
#   privileged SELinux context than the runtime's confined container types.
#   seLinuxOptions.type may only be container_t, container_init_t,
#   container_kvm_t or container_engine_t, and seLinuxOptions.user and
#   seLinuxOptions.role must be unset.
# related_resources:
#   - https://kubernetes.io/docs/concepts/security/pod-security-standards/
# custom:
#   id: PL-K8S-0008
#   kinds: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   severity: MEDIUM
#   remediation: >-
#     Remove seLinuxOptions.user and seLinuxOptions.role, and either remove
#     seLinuxOptions.type or set it to container_t, container_init_t,
#     container_kvm_t or container_engine_t. Setting only
#     seLinuxOptions.level (MCS labels) is allowed.
#   frameworks:
#     - PSS-baseline
#     - PSS-restricted
package plumbline.kubernetes.pss.selinux

# Versions: baseline level. The allowed types are container_t,
# container_init_t and container_kvm_t from v1.0; v1.31 adds
# container_engine_t.

import rego.v1

import data.plumbline.lib.kubernetes as k8s
import data.plumbline.lib.pss

allowed_types := {"container_t", "container_init_t", "container_kvm_t", "container_engine_t"} if pss.at_least(31)

else := {"container_t", "container_init_t", "container_kvm_t"}

allowed_text := concat(", ", sort(allowed_types))

# Every securityContext that may carry seLinuxOptions, with how to name it.
contexts contains {"sc": k8s.pod_security_context, "path": k8s.pod_security_context_path, "who": "Pod"}

contexts contains {"sc": k8s.security_context(entry.container), "path": k8s.security_context_path(entry), "who": k8s.describe_container(entry)} if {
	some entry in k8s.containers
}

deny contains result if {
	pss.baseline
	some ctx in contexts
	value := ctx.sc.seLinuxOptions.type
	value != null
	value != ""
	not value in allowed_types
	result := k8s.result(
		sprintf("%s sets securityContext.seLinuxOptions.type to %s; only %s are allowed (Pod Security Standards v1.%d)", [ctx.who, k8s.format_value(value), allowed_text, pss.version]),
		array.concat(ctx.path, ["seLinuxOptions", "type"]),
	)
}

deny contains result if {
	pss.baseline
	some ctx in contexts
	some field in ["user", "role"]
	value := ctx.sc.seLinuxOptions[field]
	value != null
	value != ""
	result := k8s.result(
		sprintf("%s sets securityContext.seLinuxOptions.%s to %s; custom SELinux users and roles are not allowed", [ctx.who, field, k8s.format_value(value)]),
		array.concat(ctx.path, ["seLinuxOptions", field]),
	)
}
