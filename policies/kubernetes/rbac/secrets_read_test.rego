package plumbline.kubernetes.rbac.secrets_read_test

import rego.v1

import data.plumbline.kubernetes.rbac.secrets_read as rule

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

# --- PL-K8S-0030 secrets -----------------------------------------------------------------

test_reading_secrets_denied if {
	every verbs in [["get"], ["list"], ["watch", "create"], ["*"]] {
		r := rule.deny with input as role([{"apiGroups": [""], "resources": ["configmaps", "secrets"], "verbs": verbs}])
		paths(r) == {["rules", 0, "resources", 1]}
	}
}

test_writing_secrets_or_other_groups_pass if {
	every grant in [
		{"apiGroups": [""], "resources": ["secrets"], "verbs": ["create", "delete"]},
		{"apiGroups": ["example.com"], "resources": ["secrets"], "verbs": ["get"]},
	] {
		count(rule.deny) == 0 with input as role([grant])
	}
}

test_secrets_limited_by_resource_names_pass if {
	# Read access to named Secrets is not read access to all Secrets, for get, list and watch.
	every verbs in [["get"], ["get", "list", "watch"], ["*"]] {
		count(rule.deny) == 0 with input as role([{"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["app-tls"], "verbs": verbs}])
	}
	# An empty or malformed resourceNames limits nothing.
	every names in [[], "app-tls", [1]] {
		count(rule.deny) == 1 with input as role([{"apiGroups": [""], "resources": ["secrets"], "resourceNames": names, "verbs": ["get"]}])
	}
	# Each rule is read on its own: a named rule beside an unnamed one.
	r := rule.deny with input as cluster_role([
		{"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["app-tls"], "verbs": ["get"]},
		{"apiGroups": [""], "resources": ["secrets"], "verbs": ["list"]},
	])
	paths(r) == {["rules", 1, "resources", 0]}
}

test_verbs_compared_exactly if {
	# The authorizer compares verbs as written: "GET" or "List" grant nothing.
	count(rule.deny) == 0 with input as role([{"apiGroups": [""], "resources": ["secrets"], "verbs": ["GET", "List"]}])
	count(rule.deny) == 1 with input as role([{"apiGroups": [""], "resources": ["secrets"], "verbs": ["GET", "watch"]}])
}
