package plumbline.kubernetes.rbac.pod_exec_test

import rego.v1

import data.plumbline.kubernetes.rbac.pod_exec as rule

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

# --- PL-K8S-0032 pods/exec, pods/attach --------------------------------------------------

test_exec_and_attach_denied if {
	r := rule.deny with input as role([
		{"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get"]},
		{"apiGroups": [""], "resources": ["pods/exec", "pods/attach"], "verbs": ["create"]},
	])
	paths(r) == {["rules", 1, "resources", 0], ["rules", 1, "resources", 1]}
}

test_exec_without_create_or_get_passes if {
	r := rule.deny with input as role([{"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["list"]}])
	count(r) == 0
}

test_exec_limited_to_named_pods_still_reported if {
	# resourceNames limits exec to the named pods, which is still a shell in them.
	r := rule.deny with input as role([{"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"], "resourceNames": ["debug-0", "admin-0"]}])
	paths(r) == {["rules", 0, "resources", 0]}
	some x in r
	contains(x.msg, "on the pods admin-0, debug-0")
	# Verbs are compared exactly: "CREATE" grants nothing.
	count(rule.deny) == 0 with input as role([{"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["CREATE"]}])
}
