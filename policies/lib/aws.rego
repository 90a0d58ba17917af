# Shared helpers for the plumbline AWS policies.
#
# `input` is one AWS resource in the shared model (README, "Input models for
# policies → AWS resources"): `type`, `name`, `address`, `module`,
# `attributes` (Terraform attribute names; nested blocks are lists of
# objects) and `related` (the other resources of the same module or
# template). Values that cannot be known before apply are the object
# {"$unknown": "<reference>"}; no rule may fire on such a value, so every
# comparison below goes through `known`, `is_true`, `is_false`, `number`...
# which are simply undefined on unknown or malformed values.
#
# Every helper is total: on a malformed input it is undefined or empty, it
# never raises an error.
package plumbline.lib.aws

import rego.v1

# --- unknown values -----------------------------------------------------------

# True when v is an unknown value ({"$unknown": "<reference>"}).
is_unknown(v) if {
	is_object(v)
	"$unknown" in object.keys(v)
}

# True when v is not an unknown value (null and absent values are "known").
known(v) if not is_unknown(v)

# The reference an unknown value depends on ("" when it names nothing).
unknown_ref(v) := ref if {
	is_unknown(v)
	ref := v["$unknown"]
	is_string(ref)
} else := "" if is_unknown(v)

# True when v, or anything inside it, is unknown. Rego has no recursion, so the value is
# read as compact JSON: there a quote that follows `{` or `,` always opens an object key
# (quotes inside strings are escaped), so this matches exactly the objects with the key
# "$unknown".
contains_unknown(v) if regex.match(`[{,]"\$unknown":`, json.marshal(v))

# --- typed accessors ----------------------------------------------------------

attrs := a if {
	a := input.attributes
	is_object(a)
} else := {}

# attribute of the input resource, undefined when absent or unknown.
attr(name) := v if {
	v := attrs[name]
	known(v)
}

# True when the attribute is absent or null (not merely unknown).
absent(obj, name) if not has_key(obj, name)

absent(obj, name) if {
	is_object(obj)
	obj[name] == null
}

has_key(obj, name) if {
	is_object(obj)
	name in object.keys(obj)
}

# Booleans: Terraform gives true/false; CloudFormation may give "true"/"false".
is_true(v) if v == true

is_true(v) if {
	is_string(v)
	lower(v) == "true"
}

is_false(v) if v == false

is_false(v) if {
	is_string(v)
	lower(v) == "false"
}

# Not explicitly true, and known: absent, null, false, "false".
not_true(obj, name) if absent(obj, name)

not_true(obj, name) if is_false(obj[name])

# Numbers, also from numeric strings; undefined otherwise.
number(v) := v if is_number(v)

number(v) := n if {
	is_string(v)
	regex.match(`^-?[0-9]+(\.[0-9]+)?$`, trim_space(v))
	n := to_number(trim_space(v))
}

# A non-empty known string.
non_empty_string(v) if {
	is_string(v)
	trim_space(v) != ""
}

# Set when a string attribute is usable: non-empty string or an unknown value
# (an unknown reference is assumed to be set).
is_set(v) if non_empty_string(v)

is_set(v) if is_unknown(v)

is_set(v) if {
	is_array(v)
	count(v) > 0
}

is_set(v) if {
	is_object(v)
	not is_unknown(v)
	count(v) > 0
}

as_array(x) := x if is_array(x)

else := [x] if is_string(x)

else := []

object_or_empty(x) := x if is_object(x)

else := {}

# Nested blocks of an attributes object: the list, or [] when absent or
# malformed. Elements keep their indexes, so `some i, b in blocks(a, n)`
# gives the path [..., n, i].
blocks(obj, name) := obj[name] if {
	is_object(obj)
	is_array(obj[name])
} else := []

# The first block of that name as an object ({} when absent).
block(obj, name) := b if {
	b := blocks(obj, name)[0]
	is_object(b)
} else := {}

# A string list attribute (a single string counts as a one-item list).
strings_of(v) := [s | some s in as_array(v); is_string(s)]

# --- results ------------------------------------------------------------------

result(msg, path) := {"msg": msg, "path": path}

# Path of an attribute if present, else of the attributes object.
attr_path(name) := ["attributes", name] if has_key(attrs, name)

else := ["attributes"]

# Path inside the first block `name` (index 0), falling back to the nearest
# existing parent.
block_attr_path(name, key) := ["attributes", name, 0, key] if {
	has_key(block(attrs, name), key)
} else := ["attributes", name, 0] if {
	count(blocks(attrs, name)) > 0
} else := ["attributes"]

