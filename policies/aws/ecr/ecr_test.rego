package plumbline.aws.ecr_test

import rego.v1

import data.plumbline.aws.ecr.immutable_tags
import data.plumbline.aws.ecr.scan_on_push
import data.plumbline.aws.fixtures_test as f

test_ecr if {
	bare := f.res("aws_ecr_repository", "r", {"name": "r"})
	count(scan_on_push.deny) == 1 with input as bare
	count(immutable_tags.deny) == 1 with input as bare
	good := f.res("aws_ecr_repository", "r", {"image_tag_mutability": "IMMUTABLE", "image_scanning_configuration": [{"scan_on_push": true}]})
	count(scan_on_push.deny) == 0 with input as good
	count(immutable_tags.deny) == 0 with input as good
	f.paths(scan_on_push.deny) == {["attributes", "image_scanning_configuration", 0, "scan_on_push"]} with input as f.res("aws_ecr_repository", "r", {"image_scanning_configuration": [{"scan_on_push": false}]})
}

test_ecr_mutability_values if {
	every m in ["MUTABLE", "MUTABLE_WITH_EXCLUSION"] {
		count(immutable_tags.deny) == 1 with input as f.res("aws_ecr_repository", "r", {"image_tag_mutability": m})
	}
	every m in ["IMMUTABLE", "IMMUTABLE_WITH_EXCLUSION", f.unknown("var.mutability")] {
		count(immutable_tags.deny) == 0 with input as f.res("aws_ecr_repository", "r", {"image_tag_mutability": m})
	}
}
