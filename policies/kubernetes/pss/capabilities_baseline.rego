# METADATA
# title: Added Linux capabilities (baseline)
# description: >-
#   Adding Linux capabilities beyond the container runtime's default set
#   (for example SYS_ADMIN, NET_ADMIN or SYS_PTRACE) grants powers that enable
#   container escapes. Only AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID,
#   KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID and
#   SYS_CHROOT may appear in securityContext.capabilities.add.
# related_resources:
#   - https://kubernetes.io/docs/concepts/security/pod-security-standards/
#   - https://man7.org/linux/man-pages/man7/capabilities.7.html
# custom:
#   id: PL-K8S-0004
#   kinds: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   severity: MEDIUM
#   remediation: >-
#     Remove the capability from securityContext.capabilities.add. Keep only
#     capabilities from the default set, and prefer dropping ALL and adding
#     back only NET_BIND_SERVICE when it is needed.
#   frameworks:
#     - PSS-baseline
#     - PSS-restricted
package plumbline.kubernetes.pss.capabilities_baseline

# Versions: baseline level, the same in every version of the standard (v1.0 to v1.37).
# When the restricted level is evaluated too, an added capability that its
# restricted counterpart (PL-K8S-0017) also forbids is reported here once; at
# that level a Windows pod is checked by neither from v1.25 (admission's
# restricted control replaces this one and leaves Windows pods alone).

import rego.v1

import data.plumbline.lib.kubernetes as k8s
import data.plumbline.lib.pss

allowed_capabilities := {
	"AUDIT_WRITE",
	"CHOWN",
	"DAC_OVERRIDE",
	"FOWNER",
	"FSETID",
	"KILL",
	"MKNOD",
	"NET_BIND_SERVICE",
	"SETFCAP",
	"SETGID",
	"SETPCAP",
	"SETUID",
	"SYS_CHROOT",
}

deny contains result if {
	pss.baseline
	not pss.linux_controls_overridden
	some entry in k8s.containers
	add := k8s.security_context(entry.container).capabilities.add
	some i, capability in k8s.as_array(add)
	capability != null
	not capability in allowed_capabilities
	path := k8s.container_field_path(entry, ["capabilities", "add", i])
	result := k8s.result(
		sprintf("%s adds capability %s, which is not in the baseline's allowed set%s", [k8s.describe_container(entry), k8s.format_value(capability), also(path)]),
		path,
	)
}

# Every capability the baseline forbids is one the restricted control forbids
# too, where that control applies (see capabilities_restricted.rego).
also(_) := pss.also_restricted if {
	pss.at_least(22)
	not pss.windows_exempt
} else := ""