# How a resource is named in messages.
label := input.address if is_string(input.address)

else := sprintf("%v.%v", [input.type, input.name])

# --- related resources --------------------------------------------------------

# A scan gives each resource `input.module`: the module's resources by type
# (`by_type`, the input included) and the references among them, indexed once
# for the whole module: `referrers` (type -> field -> the resources whose field
# refers to the input), `refers` (field -> the resources the input's field
# refers to) and `unknown_referrers` (type -> field -> the resources whose field
# is an unknown value that names no resource of the module: it may be any).
# A field is an attribute (`bucket`) or an attribute of a block list
# (`logging.target_bucket`). With the index, "what points at this resource"
# costs what the answer holds, where walking the module would cost, over all
# its resources, the square of its size. An input built by hand (a policy
# test) may give `related` or `related_by_type` instead; the helpers below
# answer the same from either.
indexed if is_object(input.module)

_is_input(r) if r.address == input.address

# The other resources of the module, in an input built by hand. (A rule, so
# computed for every input: it only reads the input, never copies a list.)
related := r if {
	is_object(input)
	r := object.get(input, "related", [])
	is_array(r)
} else := []

# The other resources of the module of type t.
related_of_type(t) := [r | some r in object.get(input.module.by_type, t, []); not _is_input(r)] if indexed
else := object.get(input.related_by_type, t, []) if is_object(input.related_by_type)
else := [r | some r in related; is_object(r); r.type == t]

# The values of field in resource r: the attribute, or for `block.attr` that
# attribute of each block of the list.
field_values(r, field) := [v] if {
	not contains(field, ".")
	v := object_or_empty(r.attributes)[field]
} else := [v |
	parts := split(field, ".")
	count(parts) == 2
	some b in blocks(object_or_empty(r.attributes), parts[0])
	is_object(b)
	v := b[parts[1]]
]

# The addresses by which a reference can name resource r: its address, the
# address without the module prefix, and type.name.
ref_names(r) := {n |
	some n in [
		r.address,
		strip_module(r.address),
		sprintf("%v.%v", [r.type, r.name]),
	]
	is_string(n)
	n != ""
}

strip_module(a) := a if {
	is_string(a)
	not startswith(a, "module.")
}

strip_module(a) := stripped if {
	is_string(a)
	startswith(a, "module.")
	parts := regex.find_n(`^(module\.[^.\[]+(\[[^\]]*\])?\.)+`, a, 1)
	count(parts) == 1
	stripped := substring(a, count(parts[0]), -1)
}

# Without the instance key: aws_s3_bucket.logs["eu"] -> aws_s3_bucket.logs.
strip_key(a) := substring(a, 0, indexof(a, "[")) if {
	is_string(a)
	indexof(a, "[") > 0
} else := a

_ref_matches(ref, n) if ref == n

_ref_matches(ref, n) if startswith(ref, concat("", [n, "."]))

_ref_matches(ref, n) if startswith(ref, concat("", [n, "["]))

_ref_matches(ref, n) if {
	k := strip_key(n)
	k != n
	ref == k
}

_ref_matches(ref, n) if {
	k := strip_key(n)
	k != n
	startswith(ref, concat("", [k, "."]))
}

# Literal names a value may use for r: bucket, id, name, arn.
literal_names(r) := {n |
	a := object_or_empty(r.attributes)
	some key in ["bucket", "id", "name", "arn", "function_name", "cluster_name", "identifier"]
	n := a[key]
	non_empty_string(n)
}

# True when attribute value v points at resource r: an unknown reference to r
# (or to one of its attributes), or a literal equal to r's name/id.
refers_to(v, r) if {
	ref := unknown_ref(v)
	ref != ""
	some n in ref_names(r)
	_ref_matches(ref, n)
}

refers_to(v, r) if {
	non_empty_string(v)
	v in literal_names(r)
}

# True when v may point at r: it does, or it is unknown and does not clearly
# point at another resource of the module.
may_refer_to(v, r) if refers_to(v, r)

may_refer_to(v, r) if {
	is_unknown(v)
	not names_terraform_resource(unknown_ref(v))
	not refers_to_other(v, r)
}

# A Terraform reference to a managed resource (`aws_vpc.main.id`): it names
# its resource exactly, so refers_to alone decides whether that is r.
names_terraform_resource(ref) if {
	parts := split(ref, ".")
	count(parts) >= 2
	regex.match(`^[a-z][a-z0-9]*_[a-z0-9_]+$`, parts[0])
}

