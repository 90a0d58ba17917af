package plumbline.lib.aws_test

import rego.v1

import data.plumbline.lib.aws

bucket := {
	"type": "aws_s3_bucket", "name": "logs", "address": "module.store.aws_s3_bucket.logs[\"eu\"]",
	"attributes": {"bucket": "acme-logs"},
}

test_unknown_values if {
	aws.is_unknown({"$unknown": "aws_s3_bucket.logs.id"})
	aws.is_unknown({"$unknown": ""})
	not aws.is_unknown({"a": 1})
	not aws.is_unknown("x")
	aws.known("x")
	aws.known(null)
	aws.known({"a": 1})
	not aws.known({"$unknown": ""})
	aws.unknown_ref({"$unknown": "x.y"}) == "x.y"
	aws.unknown_ref({"$unknown": 3}) == ""
	aws.contains_unknown([1, {"a": {"$unknown": ""}}])
	not aws.contains_unknown([1, {"a": "b"}])
	aws.contains_unknown({"$unknown": "var.x"})
	aws.contains_unknown({"b": 1, "a": [{"c": {"$unknown": ""}}]})
	# A string that reads like an unknown value, or a key that merely ends in "$unknown",
	# is known.
	not aws.contains_unknown({"a": "{\"$unknown\": \"x\"}"})
	not aws.contains_unknown({"x{\"$unknown": 1, "y,\"$unknown": 2})
	not aws.contains_unknown("$unknown")
}

test_booleans_and_numbers if {
	aws.is_true(true)
	aws.is_true("True")
	not aws.is_true({"$unknown": ""})
	aws.is_false("false")
	not aws.is_false(null)
	aws.not_true({}, "x")
	aws.not_true({"x": null}, "x")
	aws.not_true({"x": false}, "x")
	not aws.not_true({"x": {"$unknown": ""}}, "x")
	not aws.not_true({"x": true}, "x")
	aws.number("14") == 14
	aws.number(7) == 7
	not aws.number("seven")
	not aws.number({"$unknown": ""})
}

test_blocks if {
	aws.blocks({"v": [{"a": 1}]}, "v") == [{"a": 1}]
	aws.blocks({"v": {"$unknown": ""}}, "v") == []
	aws.blocks({}, "v") == []
	aws.blocks("x", "v") == []
	aws.block({"v": [{"a": 1}, {"a": 2}]}, "v") == {"a": 1}
	aws.block({}, "v") == {}
}

test_refers_to_by_reference if {
	aws.refers_to({"$unknown": "aws_s3_bucket.logs.id"}, bucket)
	aws.refers_to({"$unknown": "aws_s3_bucket.logs"}, bucket)
	aws.refers_to({"$unknown": "aws_s3_bucket.logs[\"eu\"].id"}, bucket)
	aws.refers_to({"$unknown": "module.store.aws_s3_bucket.logs[\"eu\"].arn"}, bucket)
	not aws.refers_to({"$unknown": "aws_s3_bucket.logs2.id"}, bucket)
	not aws.refers_to({"$unknown": "aws_s3_bucket.log"}, bucket)
	not aws.refers_to({"$unknown": ""}, bucket)
}

test_refers_to_cloudformation_logical_id if {
	r := {"type": "aws_s3_bucket", "name": "LogsBucket", "address": "LogsBucket", "attributes": {}}
	aws.refers_to({"$unknown": "LogsBucket"}, r)
	aws.refers_to({"$unknown": "LogsBucket.Arn"}, r)
	not aws.refers_to({"$unknown": "LogsBucketPolicy"}, r)
}

test_refers_to_by_literal if {
	aws.refers_to("acme-logs", bucket)
	not aws.refers_to("acme", bucket)
	not aws.refers_to("", {"attributes": {"bucket": ""}})
}

test_strip_module if {
	aws.strip_module("module.a.module.b[0].aws_vpc.main") == "aws_vpc.main"
	aws.strip_module("aws_vpc.main") == "aws_vpc.main"
}

test_may_refer_to if {
	other := {"type": "aws_s3_bucket", "name": "other", "address": "aws_s3_bucket.other", "attributes": {"bucket": "o"}}
	aws.may_refer_to({"$unknown": "var.bucket"}, bucket) with input as {"related": [other]}
	not aws.may_refer_to({"$unknown": "aws_s3_bucket.other.id"}, bucket) with input as {"related": [other]}
	not aws.may_refer_to("o", bucket) with input as {"related": [other]}
}

test_policy_doc_string_and_object if {
	aws.policy_doc(`{"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}`).Statement.Action == "s3:*"
	aws.policy_doc({"Statement": []}) == {"Statement": []}
	not aws.policy_doc("{not json")
	not aws.policy_doc({"$unknown": "data.aws_iam_policy_document.x.json"})
	count(aws.statements({"Statement": {"Effect": "Allow"}})) == 1
	count(aws.statements({"Statement": [{"Effect": "Allow"}, "x"]})) == 1
	aws.actions({"Action": ["S3:GetObject", 1]}) == ["s3:getobject"]
}

test_public_principal if {
	aws.public_principal({"Principal": "*"})
	aws.public_principal({"Principal": {"AWS": ["arn:aws:iam::1:root", "*"]}})
	not aws.public_principal({"Principal": {"Service": "lambda.amazonaws.com"}})
}

