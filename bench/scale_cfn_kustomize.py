#!/usr/bin/env python3
"""Scale benchmark: one CloudFormation template and one Kustomize overlay with N resources.

    python3 bench/scale_cfn_kustomize.py                  # 1k, 10k, 100k
    python3 bench/scale_cfn_kustomize.py --sizes 1000 5000 10000 --runs 3
    python3 bench/scale_cfn_kustomize.py --no-build --case cfn

Generates each input into target/bench-scale/<case>-<n>/ and times `plumbline scan DIR
--worktree -f json --no-builtin` (loading and rendering, no policy) and, with --policies,
the built-in library too. Prints the wall time, the time per 1k resources and peak RSS for
each size: growth is linear when the time per 1k stays flat. Nothing is asserted; this is
for people, not for CI.

Cases:
  cfn        one template: N resources (S3 buckets, security groups, IAM roles) that use
             parameters, conditions, mappings (Fn::FindInMap), Fn::Sub, Fn::If and Fn::GetAtt
  kgen       one kustomization whose configMapGenerator makes N ConfigMaps (hash suffixes),
             with N Deployments in its base referring to them (name references follow)
  koverlay   an overlay over a base of N Deployments and Services in one file: namespace,
             namePrefix, commonLabels, images, replicas and a strategic-merge patch per 100
             objects
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import resource
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
PLUMBLINE = ROOT / "target" / "release" / "plumbline"
WORK = ROOT / "target" / "bench-scale"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- inputs

def cfn(n: int, out: pathlib.Path) -> None:
    lines = [
        "AWSTemplateFormatVersion: '2010-09-09'",
        "Parameters:",
        "  Env:",
        "    Type: String",
        "    Default: prod",
        "  Cidr:",
        "    Type: String",
        "    Default: 10.0.0.0/16",
        "Conditions:",
        "  IsProd: !Equals [!Ref Env, prod]",
        "  NotProd: !Not [!Condition IsProd]",
        "Mappings:",
        "  Sizes:",
        "    prod: {retention: 90, versioning: Enabled}",
        "    dev: {retention: 7, versioning: Suspended}",
        "Resources:",
    ]
    for i in range(n):
        k = i % 3
        if k == 0:
            lines += [
                f"  Bucket{i}:",
                "    Type: AWS::S3::Bucket",
                "    Properties:",
                f"      BucketName: !Sub '${{Env}}-bucket-{i}'",
                "      VersioningConfiguration:",
                "        Status: !FindInMap [Sizes, !Ref Env, versioning]",
                "      PublicAccessBlockConfiguration:",
                "        BlockPublicAcls: true",
                "        RestrictPublicBuckets: !If [IsProd, true, false]",
                "      Tags:",
                "        - {Key: env, Value: !Ref Env}",
            ]
        elif k == 1:
            lines += [
                f"  Sg{i}:",
                "    Type: AWS::EC2::SecurityGroup",
                "    Properties:",
                f"      GroupDescription: group {i}",
                "      VpcId: !ImportValue shared-vpc",
                "      SecurityGroupIngress:",
                "        - {IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: !Ref Cidr}",
                f"        - {{IpProtocol: tcp, FromPort: 22, ToPort: 22, SourceSecurityGroupId: !GetAtt Sg{i - 1 if i > 1 else i}.GroupId}}",
            ]
        else:
            lines += [
                f"  Role{i}:",
                "    Type: AWS::IAM::Role",
                "    Condition: IsProd",
                "    Properties:",
                "      AssumeRolePolicyDocument:",
                "        Statement:",
                "          - {Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: 'sts:AssumeRole'}",
                f"      RoleName: !Join ['-', [role, !Ref Env, '{i}']]",
            ]
    out.mkdir(parents=True, exist_ok=True)
    (out / "template.yaml").write_text("\n".join(lines) + "\n")


def deployment(name: str, config: str | None = None) -> str:
    env = ""
    if config:
        env = (
            "        envFrom:\n"
            f"        - configMapRef: {{name: {config}}}\n"
        )
    return (
        "apiVersion: apps/v1\n"
        "kind: Deployment\n"
        f"metadata:\n  name: {name}\n  labels: {{app: {name}}}\n"
        "spec:\n"
        "  replicas: 1\n"
        f"  selector:\n    matchLabels: {{app: {name}}}\n"
        "  template:\n"
        f"    metadata:\n      labels: {{app: {name}}}\n"
        "    spec:\n"
        "      containers:\n"
        f"      - name: app\n        image: registry.example/app:1.0\n{env}"
    )


def kgen(n: int, out: pathlib.Path) -> None:
    """N ConfigMaps from one configMapGenerator list, N Deployments naming them."""
    base = out / "app"
    base.mkdir(parents=True, exist_ok=True)
    docs = [deployment(f"app{i}", f"config{i}") for i in range(n)]
    (base / "deployments.yaml").write_text("---\n".join(docs))
    k = ["resources:", "- deployments.yaml", "configMapGenerator:"]
    for i in range(n):
        k += [f"- name: config{i}", "  literals:", f"  - KEY=value{i}", f"  - INDEX='{i}'"]
    (base / "kustomization.yaml").write_text("\n".join(k) + "\n")


def koverlay(n: int, out: pathlib.Path) -> None:
    """A base of N/2 Deployments and N/2 Services; an overlay with the usual transformers."""
    base = out / "base"
    overlay = out / "overlay"
    base.mkdir(parents=True, exist_ok=True)
    overlay.mkdir(parents=True, exist_ok=True)
    docs = []
    for i in range(n // 2):
        docs.append(deployment(f"web{i}"))
        docs.append(
            "apiVersion: v1\nkind: Service\n"
            f"metadata:\n  name: web{i}\n"
            f"spec:\n  selector: {{app: web{i}}}\n  ports:\n  - port: 80\n"
        )
    (base / "all.yaml").write_text("---\n".join(docs))
    (base / "kustomization.yaml").write_text("resources:\n- all.yaml\n")
    patches = []
    for i in range(0, n // 2, 100):
        patches.append(
            "apiVersion: apps/v1\nkind: Deployment\n"
            f"metadata:\n  name: web{i}\n"
            "spec:\n  template:\n    spec:\n      containers:\n      - name: app\n"
            "        resources: {limits: {memory: 256Mi}}\n"
        )
    (overlay / "patch.yaml").write_text("---\n".join(patches) if patches else "")
    (overlay / "kustomization.yaml").write_text(
        "resources:\n- ../base\n"
        "namespace: prod\n"
        "namePrefix: prod-\n"
        "commonLabels: {env: prod}\n"
        "images:\n- {name: registry.example/app, newTag: '2.0'}\n"
        "replicas:\n- {name: web0, count: 3}\n"
        + ("patchesStrategicMerge:\n- patch.yaml\n" if patches else "")
    )


CASES = {"cfn": cfn, "kgen": kgen, "koverlay": koverlay}


# ---------------------------------------------------------------- timing

def run_once(target: pathlib.Path, builtin: bool, timeout: float) -> tuple[float, int, int, int]:
    """Wall seconds, peak RSS (KiB), documents... (findings, notifications) of one scan."""
    args = [str(PLUMBLINE), "scan", str(target), "--worktree", "-f", "json", "-q",
            "--fail-on", "never"]
    if not builtin:
        args += ["--no-builtin", "-p", str(WORK / "empty-policies")]
    # Peak memory from /usr/bin/time, whose child is forked from a small process: a child
    # forked from this one (which holds the parsed reports of earlier runs) starts with this
    # process's peak as its own on Linux, in wait4's and RUSAGE_CHILDREN's figures alike.
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile(mode="r") as peak:
        start = time.perf_counter()
        try:
            proc = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", peak.name, *args],
                                  stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                  timeout=timeout)
        except subprocess.TimeoutExpired:
            sys.exit(f"plumbline took over the {timeout:.0f} s timeout")
        wall = time.perf_counter() - start
        code = proc.returncode
        rss = int(peak.read().strip().splitlines()[-1])
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if code not in (0, 1, 3):
        sys.exit(f"plumbline failed ({code}): {stderr.decode()[-2000:]}")
    report = json.loads(stdout)
    return wall, rss, len(report.get("findings", [])), len(report.get("notifications", []))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    ap.add_argument("--case", choices=sorted(CASES), action="append")
    ap.add_argument("--runs", type=int, default=1, help="runs per size (the minimum is shown)")
    ap.add_argument("--policies", action="store_true", help="also evaluate the built-in library")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds per scan")
    args = ap.parse_args()
    if not args.no_build:
        log("building plumbline (release)…")
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    empty = WORK / "empty-policies"
    empty.mkdir(parents=True, exist_ok=True)
    (empty / "none.rego").write_text("package plumbline.bench.none\n")
    print(f"{'case':<9} {'resources':>9} {'wall s':>8} {'s per 1k':>9} {'peak MiB':>9} {'findings':>9} {'notes':>6}")
    for case in args.case or sorted(CASES):
        for n in args.sizes:
            target = WORK / f"{case}-{n}"
            if target.exists():
                shutil.rmtree(target)
            CASES[case](n, target)
            best = None
            for _ in range(args.runs):
                try:
                    r = run_once(target, args.policies, args.timeout)
                except subprocess.TimeoutExpired:
                    r = None
                    break
                if best is None or r[0] < best[0]:
                    best = r
            if best is None:
                print(f"{case:<9} {n:>9} {'timeout':>8}", flush=True)
                continue
            wall, rss, findings, notes = best
            print(f"{case:<9} {n:>9} {wall:>8.2f} {wall / n * 1000:>9.3f} {rss / 1024:>9.0f} {findings:>9} {notes:>6}", flush=True)


if __name__ == "__main__":
    main()
