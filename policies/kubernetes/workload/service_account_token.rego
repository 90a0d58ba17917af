# METADATA
# title: Service account token mounted automatically
# description: >-
#   Unless automountServiceAccountToken is false, every pod gets a token for its service
#   account mounted at /var/run/secrets/kubernetes.io/serviceaccount, and anyone who gets code
#   execution in any of its containers can call the Kubernetes API with it. Most workloads
#   never call the API. Checked on pod specs and on ServiceAccounts; a pod whose
#   ServiceAccount sets false inherits it, but a manifest scan sees one object at a time, so
#   set it on the pod spec too (or waive the pod finding).
# related_resources:
#   - https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/#opt-out-of-api-credential-automounting
# custom:
#   id: PL-K8S-0027
#   kinds: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, ServiceAccount]
#   severity: MEDIUM
#   remediation: >-
#     Set automountServiceAccountToken: false on the ServiceAccount and the pod spec; for the
#     workloads that do call the API, set it to true on the pod spec and waive the finding
#     with the reason.
#   frameworks:
#     - k8s-workload-hygiene
package plumbline.kubernetes.workload.service_account_token

import rego.v1

import data.plumbline.lib.kubernetes as k8s

deny contains result if {
	input.kind == "ServiceAccount"
	not input.automountServiceAccountToken == false
	result := k8s.result(
		sprintf("ServiceAccount %s does not set automountServiceAccountToken to false", [name]),
		["automountServiceAccountToken"],
	)
}

deny contains result if {
	k8s.is_pod_spec_kind
	spec := k8s.pod_spec
	not spec.automountServiceAccountToken == false
	result := k8s.result(
		sprintf("%s %s mounts a service account token: automountServiceAccountToken is %s", [input.kind, name, setting(spec)]),
		array.concat(k8s.pod_spec_path, ["automountServiceAccountToken"]),
	)
}

setting(spec) := "true" if spec.automountServiceAccountToken == true

else := "not set"

name := sprintf("%q", [input.metadata.name]) if is_string(input.metadata.name)

else := "(unnamed)"
