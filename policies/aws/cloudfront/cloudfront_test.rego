package plumbline.aws.cloudfront_test

import rego.v1

import data.plumbline.aws.cloudfront.https_only
import data.plumbline.aws.cloudfront.logging
import data.plumbline.aws.cloudfront.min_tls
import data.plumbline.aws.cloudfront.origin_https
import data.plumbline.aws.cloudfront.waf
import data.plumbline.aws.fixtures_test as f

good := {
	"enabled": true,
	"web_acl_id": f.unknown("aws_wafv2_web_acl.w.arn"),
	"logging_config": [{"bucket": "logs.s3.amazonaws.com"}],
	"origin": [{"origin_id": "app", "domain_name": "app.example.com", "custom_origin_config": [{"origin_protocol_policy": "https-only"}]}],
	"default_cache_behavior": [{"viewer_protocol_policy": "redirect-to-https"}],
	"ordered_cache_behavior": [{"path_pattern": "/api/*", "viewer_protocol_policy": "https-only"}],
	"viewer_certificate": [{"acm_certificate_arn": "arn", "minimum_protocol_version": "TLSv1.2_2021"}],
}

dist(attrs) := f.res("aws_cloudfront_distribution", "d", attrs)

test_good_distribution_passes if {
	every d in [https_only.deny, min_tls.deny, waf.deny, logging.deny, origin_https.deny] {
		count(d) == 0
	} with input as dist(good)
}

test_https_only if {
	d := dist(object.union(good, {"ordered_cache_behavior": [{"viewer_protocol_policy": "https-only"}, {"viewer_protocol_policy": "allow-all"}]}))
	f.paths(https_only.deny) == {["attributes", "ordered_cache_behavior", 1, "viewer_protocol_policy"]} with input as d
}

test_min_tls if {
	d := dist(object.union(good, {"viewer_certificate": [{"acm_certificate_arn": "arn", "minimum_protocol_version": "TLSv1_2016"}]}))
	f.paths(min_tls.deny) == {["attributes", "viewer_certificate", 0, "minimum_protocol_version"]} with input as d
	missing := dist(object.union(good, {"viewer_certificate": [{"acm_certificate_arn": "arn"}]}))
	f.paths(min_tls.deny) == {["attributes", "viewer_certificate", 0]} with input as missing
}

test_min_tls_default_certificate_is_tlsv1 if {
	# On the default certificate CloudFront uses TLSv1 whatever the minimum says:
	# one finding, at cloudfront_default_certificate, whether the minimum is
	# absent, old or modern.
	every vc in [
		{"cloudfront_default_certificate": true},
		{"cloudfront_default_certificate": "true", "minimum_protocol_version": "TLSv1"},
		{"cloudfront_default_certificate": true, "minimum_protocol_version": "TLSv1.2_2021"},
	] {
		f.paths(min_tls.deny) == {["attributes", "viewer_certificate", 0, "cloudfront_default_certificate"]} with input as dist(object.union(good, {"viewer_certificate": [vc]}))
	}
	r := min_tls.deny with input as dist(object.union(good, {"viewer_certificate": [{"cloudfront_default_certificate": true, "minimum_protocol_version": "TLSv1.2_2021"}]}))
	some x in r
	contains(x.msg, `minimum_protocol_version "TLSv1.2_2021" is ignored`)
	# A custom certificate with a modern minimum passes; an unknown choice of certificate is not judged.
	count(min_tls.deny) == 0 with input as dist(object.union(good, {"viewer_certificate": [{"cloudfront_default_certificate": false, "acm_certificate_arn": "arn", "minimum_protocol_version": "TLSv1.2_2021"}]}))
	count(min_tls.deny) == 0 with input as dist(object.union(good, {"viewer_certificate": [{"cloudfront_default_certificate": f.unknown("var.default_cert")}]}))
	# CloudFormation without ViewerCertificate: the default certificate.
	cfn := object.union(dist(object.remove(good, ["viewer_certificate"])), {"source": "cloudformation"})
	f.paths(min_tls.deny) == {["attributes"]} with input as cfn
	count(min_tls.deny) == 0 with input as dist(object.remove(good, ["viewer_certificate"]))
}

test_waf_logging_origin if {
	d := dist({"origin": [{"origin_id": "o", "custom_origin_config": [{"origin_protocol_policy": "http-only"}]}]})
	count(waf.deny) == 1 with input as d
	count(logging.deny) == 1 with input as d
	v2 := f.res("aws_cloudwatch_log_delivery_source", "s", {"log_type": "ACCESS_LOGS", "resource_arn": f.unknown("aws_cloudfront_distribution.d.arn")})
	count(logging.deny) == 1 with input as f.with_related(d, [v2])
	delivery := f.res("aws_cloudwatch_log_delivery", "l", {"delivery_source_name": f.unknown("aws_cloudwatch_log_delivery_source.s.name")})
	count(logging.deny) == 0 with input as f.with_related(d, [v2, delivery])
	f.paths(origin_https.deny) == {["attributes", "origin", 0, "custom_origin_config", 0, "origin_protocol_policy"]} with input as d
}
