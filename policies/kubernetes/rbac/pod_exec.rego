# METADATA
# title: RBAC exec or attach into pods
# description: >-
#   create on pods/exec (kubectl exec) or pods/attach (kubectl attach) runs commands in, or
#   talks to, any container the role reaches, with that container's service account, files
#   and network access. It is a shell on production workloads. resourceNames limits it to
#   the named pods, which is still a shell in them: such a rule is reported, naming them.
# related_resources:
#   - https://kubernetes.io/docs/concepts/security/rbac-good-practices/#workload-creation
# custom:
#   id: PL-K8S-0032
#   kinds: [Role, ClusterRole]
#   severity: HIGH
#   remediation: >-
#     Remove pods/exec and pods/attach from the role; give debugging access through a
#     separate, audited break-glass role.
#   frameworks:
#     - k8s-rbac
package plumbline.kubernetes.rbac.pod_exec

import rego.v1

import data.plumbline.kubernetes.rbac.lib
import data.plumbline.lib.kubernetes as k8s

deny contains {"msg": msg, "path": ["rules", e.index, "resources", j]} if {
	some e in lib.rules
	lib.core_group(e.rule)
	some j, res in k8s.as_array(e.rule.resources)
	res in {"pods/exec", "pods/attach", "pods/*"}
	lib.grants_any_verb(e.rule, {"create", "get"})
	msg := sprintf("%s rule #%d grants %s%s", [lib.describe, e.index, res, pods_note(e.rule)])
}

pods_note(rule) := sprintf(" on the pods %s", [concat(", ", sort(lib.resource_names(rule)))]) if lib.named(rule)

else := ""
