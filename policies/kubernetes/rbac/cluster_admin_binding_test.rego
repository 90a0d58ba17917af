package plumbline.kubernetes.rbac.cluster_admin_binding_test

import rego.v1

import data.plumbline.kubernetes.rbac.cluster_admin_binding as rule

role(rules) := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "r", "namespace": "shop"}, "rules": rules}

cluster_role(rules) := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "cr"}, "rules": rules}

paths(findings) := {f.path | some f in findings}

narrow := [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"]}]

test_narrow_role_passes_every_rule if {
	every obj in [role(narrow), cluster_role(narrow)] {
		count(rule.deny) == 0 with input as obj
	}
}

test_malformed_roles_produce_nothing if {
	every obj in ["x", null, {"kind": "Role"}, {"kind": "Role", "rules": "x"}, role([null, 1, {"verbs": "*"}, {"resources": {"a": "secrets"}}])] {
		count(rule.deny) == 0 with input as obj
	}
}

# --- PL-K8S-0029 cluster-admin -----------------------------------------------------------

binding(kind, role_kind, role_name) := {
	"kind": kind,
	"metadata": {"name": "b"},
	"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role_name},
	"subjects": [{"kind": "ServiceAccount", "name": "ci", "namespace": "build"}],
}

test_cluster_admin_bindings_denied if {
	every kind in ["RoleBinding", "ClusterRoleBinding"] {
		r := rule.deny with input as binding(kind, "ClusterRole", "cluster-admin")
		paths(r) == {["roleRef", "name"]}
		some f in r
		contains(f.msg, "ServiceAccount ci")
	}
}

test_other_bindings_pass if {
	every obj in [
		binding("ClusterRoleBinding", "ClusterRole", "view"),
		binding("RoleBinding", "Role", "cluster-admin"),
		{"kind": "ClusterRoleBinding", "roleRef": "cluster-admin"},
	] {
		count(rule.deny) == 0 with input as obj
	}
}
