#!/usr/bin/env python3
"""Builds the seed corpora of the fuzz targets: fuzz/corpus/<target>/ (gitignored).

Seeds come from the project's fixtures/, from ../shared/corpus (read in place, never copied
into the project: only the seeds made from it land in fuzz/corpus, which is not committed)
and from a few inputs written here for what neither has (waiver files, configuration,
tfvars of the fuzz module). Tree targets (kustomize, terraform, tfplan, policies) take
several files in one input, each after a line `==> path <==` (see src/fuzzing.rs).

Usage: fuzz/seed.py [--corpus DIR] [--max-per-target N]
Seeds are named by the SHA-1 of their content, as libFuzzer names what it adds, so running
the script again adds nothing twice.
"""

import argparse
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

FUZZ = Path(__file__).resolve().parent
ROOT = FUZZ.parent
FIXTURES = ROOT / "fixtures"

MAX_SINGLE = 32 * 1024  # bytes of one single-file seed
MAX_TREE = 64 * 1024  # bytes of one tree seed
TEXT_EXT = (".yaml", ".yml", ".json", ".tf", ".tfvars", ".env", ".properties", ".txt")


def read(path, limit=MAX_SINGLE):
    try:
        if path.stat().st_size > limit:
            return None
        return path.read_bytes()
    except OSError:
        return None


def files_under(base, *suffixes, names=()):
    """Files below `base` (sorted) whose name ends with one of `suffixes` or is in `names`."""
    if not base.is_dir():
        return []
    out = []
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames.sort()
        for f in sorted(filenames):
            if f.endswith(suffixes) or f in names:
                out.append(Path(dirpath) / f)
    return out


def tree(base, paths, limit=MAX_TREE):
    """A tree input of `paths`, named relative to `base`; None when it is too big."""
    parts = []
    size = 0
    for p in paths:
        data = read(p, limit)
        if data is None:
            return None
        size += len(data)
        if size > limit:
            return None
        rel = p.relative_to(base).as_posix()
        if not data.endswith(b"\n"):
            data += b"\n"
        parts.append(b"==> " + rel.encode() + b" <==\n" + data)
    return b"".join(parts) if parts else None


def spread(items, n):
    """At most `n` of `items`, spread evenly over the sorted list (deterministic)."""
    if len(items) <= n:
        return items
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]


class Seeds:
    def __init__(self, out, max_per_target):
        self.out = out
        self.max = max_per_target
        self.seeds = {}

    def add(self, target, data):
        if data:
            self.seeds.setdefault(target, {})[hashlib.sha1(data).hexdigest()] = data

    def add_files(self, target, paths, limit=MAX_SINGLE, prefix=b""):
        for p in paths:
            data = read(p, limit)
            if data is not None:
                self.add(target, prefix + data)

    def write(self):
        for target, seeds in sorted(self.seeds.items()):
            d = self.out / target
            d.mkdir(parents=True, exist_ok=True)
            chosen = spread(sorted(seeds.items()), self.max)
            for name, data in chosen:
                (d / name).write_bytes(data)
            print(f"{target}: {len(chosen)} seeds (of {len(seeds)})")


def kics(corpus, platform):
    base = corpus / "labeled/kics/assets/queries" / platform
    return [p for p in files_under(base, ".yaml", ".yml", ".json", ".tf", ".dockerfile",
                                   names=("Dockerfile",))
            if "/test/" in p.as_posix() and not p.name.endswith("expected_result.json")]


def trivy(corpus, *kind):
    return files_under(corpus / "labeled/trivy-checks/extracted/checks", ".yaml", ".yml",
                       ".json", ".tf", names=("Dockerfile",)) if not kind else [
        p for p in files_under(corpus / "labeled/trivy-checks/extracted/checks", ".yaml",
                               ".yml", ".json", ".tf", names=("Dockerfile",))
        if any(f"/{k}/" in p.as_posix() for k in kind)]


def kustomize_trees(seeds, bases):
    """A kustomization with what it can reach: the files under its parent directory (its
    bases and components are usually siblings), else its own directory alone."""
    for base in bases:
        for k in files_under(base, names=("kustomization.yaml", "kustomization.yml",
                                          "Kustomization")):
            d = k.parent
            for root in (d.parent.parent, d.parent, d):
                if not str(root).startswith(str(base)):
                    continue
                data = tree(root, files_under(root, *TEXT_EXT))
                if data:
                    seeds.add("kustomize", data)
                    break


