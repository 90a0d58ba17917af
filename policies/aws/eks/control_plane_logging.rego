# METADATA
# title: EKS control plane logging incomplete
# description: >-
#   The api, audit, authenticator, controllerManager and scheduler logs of the
#   control plane are needed to investigate cluster incidents.
# custom:
#   id: PL-AWS-0043
#   kinds: [aws_eks_cluster]
#   severity: MEDIUM
#   remediation: >-
#     Set enabled_cluster_log_types = ["api", "audit", "authenticator",
#     "controllerManager", "scheduler"].
#   frameworks:
#     - AWS-FSBP-EKS.8
package plumbline.aws.eks.control_plane_logging

import rego.v1

import data.plumbline.lib.aws

log_types := ["api", "audit", "authenticator", "controllerManager", "scheduler"]

deny contains result if {
	input.type == "aws_eks_cluster"
	enabled := aws.attrs.enabled_cluster_log_types
	not aws.contains_unknown(enabled)
	present := {t | some t in aws.strings_of(enabled)}
	missing := [t | some t in log_types; not t in present]
	count(missing) > 0
	result := aws.result(sprintf("EKS cluster %s does not log %s", [aws.label, concat(", ", missing)]), aws.attr_path("enabled_cluster_log_types"))
}

deny contains result if {
	input.type == "aws_eks_cluster"
	aws.absent(aws.attrs, "enabled_cluster_log_types")
	result := aws.result(sprintf("EKS cluster %s enables no control plane logs", [aws.label]), ["attributes"])
}
