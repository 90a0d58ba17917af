package plumbline.kubernetes.rbac.privilege_escalation_verbs_test

import rego.v1

import data.plumbline.kubernetes.rbac.privilege_escalation_verbs as rule

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

# --- PL-K8S-0031 escalate, bind, impersonate ---------------------------------------------

test_escalation_verbs_denied if {
	r := rule.deny with input as cluster_role([
		{"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"], "verbs": ["get", "bind", "escalate"]},
		{"apiGroups": [""], "resources": ["users", "serviceaccounts"], "verbs": ["impersonate"]},
	])
	paths(r) == {["rules", 0, "verbs", 1], ["rules", 0, "verbs", 2], ["rules", 1, "verbs", 0]}
}

test_escalation_verbs_compared_exactly if {
	# "Escalate" or "BIND" is not a verb the authorizer knows: it grants nothing.
	count(rule.deny) == 0 with input as cluster_role([{"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"], "verbs": ["Escalate", "BIND"]}])
}

test_escalation_verbs_limited_by_resource_names if {
	# Binding only the named roles, or impersonating only the named accounts, is the
	# documented narrow grant.
	every grant in [
		{"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"], "verbs": ["bind"], "resourceNames": ["view", "edit"]},
		{"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles"], "verbs": ["escalate"], "resourceNames": ["app-reader"]},
		{"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["impersonate"], "resourceNames": ["ci-deployer"]},
	] {
		count(rule.deny) == 0 with input as cluster_role([grant])
	}
	# Unless a name is the whole cluster.
	r := rule.deny with input as cluster_role([{"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"], "verbs": ["bind"], "resourceNames": ["view", "cluster-admin"]}])
	paths(r) == {["rules", 0, "verbs", 0]}
	some x in r
	contains(x.msg, "on cluster-admin")
	count(rule.deny) == 1 with input as cluster_role([{"apiGroups": [""], "resources": ["groups"], "verbs": ["impersonate"], "resourceNames": ["system:masters"]}])
	# An empty list limits nothing.
	count(rule.deny) == 1 with input as cluster_role([{"apiGroups": [""], "resources": ["users"], "verbs": ["impersonate"], "resourceNames": []}])
}