def helm_trees(seeds, bases):
    """Each Helm chart (a directory with Chart.yaml) whole, templates and helpers included,
    when it fits; else its Chart.yaml, values.yaml and a few templates."""
    for base in bases:
        for c in files_under(base, names=("Chart.yaml",)):
            d = c.parent
            files = files_under(d, ".yaml", ".yml", ".tpl", ".txt", ".json")
            data = tree(d, files)
            if data is None:
                small = [p for p in files if p.name in ("Chart.yaml", "values.yaml")
                         or p.suffix == ".tpl"][:6]
                small += [p for p in files if "/templates/" in p.as_posix()
                          and p.suffix == ".yaml"][:4]
                data = tree(d, small)
            if data:
                seeds.add("helm", data)
            # The same chart with its first vendored subchart packaged as `charts/*.tgz`
            # (base64 in the tree input, as src/fuzzing.rs reads it).
            subs = sorted(p.parent for p in files_under(d / "charts", names=("Chart.yaml",))
                          if p.parent.parent == d / "charts")
            if subs:
                packed = packaged(d, subs[0], files)
                if packed:
                    seeds.add("helm", packed)
    seeds.add("helm", packaged_builtin())


def tgz_of(base, paths):
    """A `.tgz` of `paths` under the directory named as `base`, as `helm package` writes it."""
    import gzip
    import io
    import tarfile
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in paths:
            info = tarfile.TarInfo(f"{base}/{name}")
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(buf.getvalue(), mtime=0)


def archive_entry(path, archive):
    import base64
    b64 = base64.b64encode(archive).decode()
    lines = "\n".join(b64[i:i + 76] for i in range(0, len(b64), 76))
    return b"==> " + path.encode() + b" <==\n" + lines.encode() + b"\n"


def packaged(chart, sub, files):
    """The tree input of `chart` whose subchart directory `sub` is a `.tgz` instead."""
    inside = [p for p in files if sub in p.parents]
    rest = [p for p in files if sub not in p.parents]
    parts = []
    for p in inside:
        data = read(p, MAX_TREE)
        if data is None:
            return None
        parts.append((p.relative_to(sub).as_posix(), data))
    archive = tgz_of(sub.name, parts)
    head = tree(chart, rest)
    if head is None or len(head) + len(archive) * 4 // 3 > MAX_TREE:
        return None
    return head + archive_entry(f"charts/{sub.name}-0.1.0.tgz", archive)


def packaged_builtin():
    """A chart whose subchart is packaged, the subchart packaging another one."""
    inner = tgz_of("inner", [
        ("Chart.yaml", b"apiVersion: v2\nname: inner\nversion: 0.1.0\n"),
        ("templates/cm.yaml", b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                              b"  name: {{ .Chart.Name }}\n"),
    ])
    web = tgz_of("web", [
        ("Chart.yaml", b"apiVersion: v2\nname: web\nversion: 0.2.1\n"),
        ("values.yaml", b"privileged: true\n"),
        ("templates/pod.yaml", b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n"
                               b"spec:\n  containers:\n  - name: a\n    image: x\n"
                               b"    securityContext:\n"
                               b"      privileged: {{ .Values.privileged }}\n"),
        ("charts/inner-0.1.0.tgz", inner),
    ])
    return (b"apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n"
            b"- {name: web, version: 0.2.x, condition: web.enabled}\n"
            b"==> values.yaml <==\nweb: {enabled: true}\n"
            + archive_entry("charts/web-0.2.1.tgz", web))


def terraform_trees(seeds, target, bases, include=(".tf", ".tfvars")):
    """Each directory holding `.tf` files, with the local modules one or two levels up that
    examples call (`source = "../../"`) when the whole fits."""
    for base in bases:
        dirs = sorted({p.parent for p in files_under(base, ".tf")})
        for d in dirs:
            own = [p for p in sorted(d.iterdir()) if p.is_file() and p.name.endswith(include)]
            data = None
            for root in (d.parent.parent, d.parent):
                if not str(root).startswith(str(base)) or root == d:
                    continue
                called = [p for p in sorted(root.iterdir())
                          if p.is_file() and p.name.endswith(".tf")]
                if called:
                    data = tree(root, called + own)
                    if data:
                        break
            seeds.add(target, data or tree(d, own))


def plans(corpus):
    """`terraform show -json` plans and states, by content."""
    out = []
    for p in files_under(corpus / "tfstate", ".json", ".plan", ".state", ".tfstate"):
        data = read(p, MAX_TREE)
        if data and b'"format_version"' in data[:4096]:
            out.append(p)
    return out