refers_to_other(v, r) if {
	indexed
	some rs in input.module.by_type
	some o in rs
	not _is_input(o)
	o.address != r.address
	refers_to(v, o)
}

refers_to_other(v, r) if {
	not indexed
	some o in related
	o.address != r.address
	refers_to(v, o)
}

# Resources of type t whose attribute `field` may point at the input.
attached(t, field) := array.concat(
	object.get(object.get(input.module.referrers, t, {}), field, []),
	[r | some r in object.get(object.get(input.module.unknown_referrers, t, {}), field, []); not _is_input(r)],
) if indexed
else := [r |
	some r in related_of_type(t)
	some v in field_values(r, field)
	may_refer_to(v, input)
]

# Resources of type t whose `field` certainly points at the input.
attached_exactly(t, field) := object.get(object.get(input.module.referrers, t, {}), field, []) if indexed
else := [r |
	some r in related_of_type(t)
	_field_refers_to(r, field, input)
]

# Resources of type t that the input's `field` certainly points at.
referenced(t, field) := [r | some r in object.get(input.module.refers, field, []); r.type == t] if indexed
else := [r |
	some r in related_of_type(t)
	_field_refers_to(input, field, r)
]

_field_refers_to(from, field, to) if {
	some v in field_values(from, field)
	refers_to(v, to)
}

# --- policy documents ---------------------------------------------------------

# A policy document: JSON text (jsonencode output, heredoc) or an object.
policy_doc(v) := d if {
	is_string(v)
	json.is_valid(v)
	d := json.unmarshal(v)
	is_object(d)
}

policy_doc(v) := v if {
	is_object(v)
	not is_unknown(v)
}

# Statements of a document (a single statement object counts as a list). A
# statement known only after apply ({"$unknown": …} in the list) is left out: it
# matches nothing, and contains_unknown(doc) tells that the document may hold more.
statements(doc) := [s | some s in as_array_any(doc.Statement); is_object(s); not is_unknown(s)]

# True when what a document's statements say is not wholly known: the statements,
# a statement, or a statement's Effect or Condition known only after apply (in a
# JSON text they are {"$unknown": …} inside it, README "Input models"). A rule
# that fires on the absence of a statement (a Deny of plain HTTP) must not fire
# then; an unknown Resource or Principal changes no statement's presence.
statements_unknown(doc) if {
	some s in as_array_any(doc.Statement)
	is_unknown(s)
}

statements_unknown(doc) if {
	some s in statements(doc)
	is_unknown(s.Effect)
}

statements_unknown(doc) if {
	some s in statements(doc)
	contains_unknown(s.Condition)
}

as_array_any(x) := x if is_array(x)

else := [x] if is_object(x)

else := []

# Allow statements (Effect defaults to nothing; only explicit Allow counts).
allow_statements(doc) := [s | some s in statements(doc); s.Effect == "Allow"]

# Actions, NotActions and Resources of a statement as lists of strings.
actions(s) := [lower(a) | some a in strings_of(s.Action)]

resources(s) := strings_of(s.Resource)

# True when the statement's Resource covers every resource, however written:
# "*", or an ARN pattern whose service, region, account and resource are all
# wildcards (arn:aws:*:*:*:*, arn:*:*:*:*:*).
all_resources(s) if {
	some r in resources(s)
	_every_resource(r)
}

_every_resource(r) if r == "*"

_every_resource(r) if regex.match(`^arn:(\*+|aws[a-z-]*):\*+:\*+:\*+:\*+$`, r)

# True when the action pattern p (lower case, with IAM's wildcards * and ?)
# matches the action a (lower case): "iam:pass*", "iam:*role" and "*" all match
# "iam:passrole". A pattern with other special characters matches nothing.
action_matches(p, a) if {
	is_string(p)
	regex.match(`^[a-z0-9:*?_-]+$`, p)
	regex.match(concat("", ["^", replace(replace(p, "*", ".*"), "?", "."), "$"]), a)
}

# True when the statement allows every action ("*", "*:*").
all_actions(s) if {
	some a in actions(s)
	a in {"*", "*:*"}
}

# True when the statement's principal is everyone ("*" or {"AWS": "*"}).
public_principal(s) if s.Principal == "*"

public_principal(s) if {
	is_object(s.Principal)
	some p in strings_of(s.Principal.AWS)
	p == "*"
}

