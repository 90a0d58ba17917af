package plumbline.kubernetes.workload.default_namespace_test

import rego.v1

import data.plumbline.kubernetes.workload.default_namespace as rule

test_explicit_default_denied if {
	r := rule.deny with input as {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "default"}}
	{f.path | some f in r} == {["metadata", "namespace"]}
	some f in r
	f.msg == `Service "web" is in the default namespace`
}

test_own_namespace_passes if {
	r := rule.deny with input as {"kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"}}
	count(r) == 0
}

test_missing_namespace_is_not_reported if {
	# The namespace is chosen when the manifest is applied (kubectl -n, Kustomize, Helm).
	r := rule.deny with input as {"kind": "Deployment", "metadata": {"name": "web"}}
	count(r) == 0
}

test_malformed_inputs if {
	every obj in ["x", null, {"kind": "Pod", "metadata": "default"}, {"kind": "Pod", "metadata": {"namespace": ["default"]}}] {
		count(rule.deny) == 0 with input as obj
	}
}

# Custom resources are namespaced objects too; built-in cluster-scoped kinds have no namespace.
test_custom_resources_denied_cluster_scoped_kinds_not if {
	r := rule.deny with input as {"apiVersion": "serving.knative.dev/v1", "kind": "Configuration", "metadata": {"name": "web", "namespace": "default"}}
	some f in r
	f.msg == `Configuration "web" is in the default namespace`
	count(rule.deny) == 0 with input as {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "r", "namespace": "default"}}
}
