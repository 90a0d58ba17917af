package plumbline.dockerfile.base_image_tag_test

import rego.v1

import data.plumbline.dockerfile.base_image_tag as rule
import data.plumbline.dockerfile.input_test.doc

flagged(lines) := {f.path[1] | some f in rule.deny with input as doc(lines)}

test_malformed_documents_give_nothing if {
	every d in ["x", null, {}, {"instructions": "x"}, {"instructions": [null, 1, {"cmd": 3}, {"cmd": "run", "value": "x"}, {"cmd": "from", "value": [1]}]}] {
		count(rule.deny) == 0 with input as d
	}
}

test_untagged_and_latest_flagged if {
	flagged(["FROM ubuntu", "FROM node:latest AS web", "FROM registry.example.com:5000/base", "FROM python:3.12-slim"]) == {0, 1, 2}
}

test_scratch_stages_args_and_digests_pass if {
	flagged([
		"FROM golang:1.22 AS Build",
		"FROM build AS test",
		"FROM scratch",
		"FROM ${BASE_IMAGE}",
		"FROM alpine@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"FROM --platform=linux/arm64 debian:12.5",
	]) == set()
}

test_later_stage_name_is_an_image if {
	# "build" is only defined after this FROM, so here it is the Docker Hub image build.
	flagged(["FROM build", "FROM golang:1.22 AS build"]) == {0}
}

