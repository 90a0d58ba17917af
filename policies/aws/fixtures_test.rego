# Input builders shared by the AWS policy tests.
package plumbline.aws.fixtures_test

import rego.v1

# A resource in the shared model, at the root module.
res(type, name, attrs) := {
	"source": "terraform",
	"type": type,
	"name": name,
	"address": sprintf("%s.%s", [type, name]),
	"module": "",
	"attributes": attrs,
	"related": [],
}

# The same resource inside module.m (addresses carry the module prefix,
# references inside the module do not).
in_module(r) := object.union(r, {"address": sprintf("module.m.%s", [r.address]), "module": "module.m"})

# r with the other resources of its module.
with_related(r, others) := object.union(r, {"related": others})

unknown(ref) := {"$unknown": ref}

paths(findings) := {f.path | some f in findings}

policy(statements) := json.marshal({"Version": "2012-10-17", "Statement": statements})
