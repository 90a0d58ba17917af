# METADATA
# title: RBAC escalate, bind or impersonate
# description: >-
#   `escalate` lets a subject create or update roles with permissions it does not have,
#   `bind` lets it bind any role (cluster-admin included) to anyone, and `impersonate` lets
#   it act as any user, group or service account. Each is a way around RBAC itself. A rule
#   limited by resourceNames (bind or escalate of the named roles only, impersonation of the
#   named users, groups or service accounts only) is the documented way to grant them
#   narrowly and is not reported, unless it names cluster-admin or the system:masters
#   group, which are the whole cluster. Verbs are compared exactly, as the authorizer does.
# related_resources:
#   - https://kubernetes.io/docs/concepts/security/rbac-good-practices/#escalate-verb
#   - https://kubernetes.io/docs/reference/access-authn-authz/rbac/#privilege-escalation-prevention-and-bootstrapping
# custom:
#   id: PL-K8S-0031
#   kinds: [Role, ClusterRole]
#   severity: HIGH
#   remediation: >-
#     Remove the verb. Where an operator must manage roles, restrict the rule with
#     resourceNames to the roles it manages.
#   frameworks:
#     - k8s-rbac
package plumbline.kubernetes.rbac.privilege_escalation_verbs

import rego.v1

import data.plumbline.kubernetes.rbac.lib
import data.plumbline.lib.kubernetes as k8s

deny contains {"msg": msg, "path": ["rules", e.index, "verbs", j]} if {
	some e in lib.rules
	not narrowed(e.rule)
	some j, verb in k8s.as_array(e.rule.verbs)
	is_string(verb)
	verb in {"escalate", "bind", "impersonate"}
	msg := sprintf("%s rule #%d grants the %s verb%s", [lib.describe, e.index, verb, names_note(e.rule)])
}

# Names that are the whole cluster: binding or escalating cluster-admin, or
# impersonating the system:masters group.
cluster_wide_names := {"cluster-admin", "system:masters"}

narrowed(rule) if {
	lib.named(rule)
	count(lib.resource_names(rule) & cluster_wide_names) == 0
}

names_note(rule) := sprintf(" on %s", [concat(", ", sort(lib.resource_names(rule) & cluster_wide_names))]) if {
	lib.named(rule)
} else := ""
