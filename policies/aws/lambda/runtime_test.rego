package plumbline.aws.lambda.runtime_test

import rego.v1

import data.plumbline.aws.fixtures_test as f
import data.plumbline.aws.lambda.runtime

fn(attrs) := f.res("aws_lambda_function", "fn", attrs)

test_runtime if {
	f.paths(runtime.deny) == {["attributes", "runtime"]} with input as fn({"runtime": "nodejs12.x"})
	count(runtime.deny) == 1 with input as fn({"runtime": "python3.8"})
	count(runtime.deny) == 1 with input as fn({"runtime": "go1.x"})
	count(runtime.deny) == 1 with input as fn({"runtime": "nodejs18.x"})
	count(runtime.deny) == 0 with input as fn({"runtime": "nodejs22.x"})
	count(runtime.deny) == 0 with input as fn({"runtime": "python3.13"})
	count(runtime.deny) == 0 with input as fn({"runtime": "java8.al2"})
	count(runtime.deny) == 0 with input as fn({"runtime": "provided.al2023"})

	# Container images have no runtime; unknown values never fire.
	count(runtime.deny) == 0 with input as fn({"package_type": "Image"})
	count(runtime.deny) == 0 with input as fn({"runtime": f.unknown("var.runtime")})
}