def reports(seeds):
    """Reports plumbline writes of the fixtures, when a built binary is at hand."""
    for profile in ("release", "debug"):
        exe = ROOT / "target" / profile / "plumbline"
        if exe.is_file():
            break
    else:
        print("report: no built plumbline binary (cargo build): only SARIF seeds", file=sys.stderr)
        return
    for fixture in ("demo", "terraform", "cloudformation", "dockerfile", "kustomize/app"):
        for fmt in ("json", "sarif"):
            r = subprocess.run(
                [str(exe), "scan", str(FIXTURES / fixture), "--format", fmt, "--no-config"],
                capture_output=True, cwd=ROOT, timeout=300)
            if r.stdout.strip().startswith(b"{") and len(r.stdout) <= 256 * 1024:
                seeds.add("report", r.stdout)


WAIVER_FILES = [
    b"""waivers:
  - rule: PL-K8S-0003
    path: deploy/legacy/**
    resource: Deployment/shop/web*
    reason: Vendor image needs it until the 2.0 upgrade
    owner: team-payments
    expires: 2025-06-30
  - rule: "PL-TF-*, PL-K8S-0001"
    address: module.store.aws_s3_bucket.logs
    reason: logs bucket is public by design
==> findings <==
PL-K8S-0003\tdeploy/legacy/app.yaml\t\tDeployment/shop/web-1
PL-TF-0001\tmain.tf\tmodule.store.aws_s3_bucket.logs[0]\t
""",
    b"""waivers:
  - rule: '*'
    address: "module.*.aws_*.b*"
    reason: x
  - rule: PL-AWS-0001
    arn: arn:aws:s3:::bucket
    reason: y
    expires: 2024-02-30
==> findings <==
PL-AWS-0001\ta.tf\tmodule.a["x.y"].aws_s3_bucket.b[0]\tBucket/b
""",
    b"waivers: []\n",
]

CONFIGS = [
    b"""rev: HEAD
include: [deploy/, "**/*.tf"]
exclude: [vendor/]
policy: [policies/]
builtin: true
policy_timeout: 2.5
max_file_size: 10M
vars: {region: eu-west-1, count: 3, tags: {a: b}}
format: sarif
fail_on: high
rules:
  disable: [PL-K8S-0001]
  only: ["PL-*"]
severity:
  PL-K8S-0002: low
drift:
  ignore: [{kind: Deployment, field: spec.replicas}]
aws:
  ignore: [{type: aws_s3_bucket, id: logs, reason: shared}]
shard: 1/3
aws_regions: [eu-west-1]
aws_max_calls: 100
""",
    b"severity: {PL-X: nope}\n",
    b"{}\n",
]

TFVARS = [
    b"""name     = "shop"
count_n  = 2
enabled  = true
tags     = { team = "payments", env = "prod" }
zones    = ["a", "b"]
rules    = [{ port = 443 }, { port = 22, cidr = "10.0.0.0/8" }]
anything = { nested = [1, "two", { three = null }] }
""",
]

TFVARS_JSON = [
    json.dumps({"name": "shop", "count_n": 2, "enabled": True, "tags": {"team": "p"},
                "zones": ["a"], "rules": [{"port": 443}], "anything": [1, {"x": None}]}).encode(),
]

TF_JSON = [
    json.dumps({
        "variable": {"name": {"type": "string", "default": "x"}},
        "locals": {"n": "${upper(var.name)}"},
        "resource": {"aws_s3_bucket": {"b": {"bucket": "${local.n}-logs",
                                             "tags": {"a": "${var.name}"}}},
                     "aws_security_group": {"sg": [{"ingress": [{"cidr_blocks": ["0.0.0.0/0"],
                                                                 "from_port": 22}]}]}},
        "module": {"m": {"source": "./modules/m", "x": "${var.name}"}},
        "output": {"o": {"value": "${aws_s3_bucket.b.arn}"}},
    }, indent=2).encode() + b"\n==> modules/m/main.tf.json <==\n" + json.dumps({
        "variable": {"x": {}},
        "resource": {"aws_instance": {"i": {"count": 2, "ami": "${var.x}-${count.index}"}}},
    }).encode(),
]

