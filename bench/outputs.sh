#!/usr/bin/env bash
# Writes the JSON and SARIF reports of the bench corpus (Kubernetes, Terraform and
# CloudFormation sets) into DIR, to compare two builds byte for byte:
#
#   bash bench/outputs.sh /tmp/before            # with target/debug/plumbline
#   ... change the code, rebuild ...
#   bash bench/outputs.sh /tmp/after && diff -r /tmp/before /tmp/after
#
# PLUMBLINE=path selects another binary. Each set is scanned as a working tree with the
# built-in library, no configuration.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: bench/outputs.sh DIR}
bin=${PLUMBLINE:-target/debug/plumbline}
shared=${PLUMBLINE_SHARED:-../shared}
mkdir -p "$out"
sets=(
  "k8s-examples:$shared/corpus/bench/kubernetes"
  "k8s-gcp:$shared/corpus/bench/GoogleCloudPlatform"
  "k8s-prometheus:$shared/corpus/bench/prometheus-operator"
  "tf-aws-modules:$shared/corpus/bench/terraform-aws-modules"
  "tf-terragoat:$shared/corpus/bench/bridgecrewio"
  "cfn-trivy:$shared/corpus/labeled/trivy-checks/extracted/checks/cloud/aws"
)
for entry in "${sets[@]}"; do
  name=${entry%%:*}
  dir=${entry#*:}
  for format in json sarif; do
    status=0
    "$bin" scan "$dir" --worktree --no-config -q -f "$format" -o "$out/$name.$format" || status=$?
    if [ "$status" -eq 2 ]; then
      echo "bench/outputs.sh: $name ($format) failed with exit 2" >&2
      exit 1
    fi
    echo "$name.$format: exit $status, $(wc -c <"$out/$name.$format") bytes"
  done
done
