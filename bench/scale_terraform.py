#!/usr/bin/env python3
"""How the Terraform loader scales with the size of one module.

    python3 bench/scale_terraform.py                  # 1k, 10k, 100k resources
    python3 bench/scale_terraform.py --sizes 1000 5000 --runs 3
    python3 bench/scale_terraform.py --no-build --policies builtin

Generates one root module per size in a temporary directory — N `aws_s3_bucket` resources
spread over files of 500 resources, each with a `locals` entry it uses, a reference to the
previous bucket, a `for_each` resource over a map of N/10 entries and a `count` resource —
then runs `plumbline scan code --worktree` on it and prints the wall time and peak RSS per
size, with the time per 1,000 resources: a loader that is linear in the module's size keeps
that last column flat. Only prints; nothing is asserted (the tests assert behaviour, never
time).

--policies none (the default) runs no policy (`--no-builtin`): the time is the loader's.
--policies trivial runs one rule that reads only its own document, so the time adds what
building each document's policy input costs (`input.related` lists the whole module);
--policies builtin runs the built-in library.
"""
from __future__ import annotations

import argparse
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
PLUMBLINE = ROOT / "target" / "release" / "plumbline"
PER_FILE = 500


def generate(code: pathlib.Path, n: int) -> None:
    """One root module with `n` resources and as many locals, in files of PER_FILE."""
    mod = code / "live"
    mod.mkdir(parents=True)
    (mod / "variables.tf").write_text(
        'variable "env" {\n  default = "prod"\n}\n'
        "locals {\n"
        '  prefix = "${var.env}-data"\n'
        f"  regions = {{ for i in range({max(1, n // 10)}) : \"r${{i}}\" => i }}\n"
        "}\n"
    )
    for start in range(0, n, PER_FILE):
        out = []
        out.append("locals {\n")
        for i in range(start, min(n, start + PER_FILE)):
            out.append(f'  name_{i} = "${{local.prefix}}-{i}"\n')
        out.append("}\n")
        for i in range(start, min(n, start + PER_FILE)):
            prev = f"aws_s3_bucket.b{i - 1}.id" if i > 0 else '"none"'
            out.append(
                f'resource "aws_s3_bucket" "b{i}" {{\n'
                f"  bucket = local.name_{i}\n"
                f"  tags = {{\n    previous = {prev}\n    index    = \"{i}\"\n  }}\n"
                "}\n"
            )
        (mod / f"buckets_{start // PER_FILE:04}.tf").write_text("".join(out))
    (mod / "expanded.tf").write_text(
        'resource "aws_s3_bucket_versioning" "v" {\n'
        "  for_each = local.regions\n"
        '  bucket   = "${local.prefix}-${each.key}"\n'
        "  versioning_configuration {\n"
        '    status = "Enabled"\n'
        "  }\n"
        "}\n"
        'resource "aws_s3_bucket_public_access_block" "p" {\n'
        f"  count  = {max(1, n // 10)}\n"
        '  bucket = "${local.prefix}-${count.index}"\n'
        "}\n"
    )


TRIVIAL_POLICY = """# METADATA
# title: Bucket named nope
# custom:
#   id: BENCH-TRIVIAL
#   kinds: [aws_s3_bucket]
package bench.trivial

import rego.v1

deny contains {"msg": "nope"} if input.attributes.bucket == "nope"
"""


def run_once(binary: pathlib.Path, code: pathlib.Path, policies: str) -> tuple[float, float]:
    """Wall time (s) and peak RSS (MB) of one scan."""
    cmd = [str(binary), "scan", str(code), "--worktree", "-f", "json"]
    if policies == "none":
        cmd.append("--no-builtin")
    elif policies == "trivial":
        pol = code.parent / "policy"
        pol.mkdir(exist_ok=True)
        (pol / "trivial.rego").write_text(TRIVIAL_POLICY)
        cmd += ["--no-builtin", "--policy", str(pol)]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=code)
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - start
        code_ = os.waitstatus_to_exitcode(status)
        if code_ not in (0, 1):
            err.seek(0)
            sys.stderr.write(err.read().decode(errors="replace")[-2000:])
            sys.exit(f"plumbline exited {code_}")
    return wall, usage.ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    ap.add_argument("--runs", type=int, default=1, help="runs per size (the best is printed)")
    ap.add_argument("--policies", choices=["none", "trivial", "builtin"], default="none")
    ap.add_argument("--no-build", action="store_true", help="use target/release/plumbline as it is")
    ap.add_argument("--binary", type=pathlib.Path, default=PLUMBLINE,
                    help="the plumbline to run (another build, to compare; implies --no-build)")
    args = ap.parse_args()
    if args.binary != PLUMBLINE:
        args.no_build = True
    if not args.no_build:
        print("building plumbline (release)…", file=sys.stderr, flush=True)
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    print(f"policies: {args.policies}; best of {args.runs} run(s) per size")
    print(f"{'resources':>10} {'documents':>10} {'wall (s)':>9} {'s per 1k':>9} {'peak RSS':>9}")
    for n in args.sizes:
        tmp = pathlib.Path(tempfile.mkdtemp(prefix="plumbline-tf-scale-"))
        try:
            code = tmp / "code"
            generate(code, n)
            best, rss = min(run_once(args.binary, code, args.policies) for _ in range(args.runs))
            docs = n + 2 * max(1, n // 10)
            print(
                f"{n:>10} {docs:>10} {best:>9.2f} {best / n * 1000:>9.3f} {rss:>7.0f}MB",
                flush=True,
            )
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("RAYON_NUM_THREADS", "2")
    main()
