# Shared helpers for the RBAC rules: the policy rules of a Role or ClusterRole, with
# their paths, and what each rule grants.
package plumbline.kubernetes.rbac.lib

import rego.v1

import data.plumbline.lib.kubernetes as k8s

role_kinds := {"Role", "ClusterRole"}

binding_kinds := {"RoleBinding", "ClusterRoleBinding"}

# Every rule of a Role or ClusterRole: {"rule": <object>, "index": i}.
rules contains {"rule": r, "index": i} if {
	input.kind in role_kinds
	some i, r in k8s.as_array(input.rules)
	is_object(r)
}

# Items of a rule's list field (verbs, resources, apiGroups, resourceNames) as strings.
items(rule, field) := {x | some x in k8s.as_array(rule[field]); is_string(x)}

# The rule grants one of `verbs` (or every verb). The authorizer compares verbs
# exactly (requests carry lower-case verbs): "GET" in a rule grants nothing.
grants_any_verb(rule, verbs) if {
	some v in items(rule, "verbs")
	v in (verbs | {"*"})
}

# The verbs of the rule among `verbs`, "*" standing for all of them.
granted_verbs(rule, verbs) := verbs if "*" in items(rule, "verbs")

else := items(rule, "verbs") & verbs

# The names the rule is limited to (resourceNames): empty when it applies to
# every object of its resources. A rule with names grants get, list, watch,
# update, patch and delete on those objects only (list and watch only with a
# metadata.name field selector naming one of them); create and deletecollection
# cannot be limited by name.
# https://kubernetes.io/docs/reference/access-authn-authz/rbac/#referring-to-resources
resource_names(rule) := items(rule, "resourceNames")

named(rule) if count(resource_names(rule)) > 0

# The rule applies to the core API group (or every group). A rule without apiGroups is
# invalid for resources, but treat it as the core group rather than miss it.
core_group(rule) if "" in items(rule, "apiGroups")

core_group(rule) if "*" in items(rule, "apiGroups")

core_group(rule) if not has_api_groups(rule)

has_api_groups(rule) if count(k8s.as_array(rule.apiGroups)) > 0

# "Role \"name\"" for messages.
describe := sprintf("%s %q", [input.kind, input.metadata.name]) if is_string(input.metadata.name)

else := sprintf("%s (unnamed)", [input.kind])
