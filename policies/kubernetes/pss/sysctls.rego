# METADATA
# title: Unsafe sysctls
# description: >-
#   Sysctls outside the namespaced "safe" set can change kernel behaviour for
#   every pod on the node or disable security mechanisms. Only the safe
#   sysctls listed by the Pod Security Standards may be set in
#   spec.securityContext.sysctls.
# related_resources:
#   - https://kubernetes.io/docs/concepts/security/pod-security-standards/
#   - https://kubernetes.io/docs/tasks/administer-cluster/sysctl-cluster/
# custom:
#   id: PL-K8S-0011
#   kinds: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   severity: MEDIUM
#   remediation: >-
#     Remove the sysctl from spec.securityContext.sysctls. Only
#     kernel.shm_rmid_forced, net.ipv4.ip_local_port_range,
#     net.ipv4.ip_unprivileged_port_start, net.ipv4.tcp_syncookies,
#     net.ipv4.ping_group_range, net.ipv4.ip_local_reserved_ports,
#     net.ipv4.tcp_keepalive_time, net.ipv4.tcp_fin_timeout,
#     net.ipv4.tcp_keepalive_intvl and net.ipv4.tcp_keepalive_probes are
#     allowed; tune anything else on the node itself.
#   frameworks:
#     - PSS-baseline
#     - PSS-restricted
package plumbline.kubernetes.pss.sysctls

import rego.v1

import data.plumbline.lib.kubernetes as k8s

safe_sysctls := {
	"kernel.shm_rmid_forced",
	"net.ipv4.ip_local_port_range",
	"net.ipv4.ip_unprivileged_port_start",
	"net.ipv4.tcp_syncookies",
	"net.ipv4.ping_group_range",
	"net.ipv4.ip_local_reserved_ports",
	"net.ipv4.tcp_keepalive_time",
	"net.ipv4.tcp_fin_timeout",
	"net.ipv4.tcp_keepalive_intvl",
	"net.ipv4.tcp_keepalive_probes",
}

deny contains result if {
	some i, sysctl in k8s.as_array(k8s.pod_security_context.sysctls)
	name := sysctl.name
	name != null
	not name in safe_sysctls
	result := k8s.result(
		sprintf("Pod sets sysctl %s, which is not in the safe set%s", [k8s.format_value(name), hint(name)]),
		array.concat(k8s.pod_security_context_path, ["sysctls", i, "name"]),
	)
}

# The standard lists the dotted names only (as does Pod Security admission),
# so a slash-separated spelling of a safe sysctl is still reported, with a
# pointer to the accepted spelling.
hint(name) := sprintf(" (the standard only accepts the dotted form %q)", [dotted]) if {
	is_string(name)
	contains(name, "/")
	dotted := concat(".", [replace(part, ".", "/") | some part in split(name, "/")])
	dotted in safe_sysctls
} else := ""