# An Allow with NotPrincipal allows everyone but the principals it names
# (IAM policy reference, NotPrincipal): that is everyone too.
public_principal(s) if {
	s.Effect == "Allow"
	not s.Principal
	s.NotPrincipal
}

has_condition(s) if {
	is_object(s.Condition)
	count(s.Condition) > 0
}

# Condition keys that limit a statement to known callers: AWS (S3 Block Public
# Access, IAM Access Analyzer) does not consider a Principal "*" statement limited
# by one of them, to fixed values, public. Other keys (aws:Referer, aws:UserAgent)
# do not.
_restricting_keys := {
	"aws:sourceip", "aws:sourcevpc", "aws:sourcevpce", "aws:sourcearn", "aws:sourceaccount",
	"aws:sourceowner", "aws:sourceorgid", "aws:sourceorgpaths", "aws:principalorgid",
	"aws:principalorgpaths", "aws:principalaccount", "aws:principalarn", "aws:userid",
	"aws:vpceaccount", "aws:vpceorgid", "aws:vpceorgpaths",
	"s3:dataaccesspointarn", "s3:dataaccesspointaccount",
}

# True when the statement's conditions limit it to known callers.
restricting_condition(s) if narrowing_condition(s, _restricting_keys)

# A condition known only after apply (the whole Condition, or what one operator
# tests) may restrict the statement: a public-access rule must not fire on it.
restricting_condition(s) if is_unknown(s.Condition)

restricting_condition(s) if {
	is_object(s.Condition)
	some keys in s.Condition
	is_unknown(keys)
}

# True when one of the statement's conditions tests one of `keys` (lower case) so
# that only requests carrying one of a few fixed values match: an operator that
# requires the key to be present and equal or like a value (StringEquals,
# StringEqualsIgnoreCase, StringLike, ArnEquals, ArnLike, IpAddress, and their
# ForAnyValue: forms), every value of which restricts (restricting_value). Not
# the ...IfExists forms nor ForAllValues:, which also match a request without the
# key (a call from outside any VPC endpoint has no aws:SourceVpce), nor the
# negated operators (StringNotEquals, NotIpAddress...), which match everything
# else, nor Null.
narrowing_condition(s, keys) if {
	is_object(s.Condition)
	some op, tests in s.Condition
	_narrowing_operator(op)
	is_object(tests)
	some k, values in tests
	is_string(k)
	lower(k) in keys
	vs := _condition_values(values)
	count(vs) > 0
	every v in vs {
		restricting_value(lower(k), v)
	}
}

_narrowing_operators := {"stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike", "ipaddress"}

_narrowing_operator(op) if {
	is_string(op)
	trim_prefix(lower(op), "foranyvalue:") in _narrowing_operators
}

_condition_values(v) := v if is_array(v)

else := [v]

# A fixed value: no wildcard (* or ?) and no policy variable (${...}), the
# definition of S3 Block Public Access; numbers (account ids written as numbers)
# too.
fixed_value(v) if {
	is_string(v)
	trim_space(v) != ""
	not regex.match(`[*?]|\$\{`, v)
}

fixed_value(v) if is_number(v)

# True when the condition value v of key k (lower case) lets through only known
# callers: a value not known before apply may (no rule fires on it); an
# aws:SourceIp network that does not contain the whole internet; an ARN of a
# fixed account (arn:aws:sns:eu-west-1:111122223333:*), whatever its resource;
# an organization path under a fixed organization (o-abc/*); an aws:userid of
# one role's sessions (AROAID:*); otherwise a fixed value. A wildcard value
# ("*", arn:aws:s3:::*, vpce-*) is no restriction.
restricting_value(_, v) if is_unknown(v)

restricting_value("aws:sourceip", v) if {
	is_string(v)
	not open_cidr(v)
	not regex.match(`[*?]|\$\{`, v)
}

restricting_value(k, v) if {
	k != "aws:sourceip"
	fixed_value(v)
}

restricting_value(k, v) if {
	k in {"aws:sourcearn", "aws:principalarn", "s3:dataaccesspointarn"}
	fixed_account_arn(v)
}

restricting_value(k, v) if {
	k in {"aws:principalorgpaths", "aws:sourceorgpaths", "aws:vpceorgpaths"}
	is_string(v)
	regex.match(`^o-[a-z0-9]+/`, v)
	not contains(v, "${")
}

restricting_value("aws:userid", v) if {
	is_string(v)
	regex.match(`^[A-Za-z0-9]+:\*$`, v)
}

