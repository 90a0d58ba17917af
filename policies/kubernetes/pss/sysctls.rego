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
#     Remove the sysctl from spec.securityContext.sysctls. At v1.37 only
#     kernel.shm_rmid_forced, net.ipv4.ip_local_port_range,
#     net.ipv4.ip_unprivileged_port_start, net.ipv4.tcp_syncookies,
#     net.ipv4.ping_group_range, net.ipv4.ip_local_reserved_ports,
#     net.ipv4.tcp_keepalive_time, net.ipv4.tcp_fin_timeout,
#     net.ipv4.tcp_keepalive_intvl, net.ipv4.tcp_keepalive_probes,
#     net.ipv4.tcp_rmem, net.ipv4.tcp_wmem,
#     net.ipv4.tcp_slow_start_after_idle and net.ipv4.tcp_notsent_lowat are
#     allowed (fewer at older versions, as the finding says); tune anything
#     else on the node itself.
#   frameworks:
#     - PSS-baseline
#     - PSS-restricted
package plumbline.kubernetes.pss.sysctls

# Versions: baseline level. The safe set is kernel.shm_rmid_forced,
# net.ipv4.ip_local_port_range, net.ipv4.tcp_syncookies,
# net.ipv4.ping_group_range and net.ipv4.ip_unprivileged_port_start from
# v1.0; v1.27 adds net.ipv4.ip_local_reserved_ports; v1.29 adds
# net.ipv4.tcp_keepalive_time, net.ipv4.tcp_fin_timeout,
# net.ipv4.tcp_keepalive_intvl and net.ipv4.tcp_keepalive_probes; v1.32 adds
# net.ipv4.tcp_rmem and net.ipv4.tcp_wmem; v1.37 adds
# net.ipv4.tcp_slow_start_after_idle and net.ipv4.tcp_notsent_lowat.

import rego.v1

import data.plumbline.lib.kubernetes as k8s
import data.plumbline.lib.pss

# Each sysctl of the safe set, with the minor version that made it safe.
safe_since := {
	"kernel.shm_rmid_forced": 0,
	"net.ipv4.ip_local_port_range": 0,
	"net.ipv4.ip_unprivileged_port_start": 0,
	"net.ipv4.tcp_syncookies": 0,
	"net.ipv4.ping_group_range": 0,
	"net.ipv4.ip_local_reserved_ports": 27,
	"net.ipv4.tcp_keepalive_time": 29,
	"net.ipv4.tcp_fin_timeout": 29,
	"net.ipv4.tcp_keepalive_intvl": 29,
	"net.ipv4.tcp_keepalive_probes": 29,
	"net.ipv4.tcp_rmem": 32,
	"net.ipv4.tcp_wmem": 32,
	"net.ipv4.tcp_slow_start_after_idle": 37,
	"net.ipv4.tcp_notsent_lowat": 37,
}

safe_sysctls := {name | some name, since in safe_since; pss.at_least(since)}

deny contains result if {
	pss.baseline
	some i, sysctl in k8s.as_array(k8s.pod_security_context.sysctls)
	name := sysctl.name
	name != null
	not name in safe_sysctls
	result := k8s.result(
		sprintf("Pod sets sysctl %s, which is not in the safe set%s", [k8s.format_value(name), hint(name)]),
		array.concat(k8s.pod_security_context_path, ["sysctls", i, "name"]),
	)
}

# Why the name is not safe, when a later version or another spelling would accept it.
hint(name) := sprintf(" of Pod Security Standards v1.%d (it is safe from v1.%d)", [pss.version, safe_since[name]]) if {
	safe_since[name] > pss.version
} else := sprintf(" (the standard only accepts the dotted form %q)", [dotted]) if {
	# The standard lists the dotted names only (as does Pod Security admission),
	# so a slash-separated spelling of a safe sysctl is still reported, with a
	# pointer to the accepted spelling.
	is_string(name)
	contains(name, "/")
	dotted := concat(".", [replace(part, ".", "/") | some part in split(name, "/")])
	dotted in safe_sysctls
} else := ""