INLINE = [
    (0, b"""# plumbline:ignore PL-K8S-0001 reason: batch job needs it until=2030-01-01
apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations:
    plumbline.dev/ignore: "PL-K8S-0002 -- vendor chart"
spec:
  containers:
    - name: c  # plumbline:ignore PL-K8S-0003 because
      image: nginx
"""),
    (1, b"""# plumbline:ignore PL-TF-0001 public website
resource "aws_s3_bucket" "b" {
  acl = "public-read" // plumbline:ignore PL-TF-0002 reason
}
"""),
    (2, b"""# plumbline:ignore PL-DOCKER-0001 base image is pinned elsewhere
FROM ubuntu:latest
USER root # plumbline:ignore PL-DOCKER-0002 until=2020-01-01 legacy
"""),
    (3, b"""Resources:
  # plumbline:ignore PL-AWS-0001 static site
  B:
    Type: AWS::S3::Bucket
    Properties:
      AccessControl: PublicRead
"""),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    ap.add_argument("--out", type=Path, default=FUZZ / "corpus")
    ap.add_argument("--max-per-target", type=int, default=400)
    args = ap.parse_args()
    corpus = args.corpus.resolve()
    if not corpus.is_dir():
        print(f"{corpus}: no shared corpus; seeding from fixtures/ and built-in inputs only",
              file=sys.stderr)
    s = Seeds(args.out, args.max_per_target)

    k8s = (files_under(FIXTURES / "demo", ".yaml", ".yml") + kics(corpus, "k8s")
           + trivy(corpus, "kubernetes") + files_under(corpus / "bench/kubernetes", ".yaml", ".yml")
           + files_under(corpus / "bench/GoogleCloudPlatform", ".yaml", ".yml")
           + files_under(corpus / "helm/goldens", ".yaml", ".yml"))
    s.add_files("yaml", k8s)
    s.add_files("json", [p for p in k8s if p.suffix == ".json"]
                + files_under(FIXTURES / "aws", ".json") + plans(corpus)[:50]
                + files_under(corpus / "bench/kubernetes", ".json"))
    cfn = files_under(FIXTURES / "cloudformation", ".yaml", ".yml", ".json") + [
        p for p in kics(corpus, "cloudFormation") + trivy(corpus, "cloudformation")
        if not p.name == "metadata.json"]
    s.add_files("cloudformation_yaml", [p for p in cfn if p.suffix in (".yaml", ".yml")])
    s.add_files("cloudformation_json", [p for p in cfn if p.suffix == ".json"])
    s.add_files("dockerfile", files_under(FIXTURES / "dockerfile", ".Dockerfile",
                                          names=("Dockerfile",))
                + [p for p in kics(corpus, "dockerfile") + trivy(corpus, "docker")
                   if p.suffix != ".json"])

    kustomize_trees(s, [FIXTURES / "kustomize", corpus / "bench"])
    helm_trees(s, [corpus / "helm/charts", corpus / "bench"])
    terraform_trees(s, "terraform", [FIXTURES / "terraform", FIXTURES / "aws",
                                     corpus / "bench/terraform-aws-modules",
                                     corpus / "bench/bridgecrewio"])
    s.add_files("terraform", [p for p in kics(corpus, "terraform") + trivy(corpus, "terraform")
                              if p.suffix == ".tf"])
    for t in TF_JSON:
        s.add("terraform_json", t)
    s.add_files("tfvars", files_under(corpus, ".tfvars") + files_under(FIXTURES, ".tfvars"))
    for t in TFVARS:
        s.add("tfvars", t)
    for t in TFVARS_JSON:
        s.add("tfvars_json", t)
    # Plans with the .tf files beside them (terraform-compliance pairs them).
    for p in plans(corpus):
        tfs = [f for f in sorted(p.parent.iterdir()) if f.is_file() and f.suffix == ".tf"]
        plan = read(p, MAX_TREE)
        rest = tree(p.parent, tfs) if tfs else b""
        if plan is not None and rest is not None:
            s.add("tfplan", plan + b"\n" + rest)
        s.add_files("tfstate", [p], MAX_TREE)
    s.add_files("tfstate", files_under(corpus / "tfstate", ".tfstate")
                + files_under(FIXTURES / "aws", ".tfstate"), MAX_TREE)

    for w in WAIVER_FILES:
        s.add("waiver_file", w)
    for kind, text in INLINE:
        s.add("waiver_inline", bytes([kind]) + text)
    for f in files_under(FIXTURES, ".yaml", ".tf", ".Dockerfile", names=("Dockerfile",)):
        data = read(f)
        if data and b"plumbline" in data:
            kind = 1 if f.suffix == ".tf" else 2 if "ockerfile" in f.name else 0
            s.add("waiver_inline", bytes([kind]) + data)
    for c in CONFIGS:
        s.add("config", c)

    s.add_files("report", [p for p in files_under(corpus / "sarif", ".sarif", ".json")
                           if "schema" not in p.name.lower()], 64 * 1024)
    reports(s)

    policy_inputs = (files_under(FIXTURES / "demo", ".yaml") + spread(kics(corpus, "k8s"), 60)
                     + spread(trivy(corpus, "kubernetes"), 30))
    s.add_files("policies", [p for p in policy_inputs if p.suffix in (".yaml", ".yml")], 16 * 1024)
    for name in ("Dockerfile", "main.tf", "template.yaml"):
        for p in spread([q for q in trivy(corpus) if q.name == name], 30):
            data = read(p, 16 * 1024)
            if data:
                s.add("policies", f"==> {name} <==\n".encode() + data)

    s.write()


if __name__ == "__main__":
    main()
