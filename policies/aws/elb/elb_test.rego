package plumbline.aws.elb_test

import rego.v1

import data.plumbline.aws.elb.access_logs
import data.plumbline.aws.elb.drop_invalid_headers
import data.plumbline.aws.elb.http_listener
import data.plumbline.aws.elb.tls_policy
import data.plumbline.aws.fixtures_test as f

listener(attrs) := f.res("aws_lb_listener", "l", attrs)

test_http_listener if {
	f.paths(http_listener.deny) == {["attributes", "protocol"]} with input as listener({"port": 80, "protocol": "HTTP", "default_action": [{"type": "forward"}]})
	redirect := {"port": 80, "protocol": "HTTP", "default_action": [{"type": "redirect", "redirect": [{"port": "443", "protocol": "HTTPS", "status_code": "HTTP_301"}]}]}
	count(http_listener.deny) == 0 with input as listener(redirect)
	count(http_listener.deny) == 0 with input as listener({"protocol": "HTTPS", "ssl_policy": "ELBSecurityPolicy-TLS13-1-2-2021-06"})
	elb := f.res("aws_elb", "c", {"listener": [{"lb_port": 80, "lb_protocol": "http", "instance_port": 80, "instance_protocol": "http"}]})
	f.paths(http_listener.deny) == {["attributes", "listener", 0, "lb_protocol"]} with input as elb
}

test_listener_default_protocol if {
	l := listener({"port": 80, "load_balancer_arn": f.unknown("aws_lb.app.arn"), "default_action": [{"type": "forward"}]})
	f.paths(http_listener.deny) == {["attributes"]} with input as l
	app := f.res("aws_lb", "app", {"load_balancer_type": "application"})
	count(http_listener.deny) == 1 with input as f.with_related(l, [app])
	nlb := f.res("aws_lb", "app", {"load_balancer_type": "network"})
	count(http_listener.deny) == 0 with input as f.with_related(l, [nlb])
	to_http := listener({"port": 80, "default_action": [{"type": "redirect", "redirect": [{"port": "80", "protocol": "HTTP"}]}]})
	count(http_listener.deny) == 1 with input as to_http
}

test_tls_policy if {
	f.paths(tls_policy.deny) == {["attributes", "protocol"]} with input as listener({"protocol": "HTTPS"})
	f.paths(tls_policy.deny) == {["attributes", "ssl_policy"]} with input as listener({"protocol": "HTTPS", "ssl_policy": "ELBSecurityPolicy-2016-08"})
	count(tls_policy.deny) == 0 with input as listener({"protocol": "TLS", "ssl_policy": "ELBSecurityPolicy-TLS13-1-2-2021-06"})
	count(tls_policy.deny) == 0 with input as listener({"protocol": "HTTPS", "ssl_policy": f.unknown("var.p")})
	count(tls_policy.deny) == 0 with input as listener({"protocol": "HTTP"})
}

test_drop_invalid_headers if {
	f.paths(drop_invalid_headers.deny) == {["attributes"]} with input as f.res("aws_lb", "a", {"internal": false})
	count(drop_invalid_headers.deny) == 0 with input as f.res("aws_alb", "a", {"drop_invalid_header_fields": true})
	count(drop_invalid_headers.deny) == 0 with input as f.res("aws_lb", "n", {"load_balancer_type": "network"})
}

test_access_logs if {
	count(access_logs.deny) == 1 with input as f.res("aws_lb", "a", {})
	count(access_logs.deny) == 1 with input as f.res("aws_lb", "a", {"access_logs": [{"bucket": "b"}]})
	count(access_logs.deny) == 0 with input as f.res("aws_lb", "a", {"access_logs": [{"bucket": "b", "enabled": true}]})
	count(access_logs.deny) == 0 with input as f.res("aws_elb", "a", {"access_logs": [{"bucket": "b"}]})
	count(access_logs.deny) == 1 with input as f.res("aws_elb", "a", {})
	count(access_logs.deny) == 1 with input as f.res("aws_elb", "a", {"access_logs": [{"bucket": "b", "enabled": false}]})
	# CloudFormation shapes
	count(access_logs.deny) == 0 with input as f.res("aws_lb", "a", {"access_logs_enabled": true})
	count(access_logs.deny) == 1 with input as f.res("aws_lb", "a", {"access_logs_enabled": false})
	count(access_logs.deny) == 0 with input as f.res("aws_elb", "a", {"access_logging_policy": [{"enabled": true, "s3_bucket_name": "b"}]})
}

test_listener_protocol_in_any_case if {
	# The provider accepts the listener protocol and the action type in any case.
	count(http_listener.deny) == 1 with input as listener({"port": 80, "protocol": "http", "default_action": [{"type": "forward"}]})
	count(http_listener.deny) == 0 with input as listener({"port": 80, "protocol": "Http", "default_action": [{"type": "Redirect", "redirect": [{"protocol": "HTTPS", "status_code": "HTTP_301"}]}]})
	f.paths(tls_policy.deny) == {["attributes", "protocol"]} with input as listener({"protocol": "https"})
	f.paths(tls_policy.deny) == {["attributes", "ssl_policy"]} with input as listener({"protocol": "tls", "ssl_policy": "ELBSecurityPolicy-2016-08"})
}
