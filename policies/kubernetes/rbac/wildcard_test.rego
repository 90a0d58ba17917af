package plumbline.kubernetes.rbac.wildcard_test

import rego.v1

import data.plumbline.kubernetes.rbac.wildcard as rule

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

# --- PL-K8S-0028 wildcards --------------------------------------------------------------

test_wildcards_denied_per_field if {
	r := rule.deny with input as cluster_role([
		{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]},
		{"apiGroups": ["*"], "resources": ["deployments", "*"], "verbs": ["*"]},
	])
	paths(r) == {["rules", 1, "apiGroups", 0], ["rules", 1, "resources", 1], ["rules", 1, "verbs", 0]}
}

test_wildcards_outside_roles_ignored if {
	r := rule.deny with input as {"kind": "ConfigMap", "rules": [{"verbs": ["*"]}]}
	count(r) == 0
}