test_covers_port if {
	aws.covers_port({"protocol": "tcp", "from": 0, "to": 65535}, 22)
	aws.covers_port({"protocol": "-1", "from": 0, "to": 0}, 3389)
	aws.covers_port({"protocol": "6", "from": "20", "to": "23"}, 22)
	not aws.covers_port({"protocol": "icmp", "from": 0, "to": 65535}, 22)
	not aws.covers_port({"protocol": "tcp", "from": 443, "to": 443}, 22)
	not aws.covers_port({"protocol": "tcp", "from": {"$unknown": ""}, "to": 443}, 22)
}

test_public_ingress_shapes if {
	sg := {"type": "aws_security_group", "attributes": {"ingress": [
		{"protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_blocks": ["10.0.0.0/8", "0.0.0.0/0"]},
		{"protocol": "tcp", "from_port": 443, "to_port": 443, "ipv6_cidr_blocks": ["::/0"]},
		{"protocol": "tcp", "from_port": 80, "to_port": 80, "cidr_blocks": {"$unknown": "var.cidrs"}},
	]}}
	{e.path | some e in aws.public_ingress} == {["attributes", "ingress", 0, "cidr_blocks", 1], ["attributes", "ingress", 1, "ipv6_cidr_blocks", 0]} with input as sg
	rule := {"type": "aws_security_group_rule", "attributes": {"type": "ingress", "protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_blocks": ["0.0.0.0/0"]}}
	count(aws.public_ingress) == 1 with input as rule
	egress := {"type": "aws_security_group_rule", "attributes": {"type": "egress", "protocol": "-1", "from_port": 0, "to_port": 0, "cidr_blocks": ["0.0.0.0/0"]}}
	count(aws.public_ingress) == 0 with input as egress
	count(aws.public_egress) == 1 with input as egress
	vpc_rule := {"type": "aws_vpc_security_group_ingress_rule", "attributes": {"ip_protocol": "-1", "cidr_ipv6": "::/0"}}
	{e.path | some e in aws.public_ingress} == {["attributes", "cidr_ipv6"]} with input as vpc_rule
}

test_container_definitions if {
	aws.container_definitions == [{"name": "a"}] with input as {"attributes": {"container_definitions": `[{"name": "a"}, 3]`}}
	aws.container_definitions == [{"name": "b"}] with input as {"attributes": {"container_definitions": [{"name": "b"}]}}
	aws.container_definitions == [] with input as {"attributes": {"container_definitions": {"$unknown": ""}}}
	aws.container_definitions == [] with input as {"attributes": {"container_definitions": "[oops"}}
}

test_malformed_input_is_total if {
	every obj in ["x", null, [], {"attributes": "x", "related": "y"}, {"related": [1, null]}] {
		aws.attrs == aws.attrs with input as obj
		aws.related == aws.related with input as obj
		count(aws.public_ingress) == 0 with input as obj
	}
}

test_may_refer_to_resource_outside_module if {
	# aws_vpc.example is not in the file, but the reference names it exactly.
	vpc := {"type": "aws_vpc", "name": "main", "address": "aws_vpc.main", "attributes": {}}
	not aws.may_refer_to({"$unknown": "aws_vpc.example.id"}, vpc) with input as {"related": []}
	aws.may_refer_to({"$unknown": "aws_vpc.main.id"}, vpc) with input as {"related": []}
	aws.may_refer_to({"$unknown": "var.vpc_id"}, vpc) with input as {"related": []}
	aws.may_refer_to({"$unknown": "module.net.vpc_id"}, vpc) with input as {"related": []}
	aws.may_refer_to({"$unknown": "MyVpc"}, vpc) with input as {"related": []}
}

test_aws_managed_key if {
	aws.aws_managed_key("alias/aws/secretsmanager")
	aws.aws_managed_key("arn:aws:kms:eu-west-1:1:alias/aws/dynamodb")
	not aws.aws_managed_key("alias/app")
	not aws.aws_managed_key({"$unknown": "aws_kms_key.k.arn"})
}

test_policy_text_with_unknown_parts if {
	# The known parts of a JSON text are read; an unknown statement is left out.
	doc := aws.policy_doc(`{"Statement": [{"Effect": "Allow", "Principal": "*", "Resource": {"$unknown": "r"}}, {"$unknown": "var.s"}]}`)
	count(aws.statements(doc)) == 1
	aws.public_principal(aws.statements(doc)[0])
	count(aws.resources(aws.statements(doc)[0])) == 0
	aws.statements_unknown(doc)
}

test_statements_unknown if {
	aws.statements_unknown(aws.policy_doc(`{"Statement": {"$unknown": "var.s"}}`))
	aws.statements_unknown({"Statement": [{"Effect": {"$unknown": "var.e"}}]})
	aws.statements_unknown({"Statement": [{"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": {"$unknown": "var.b"}}}}]})
	# Unknown resources, principals or actions leave the statements known.
	not aws.statements_unknown(aws.policy_doc(`{"Statement": [{"Effect": "Allow", "Principal": {"AWS": {"$unknown": "a"}}, "Action": {"$unknown": "b"}, "Resource": {"$unknown": "r"}}]}`))
	not aws.statements_unknown({"Statement": []})
}

test_unknown_conditions_may_restrict if {
	aws.restricting_condition({"Condition": {"$unknown": "var.c"}})
	aws.restricting_condition({"Condition": {"StringEquals": {"$unknown": "var.c"}}})
	not aws.restricting_condition({"Condition": {"StringEquals": {"aws:Referer": {"$unknown": "var.c"}}}})
	aws.has_condition({"Condition": {"$unknown": "var.c"}})
}
