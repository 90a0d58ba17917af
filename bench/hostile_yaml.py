#!/usr/bin/env python3
"""Hostile YAML/JSON inputs: time and peak memory of a scan of each (printed, never asserted).

    python3 bench/hostile_yaml.py                  # every case, release build
    python3 bench/hostile_yaml.py --only flow       # the cases whose name contains "flow"
    python3 bench/hostile_yaml.py --no-build --bin target/debug/plumbline --scale 0.1

Each case is one file in a directory of its own, next to one ordinary Deployment (so that a
case that stops the scan, rather than only its own file, shows up as a missing finding).
The scan runs under /usr/bin/time -v with an address-space limit (--mem-limit, default 8 GiB)
so that a regression fails with an allocation error instead of exhausting the machine.
For each case the script prints wall time, peak RSS, the exit code, the notification codes and
whether the ordinary Deployment's finding is still there ("good"), and how many findings the
case's own file has ("own": the nested Lists and the re-encoded Deployments have one).
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import resource
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
TIME = "/usr/bin/time"

GOOD = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: app
          image: nginx:1.25
          securityContext:
            privileged: true
"""

MB = 1024 * 1024


def flow_of_tiny_maps(size: int = 49 * MB) -> bytes:
    """`[{a: 1}, {a: 1}, …]` on one line: about three nodes per eight bytes."""
    item = b"{a: 1}, "
    n = (size - 2) // len(item)
    return b"[" + item * n + b"{a: 1}]\n"


def flow_of_tiny_maps_json(size: int = 49 * MB) -> bytes:
    item = b'{"a":1},'
    n = (size - 2) // len(item)
    return b"[" + item * n + b'{"a":1}]\n'


def block_of_small_maps(size: int = 49 * MB) -> bytes:
    """A block sequence of two-key maps: what a very large generated manifest looks like."""
    item = b"- name: x\n  value: 1\n"
    return item * (size // len(item))


def billion_laughs() -> bytes:
    """Nine levels of nine aliases: 9^9 scalars from a few hundred bytes."""
    out = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    prev = "a"
    for name in "bcdefghi":
        out.append(f"{name}: &{name} [{','.join(['*' + prev] * 9)}]")
        prev = name
    return ("\n".join(out) + "\n").encode()


def big_scalar_aliases(scalar: int = 1 * MB, aliases: int = 2000) -> bytes:
    """Few events, big expansion: one anchored 1 MiB scalar aliased 2,000 times (2 GiB)."""
    return (
        b"big: &s " + b"x" * scalar + b"\nrefs: [" + b",".join([b"*s"] * aliases) + b"]\n"
    )


def big_sequence_aliases(items: int = 100_000, aliases: int = 1000) -> bytes:
    """An anchored sequence of 100,000 scalars aliased 1,000 times (100 million nodes)."""
    seq = b"[" + b",".join([b"1"] * items) + b"]"
    return b"seq: &q " + seq + b"\nrefs: [" + b",".join([b"*q"] * aliases) + b"]\n"


def nested_anchor_scalars() -> bytes:
    """Billion laughs with a 64 KiB scalar at the bottom: few events, gigabytes of text."""
    out = [f"a: &a \"{'x' * 65536}\""]
    prev = "a"
    for name in "bcdef":
        out.append(f"{name}: &{name} [{','.join(['*' + prev] * 10)}]")
        prev = name
    return ("\n".join(out) + "\n").encode()


def merge_key_bomb() -> bytes:
    """Merge keys (`<<`) that merge the level below twice: the events double at each level."""
    out = ["l0: &l0 {k0: v, j0: v}"]
    for i in range(1, 25):
        out.append(f"l{i}: &l{i} {{<<: [*l{i - 1}, *l{i - 1}], k{i}: v}}")
    return ("\n".join(out) + "\n").encode()


def many_documents(n: int = 2_000_000) -> bytes:
    return b"---\na: 1\n" * n


def nested_lists(depth: int = 40) -> bytes:
    """`kind: List` inside `kind: List`, 40 deep, a privileged Pod at the bottom."""
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "deep"},
        "spec": {"containers": [{"name": "c", "image": "x", "securityContext": {"privileged": True}}]},
    }
    node = pod
    for _ in range(depth):
        node = {"apiVersion": "v1", "kind": "List", "items": [node]}
    return json.dumps(node).encode()


def utf16_without_bom() -> bytes:
    return GOOD.replace("name: web", "name: web16").encode("utf-16-le")


def utf32_with_bom() -> bytes:
    return GOOD.replace("name: web", "name: web32").encode("utf-32")


def nul_after_8k() -> bytes:
    return ("# " + "x" * 10000 + "\n").encode() + GOOD.encode() + b"\x00\n"