# An ARN whose account field is one fixed 12-digit account.
fixed_account_arn(v) if {
	is_string(v)
	parts := split(v, ":")
	count(parts) >= 6
	parts[0] == "arn"
	regex.match(`^[0-9]{12}$`, parts[4])
}

# --- network ------------------------------------------------------------------

# The networks that hold every address of their family, as usually written. Rules
# decide with open_cidr, by address arithmetic, so every spelling of such a
# network counts (`10.0.0.1/0`, `0::/0`, `0:0:0:0:0:0:0:0/0`).
open_cidrs := {"0.0.0.0/0", "::/0"}

# True when c is an IPv4 or IPv6 network in CIDR notation. (net.cidr_* raise an
# error on anything else, so every arithmetic below is guarded by it.)
valid_cidr(c) if {
	is_string(c)
	net.cidr_is_valid(c)
}

# True when the network c contains the whole IPv4 or the whole IPv6 internet:
# a /0 prefix, whatever address is written before it.
open_cidr(c) if {
	valid_cidr(c)
	some whole in open_cidrs
	net.cidr_contains(c, whole)
}

# True when network `outer` contains every address of network `inner` (both
# valid CIDRs of the same family).
cidr_covers(outer, inner) if {
	valid_cidr(outer)
	valid_cidr(inner)
	net.cidr_contains(outer, inner)
}

# An IP protocol as EC2 reads it, however it is written: "all" (-1, "-1", "all"),
# "tcp" (6), "udp" (17), "icmp" (1), "icmpv6" (58), any other protocol by its
# number; names in any case, numbers as numbers or numeric strings. Undefined on
# unknown or malformed values.
protocol_name(p) := _protocol_names[_protocol_text(p)]

protocol_name(p) := t if {
	t := _protocol_text(p)
	not _protocol_names[t]
}

_protocol_names := {
	"-1": "all", "all": "all", "6": "tcp", "tcp": "tcp", "17": "udp", "udp": "udp",
	"1": "icmp", "icmp": "icmp", "58": "icmpv6", "icmpv6": "icmpv6",
}

_protocol_text(p) := format_int(n, 10) if {
	n := number(p)
	n == floor(n)
} else := lower(trim_space(p)) if {
	is_string(p)
	not number(p)
}

protocol_all(p) if protocol_name(p) == "all"

# Protocols whose rules carry a port range (EC2 ignores the ports of -1 and of
# every protocol other than tcp, udp, icmp and icmpv6).
protocol_ported(p) if protocol_name(p) in {"tcp", "udp"}

# The transport protocols ("tcp", "udp") on which a rule ({"protocol", "from",
# "to"}) admits traffic to port: both for all protocols, else its own when the
# port lies in [from, to].
admitted(rule, port) := {t | some t in ["tcp", "udp"]; _admits(rule, t, port)}

_admits(rule, _, _) if protocol_all(rule.protocol)

_admits(rule, t, port) if {
	protocol_name(rule.protocol) == t
	from := number(rule.from)
	to := number(rule.to)
	from <= port
	port <= to
}

# True when the rule (protocol, from, to) admits traffic to port.
covers_port(rule, port) if count(admitted(rule, port)) > 0

# Ingress rules that admit the whole internet, from all three declarations:
# inline `ingress` blocks of aws_security_group, aws_security_group_rule
# (type "ingress"), and aws_vpc_security_group_ingress_rule. Each entry is
# {"protocol", "from", "to", "cidr", "path"}, path pointing at the CIDR.
public_ingress contains entry if {
	input.type in {"aws_security_group", "aws_default_security_group"}
	some i, b in blocks(attrs, "ingress")
	some field in ["cidr_blocks", "ipv6_cidr_blocks"]
	some j, cidr in as_array(b[field])
	open_cidr(cidr)
	entry := {
		"protocol": object.get(b, "protocol", null), "from": object.get(b, "from_port", null), "to": object.get(b, "to_port", null), "cidr": cidr,
		"path": ["attributes", "ingress", i, field, j],
	}
}

public_ingress contains entry if {
	input.type == "aws_security_group_rule"
	attrs.type == "ingress"
	some field in ["cidr_blocks", "ipv6_cidr_blocks"]
	some j, cidr in as_array(attrs[field])
	open_cidr(cidr)
	entry := {
		"protocol": object.get(attrs, "protocol", null), "from": object.get(attrs, "from_port", null), "to": object.get(attrs, "to_port", null), "cidr": cidr,
		"path": ["attributes", field, j],
	}
}

