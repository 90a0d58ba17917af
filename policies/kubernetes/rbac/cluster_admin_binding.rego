# METADATA
# title: Binding to cluster-admin
# description: >-
#   cluster-admin can do anything to any object in the cluster. A RoleBinding to it grants
#   all of that within the namespace (RBAC, secrets, workloads); a ClusterRoleBinding grants
#   it everywhere. Application and CI service accounts, and people in their daily work,
#   should be bound to narrower roles.
# related_resources:
#   - https://kubernetes.io/docs/reference/access-authn-authz/rbac/#user-facing-roles
#   - https://kubernetes.io/docs/concepts/security/rbac-good-practices/
# custom:
#   id: PL-K8S-0029
#   kinds: [RoleBinding, ClusterRoleBinding]
#   severity: HIGH
#   remediation: >-
#     Bind a role with only the permissions needed (admin, edit, view or a custom role);
#     keep cluster-admin for break-glass accounts.
#   frameworks:
#     - k8s-rbac
package plumbline.kubernetes.rbac.cluster_admin_binding

import rego.v1

import data.plumbline.kubernetes.rbac.lib

deny contains {"msg": msg, "path": ["roleRef", "name"]} if {
	input.kind in lib.binding_kinds
	input.roleRef.kind == "ClusterRole"
	input.roleRef.name == "cluster-admin"
	msg := sprintf("%s grants cluster-admin to %s", [lib.describe, subjects])
}

subjects := concat(", ", names) if {
	names := [sprintf("%s %s", [s.kind, s.name]) |
		some s in input.subjects
		is_string(s.kind)
		is_string(s.name)
	]
	count(names) > 0
} else := "its subjects"
