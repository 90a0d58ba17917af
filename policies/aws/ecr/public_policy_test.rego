package plumbline.aws.ecr.public_policy_test

import rego.v1

import data.plumbline.aws.ecr.public_policy
import data.plumbline.aws.fixtures_test as f

pull(principal, extra) := object.union({"Effect": "Allow", "Principal": principal, "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]}, extra)

test_everyone_is_reported if {
	f.paths(public_policy.deny) == {["attributes", "policy"]} with input as f.res("aws_ecr_repository_policy", "p", {"repository": "r", "policy": f.policy([pull("*", {})])})
	count(public_policy.deny) == 1 with input as f.res("aws_ecr_repository", "r", {"policy": f.policy([pull({"AWS": "*"}, {})])})
}

test_named_or_restricted_principals_are_not if {
	count(public_policy.deny) == 0 with input as f.res("aws_ecr_repository_policy", "p", {"policy": f.policy([pull({"AWS": "arn:aws:iam::111122223333:root"}, {})])})
	count(public_policy.deny) == 0 with input as f.res("aws_ecr_repository_policy", "p", {"policy": f.policy([pull("*", {"Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-1"}}})])})
	count(public_policy.deny) == 0 with input as f.res("aws_ecr_repository_policy", "p", {"policy": f.policy([pull("*", {"Effect": "Deny"})])})
	count(public_policy.deny) == 0 with input as f.res("aws_ecr_repository_policy", "p", {"policy": f.policy([pull("*", {"Condition": f.unknown("var.c")})])})
	count(public_policy.deny) == 0 with input as f.res("aws_ecr_repository_policy", "p", {"policy": f.policy([f.unknown("var.s")])})
}
