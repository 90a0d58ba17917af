package plumbline.aws.cloudtrail_test

import rego.v1

import data.plumbline.aws.cloudtrail.cloudwatch
import data.plumbline.aws.cloudtrail.kms_encryption
import data.plumbline.aws.cloudtrail.log_validation
import data.plumbline.aws.cloudtrail.multi_region
import data.plumbline.aws.fixtures_test as f

good := {
	"s3_bucket_name": "trail", "is_multi_region_trail": true, "enable_log_file_validation": true,
	"kms_key_id": f.unknown("aws_kms_key.trail.arn"), "cloud_watch_logs_group_arn": "arn:aws:logs:x",
}

trail(attrs) := f.res("aws_cloudtrail", "main", attrs)

test_good_trail_passes if {
	every d in [multi_region.deny, log_validation.deny, kms_encryption.deny, cloudwatch.deny] {
		count(d) == 0
	} with input as trail(good)
}

test_bare_trail_fails_everything if {
	every d in [multi_region.deny, log_validation.deny, kms_encryption.deny, cloudwatch.deny] {
		f.paths(d) == {["attributes"]}
	} with input as trail({"s3_bucket_name": "trail"})
}

test_explicit_false if {
	t := trail(object.union(good, {"is_multi_region_trail": false, "enable_log_file_validation": "false", "kms_key_id": ""}))
	f.paths(multi_region.deny) == {["attributes", "is_multi_region_trail"]} with input as t
	f.paths(log_validation.deny) == {["attributes", "enable_log_file_validation"]} with input as t
	f.paths(kms_encryption.deny) == {["attributes", "kms_key_id"]} with input as t
}

test_global_service_events if {
	t := trail(object.union(good, {"include_global_service_events": false}))
	f.paths(multi_region.deny) == {["attributes", "include_global_service_events"]} with input as t
}

test_unknown_does_not_fire if {
	t := trail({"is_multi_region_trail": f.unknown("var.a"), "enable_log_file_validation": f.unknown("var.b")})
	count(multi_region.deny) == 0 with input as t
	count(log_validation.deny) == 0 with input as t
}