public_ingress contains entry if {
	input.type == "aws_vpc_security_group_ingress_rule"
	some field in ["cidr_ipv4", "cidr_ipv6"]
	cidr := attrs[field]
	open_cidr(cidr)
	entry := {
		"protocol": object.get(attrs, "ip_protocol", null),
		"from": object.get(attrs, "from_port", null),
		"to": object.get(attrs, "to_port", null),
		"cidr": cidr,
		"path": ["attributes", field],
	}
}

# Egress rules that admit the whole internet, same shape as public_ingress.
public_egress contains entry if {
	input.type in {"aws_security_group", "aws_default_security_group"}
	some i, b in blocks(attrs, "egress")
	some field in ["cidr_blocks", "ipv6_cidr_blocks"]
	some j, cidr in as_array(b[field])
	open_cidr(cidr)
	entry := {"protocol": object.get(b, "protocol", null), "from": object.get(b, "from_port", null), "to": object.get(b, "to_port", null), "cidr": cidr, "path": ["attributes", "egress", i, field, j]}
}

public_egress contains entry if {
	input.type == "aws_security_group_rule"
	attrs.type == "egress"
	some field in ["cidr_blocks", "ipv6_cidr_blocks"]
	some j, cidr in as_array(attrs[field])
	open_cidr(cidr)
	entry := {"protocol": object.get(attrs, "protocol", null), "from": object.get(attrs, "from_port", null), "to": object.get(attrs, "to_port", null), "cidr": cidr, "path": ["attributes", field, j]}
}

public_egress contains entry if {
	input.type == "aws_vpc_security_group_egress_rule"
	some field in ["cidr_ipv4", "cidr_ipv6"]
	cidr := attrs[field]
	open_cidr(cidr)
	entry := {
		"protocol": object.get(attrs, "ip_protocol", null),
		"from": object.get(attrs, "from_port", null),
		"to": object.get(attrs, "to_port", null),
		"cidr": cidr,
		"path": ["attributes", field],
	}
}

port_label(rule) := "all ports" if protocol_all(rule.protocol)

else := sprintf("port %v", [rule.from]) if rule.from == rule.to

else := sprintf("ports %v-%v", [rule.from, rule.to])

security_group_kinds := [
	"aws_security_group",
	"aws_security_group_rule",
	"aws_vpc_security_group_ingress_rule",
]

# Path to obj[key] below base when the key exists, else base itself.
key_path(base, obj, key) := array.concat(base, [key]) if has_key(obj, key)

else := base

# --- IAM ----------------------------------------------------------------------

# The IAM policy documents a resource carries, as {"doc", "path", "label"}:
# the `policy` of aws_iam_policy / *_policy resources and the inline_policy
# blocks of aws_iam_role (and of users and groups from CloudFormation). Documents that are unknown or not valid JSON are
# left out.
iam_policy_types := {"aws_iam_policy", "aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy"}

iam_policies contains {"doc": doc, "path": ["attributes", "policy"], "label": label} if {
	input.type in iam_policy_types
	doc := policy_doc(attrs.policy)
}

iam_policies contains {"doc": doc, "path": ["attributes", "inline_policy", i, "policy"], "label": l} if {
	input.type in {"aws_iam_role", "aws_iam_user", "aws_iam_group"}
	some i, b in blocks(attrs, "inline_policy")
	doc := policy_doc(b.policy)
	l := sprintf("%s (inline policy %v)", [label, object.get(b, "name", i)])
}

# --- EC2 ----------------------------------------------------------------------

# True when the module enables EBS encryption by default.
ebs_default_encryption if {
	some r in related_of_type("aws_ebs_encryption_by_default")
	not is_false(object_or_empty(r.attributes).enabled)
}

# --- ECS ----------------------------------------------------------------------

# Container definitions of an aws_ecs_task_definition (JSON text or a list).
container_definitions := [c | some c in _container_defs; is_object(c)]

_container_defs := defs if {
	v := attrs.container_definitions
	is_string(v)
	json.is_valid(v)
	defs := json.unmarshal(v)
	is_array(defs)
} else := v if {
	v := attrs.container_definitions
	is_array(v)
} else := []

# --- KMS ----------------------------------------------------------------------

# True when a key id/ARN names an AWS managed key (alias/aws/<service>).
aws_managed_key(v) if {
	is_string(v)
	regex.match(`(^|:)alias/aws/`, v)
}