# Cases whose size follows --scale (the others are small and fixed).
SCALED = {"flow-tiny-maps-49M.yaml", "flow-tiny-maps-49M.json", "block-small-maps-49M.yaml",
          "many-documents.yaml"}

CASES = {
    "flow-tiny-maps-49M.yaml": flow_of_tiny_maps,
    "flow-tiny-maps-49M.json": flow_of_tiny_maps_json,
    "block-small-maps-49M.yaml": block_of_small_maps,
    "billion-laughs.yaml": billion_laughs,
    "big-scalar-aliases.yaml": big_scalar_aliases,
    "big-sequence-aliases.yaml": big_sequence_aliases,
    "nested-anchor-scalars.yaml": nested_anchor_scalars,
    "merge-key-bomb.yaml": merge_key_bomb,
    "many-documents.yaml": many_documents,
    "nested-lists.json": nested_lists,
    "utf16-no-bom.yaml": utf16_without_bom,
    "utf32-bom.yaml": utf32_with_bom,
    "nul-after-8k.yaml": nul_after_8k,
}


def run_case(binary: pathlib.Path, name: str, data: bytes, mem_limit: int, timeout: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="plumbline-hostile-") as tmp:
        d = pathlib.Path(tmp)
        (d / "good.yaml").write_text(GOOD)
        (d / name).write_bytes(data)
        report = d / "report.json"

        def limit():
            resource.setrlimit(resource.RLIMIT_AS, (mem_limit, mem_limit))

        cmd = [TIME, "-v", str(binary), "scan", str(d), "-f", "json", "-o", str(report)]
        try:
            p = subprocess.run(
                cmd, capture_output=True, text=True, timeout=timeout, preexec_fn=limit,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            return {"name": name, "size": len(data), "timeout": True}
        stats = {}
        for line in p.stderr.splitlines():
            line = line.strip()
            if line.startswith("Maximum resident set size"):
                stats["rss_mb"] = int(line.rsplit(":", 1)[1]) / 1024
            elif line.startswith("Elapsed (wall clock) time"):
                t = line.rsplit(" ", 1)[1]
                parts = [float(x) for x in t.split(":")]
                secs = 0.0
                for part in parts:
                    secs = secs * 60 + part
                stats["wall_s"] = secs
            elif line.startswith("Exit status"):
                stats["code"] = int(line.rsplit(":", 1)[1])
        codes, good_found, own = [], False, 0
        try:
            r = json.loads(report.read_text())
            codes = sorted({n["code"] for n in r.get("notifications", []) if n.get("file") == name})
            good_found = any(f.get("file") == "good.yaml" for f in r.get("findings", []))
            own = sum(1 for f in r.get("findings", []) if f.get("file") == name)
        except (OSError, ValueError):
            tail = [line for line in p.stderr.splitlines() if "Command" not in line][:3]
            codes = ["<no report: " + " | ".join(tail)[:120] + ">"]
        return {"name": name, "size": len(data), "codes": codes, "good": good_found, "own": own,
                **stats}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", type=pathlib.Path, default=ROOT / "target" / "release" / "plumbline")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--only", default="")
    ap.add_argument("--mem-limit", type=float, default=8.0, help="GiB of address space")
    ap.add_argument("--timeout", type=int, default=300, help="seconds per case")
    ap.add_argument("--scale", type=float, default=1.0,
                    help="size factor for the big cases (e.g. 0.1 for a debug build)")
    args = ap.parse_args()
    if not os.access(TIME, os.X_OK):
        sys.exit(f"{TIME} is missing: install it (Debian: apt-get install time)")
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    print(f"{'case':28} {'size':>9} {'wall s':>7} {'peak MB':>8} {'exit':>4}  good  own  "
          "notifications (of the case's file)")
    for name, make in CASES.items():
        if args.only and args.only not in name:
            continue
        if name in SCALED and args.scale != 1.0:
            if name == "many-documents.yaml":
                data = many_documents(int(2_000_000 * args.scale))
            else:
                data = make(int(49 * MB * args.scale))
        else:
            data = make()
        r = run_case(args.bin, name, data, int(args.mem_limit * 1024**3), args.timeout)
        size = f"{r['size'] / MB:.1f}M" if r["size"] >= MB else f"{r['size'] / 1024:.1f}K"
        if r.get("timeout"):
            print(f"{name:28} {size:>9}  timed out after {args.timeout} s")
            continue
        print(
            f"{name:28} {size:>9} {r.get('wall_s', 0):7.2f} {r.get('rss_mb', 0):8.0f} "
            f"{r.get('code', -1):>4}  {'yes' if r['good'] else 'NO ':4}  {r['own']:>3}  "
            f"{','.join(r['codes'])}",
            flush=True,
        )


if __name__ == "__main__":
    main()
