# METADATA
# title: Read access to Secrets
# description: >-
#   get, list or watch on secrets returns the secret data itself: every token, password and
#   key in the namespace (all namespaces for a ClusterRole bound cluster-wide), including
#   the tokens of more powerful service accounts. Grant it only to the controllers that must
#   read Secrets. A rule with resourceNames reads only the Secrets it names (list and watch
#   too: they are then allowed only with a field selector on one of those names), so it is
#   not reported; "*" in verbs counts, "GET" does not (verbs are compared exactly).
# related_resources:
#   - https://kubernetes.io/docs/concepts/security/rbac-good-practices/#listing-secrets
# custom:
#   id: PL-K8S-0030
#   kinds: [Role, ClusterRole]
#   severity: HIGH
#   remediation: >-
#     Remove the secrets rule, or narrow it to `get` with resourceNames listing the Secrets
#     the subject needs; mount Secrets into pods instead of reading them through the API.
#   frameworks:
#     - k8s-rbac
package plumbline.kubernetes.rbac.secrets_read

import rego.v1

import data.plumbline.kubernetes.rbac.lib
import data.plumbline.lib.kubernetes as k8s

deny contains {"msg": msg, "path": ["rules", e.index, "resources", j]} if {
	some e in lib.rules
	lib.core_group(e.rule)
	not lib.named(e.rule)
	some j, res in k8s.as_array(e.rule.resources)
	res == "secrets"
	verbs := read_verbs(e.rule)
	count(verbs) > 0
	msg := sprintf("%s rule #%d can read Secrets (%s)", [lib.describe, e.index, concat(", ", sort(verbs))])
}

read_verbs(rule) := {v | some v in lib.items(rule, "verbs"); v in {"get", "list", "watch", "*"}}
