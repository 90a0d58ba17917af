# METADATA
# title: Wildcard in an RBAC rule
# description: >-
#   `*` in verbs, resources or apiGroups grants everything that exists now and everything
#   added later (new resources, new subresources, CRDs), which is never least privilege and
#   often includes secrets, pods/exec or RBAC itself. Name the verbs, resources and API
#   groups the subject needs.
# related_resources:
#   - https://kubernetes.io/docs/concepts/security/rbac-good-practices/#least-privilege
# custom:
#   id: PL-K8S-0028
#   kinds: [Role, ClusterRole]
#   severity: HIGH
#   remediation: >-
#     Replace the `*` with the explicit list of verbs, resources and API groups needed
#     (`kubectl auth can-i --list` and audit logs show what is used).
#   frameworks:
#     - k8s-rbac
package plumbline.kubernetes.rbac.wildcard

import rego.v1

import data.plumbline.kubernetes.rbac.lib
import data.plumbline.lib.kubernetes as k8s

deny contains {"msg": msg, "path": ["rules", e.index, field, j]} if {
	some e in lib.rules
	some field in ["verbs", "resources", "apiGroups"]
	some j, x in k8s.as_array(e.rule[field])
	x == "*"
	msg := sprintf("%s rule #%d grants %s: `*`", [lib.describe, e.index, label[field]])
}

label := {"verbs": "every verb", "resources": "every resource", "apiGroups": "every API group"}
