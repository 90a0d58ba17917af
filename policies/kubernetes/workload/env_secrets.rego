# METADATA
# title: Secret in an environment variable value
# description: >-
#   An environment variable whose name says it holds a password, token, secret or key, set
#   with a literal `value`, puts the secret in the manifest, in Git history and in every copy
#   of the rendered object (`kubectl get -o yaml`, audit logs). Take it from a Secret with
#   valueFrom.secretKeyRef instead. Names that point at a secret rather than hold one
#   (…_FILE, …_PATH, …_NAME, …_URL…) and empty values are not reported. The value is never
#   shown in the finding, which points at the variable's name (the line with the value is
#   not the one a text report shows).
# related_resources:
#   - https://kubernetes.io/docs/concepts/configuration/secret/#using-secrets-as-environment-variables
# custom:
#   id: PL-K8S-0036
#   kinds: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob]
#   severity: HIGH
#   remediation: >-
#     Move the value into a Secret (created outside Git or encrypted, e.g. with SOPS or Sealed
#     Secrets), reference it with valueFrom.secretKeyRef, and rotate the exposed value.
#   frameworks:
#     - k8s-workload-hygiene
package plumbline.kubernetes.workload.env_secrets

import rego.v1

import data.plumbline.lib.kubernetes as k8s

deny contains result if {
	some entry in k8s.containers
	some j, env in k8s.as_array(entry.container.env)
	is_object(env)
	is_string(env.name)
	secret_name(env.name)
	literal(env.value)
	result := k8s.result(
		sprintf("%s sets %q from a literal value; take it from a Secret (valueFrom.secretKeyRef)", [k8s.describe_container(entry), env.name]),
		array.concat(entry.path, ["env", j, "name"]),
	)
}

# Names that say they hold a credential.
secret_name(name) if {
	n := upper(name)
	regex.match(`(PASSWORD|PASSWD|PASSPHRASE|TOKEN|SECRET|CREDENTIAL|(^|_)PWD$|(^|_)KEY$|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY)`, n)
	not regex.match(`_(FILE|PATH|DIR|NAME|URL|URI|ENDPOINT|HOST|PORT|REF|ID|TTL|TIMEOUT|EXPIRY|LENGTH|ENABLED)$`, n)
}

# A non-empty literal (numbers and booleans are literals too); `$(VAR)` references and
# placeholders are not.
literal(v) if {
	is_string(v)
	trim_space(v) != ""
	not regex.match(`^\$\([A-Za-z_][A-Za-z0-9_]*\)$`, trim_space(v))
}

literal(v) if is_number(v)
