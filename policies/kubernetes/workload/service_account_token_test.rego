package plumbline.kubernetes.workload.service_account_token_test

import rego.v1

import data.plumbline.kubernetes.workload.service_account_token as rule

test_service_account_without_false_denied if {
	every sa in [
		{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "app"}},
		{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "app"}, "automountServiceAccountToken": true},
	] {
		r := rule.deny with input as sa
		{f.path | some f in r} == {["automountServiceAccountToken"]}
	}
}

test_service_account_with_false_passes if {
	r := rule.deny with input as {"kind": "ServiceAccount", "metadata": {"name": "app"}, "automountServiceAccountToken": false}
	count(r) == 0
}

test_pod_spec_without_false_denied if {
	r := rule.deny with input as {"kind": "CronJob", "metadata": {"name": "j"}, "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "j"}]}}}}}}
	{f.path | some f in r} == {["spec", "jobTemplate", "spec", "template", "spec", "automountServiceAccountToken"]}
	some f in r
	contains(f.msg, "is not set")
}

test_pod_spec_true_denied if {
	r := rule.deny with input as {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"automountServiceAccountToken": true, "containers": [{"name": "a"}]}}
	some f in r
	f.path == ["spec", "automountServiceAccountToken"]
	contains(f.msg, "is true")
}

test_pod_spec_false_passes if {
	r := rule.deny with input as {"kind": "Deployment", "spec": {"template": {"spec": {"automountServiceAccountToken": false, "containers": [{"name": "a"}]}}}}
	count(r) == 0
}

test_other_kinds_ignored if {
	every obj in [{"kind": "Service", "spec": {}}, {"kind": "Secret", "type": "kubernetes.io/service-account-token"}, "x", null] {
		count(rule.deny) == 0 with input as obj
	}
}
