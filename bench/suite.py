"""One benchmark run: every selected workload against every server, interleaved in rounds.

Each round runs each workload on every server before moving to the next workload, and the
server order rotates from round to round, so a slow minute on a shared machine lands on all
servers instead of one. A failure is recorded with its workload, server and round, and the run
goes on. Cold starts run first, before any long-lived server is up.
"""

from __future__ import annotations

import json
import platform
import shutil
import subprocess
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import Any

from bench import hashes, peers, pyspy, workloads
from bench.install import REPO_DIR, S3RVER_JS, nginx_binary
from bench.peers import Peer, Running
from bench.workloads import Bench, Metrics, Sizes, is_s3gate

SMALL = (("GET", 1), ("GET", 16), ("HEAD", 1), ("HEAD", 16), ("PUT", 1), ("PUT", 16))
SMALL_SSE = (("GET", 16), ("PUT", 16))  # s3gate again, in its SSE-S3 bucket
WORKLOADS = ("hash", "cold", "small", "generator", "list", "folders", "single", "multipart", "https", "authz",
             "profile")
Results = dict[str, Any]


@dataclass(frozen=True)
class Plan:
    peers: list[Peer]
    workloads: frozenset[str]
    sizes: Sizes
    rounds: int
    out: Path
    workers: tuple[int, ...]


def rotate(items: list[Any], by: int) -> list[Any]:
    by %= max(1, len(items))
    return items[by:] + items[:by]


def _command_output(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    except OSError:
        return "missing"
    return (done.stdout + done.stderr).strip().splitlines()[0] if (done.stdout + done.stderr).strip() else ""


def _loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def machine() -> dict[str, Any]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
               if line.startswith("MemTotal"))
    s3rver_pkg = S3RVER_JS.parent.parent / "package.json"
    return {
        "cpu": cpu, "cores": len(Path("/proc/cpuinfo").read_text().split("processor\t:")) - 1,
        "memory_gb": round(mem / 1e6, 1), "kernel": platform.release(), "python": platform.python_version(),
        "s3gate_commit": _command_output(["git", "-C", str(REPO_DIR), "rev-parse", "--short", "HEAD"]),
        "versions": {
            "moto": metadata.version("moto"), "boto3": metadata.version("boto3"),
            "s3rver": _json_version(s3rver_pkg), "node": _command_output(["node", "--version"]),
            "nginx": _command_output([nginx_binary(), "-v"]).rsplit("/", 1)[-1],
            "wrk": " ".join(_command_output(["wrk", "-v"]).split()[1:2]),
        },
    }


def _json_version(package_json: Path) -> str:
    return str(json.loads(package_json.read_text())["version"]) if package_json.exists() else "missing"


class Recorder:
    """Collects samples[workload][server] = [metrics per round] and the failures."""

    def __init__(self) -> None:
        self.samples: dict[str, dict[str, list[Metrics]]] = {}
        self.errors: list[dict[str, str | int]] = []

    def run(self, workload: str, server: str, round_no: int, fn: Callable[[], Metrics]) -> None:
        started = time.perf_counter()
        try:
            metrics = fn()
        except Exception as exc:  # noqa: BLE001 - one failure must not end a 15-minute run
            self.errors.append({"workload": workload, "server": server, "round": round_no, "error": repr(exc),
                                "trace": traceback.format_exc(limit=3)})
            print(f"  r{round_no} {workload:<10} {server:<10} FAILED {exc!r}", flush=True)
            return
        self.samples.setdefault(workload, {}).setdefault(server, []).append(metrics)
        shown = ", ".join(f"{k}={v:,.3g}" for k, v in list(metrics.items())[:4])
        print(f"  r{round_no} {workload:<10} {server:<10} {shown}  ({time.perf_counter() - started:.1f}s)", flush=True)


def _round(plan: Plan, bench: Bench, servers: list[Running], twins: dict[str, Running], rec: Recorder,
           r: int) -> None:
    order = rotate(servers, r)
    s3 = [s for s in order if s.peer.s3]
    if "small" in plan.workloads:
        for method, concurrency in SMALL:
            for s in order:
                rec.run(f"{method.lower()}_c{concurrency}", s.name, r,
                        partial(workloads.small, bench, s, method, concurrency, r))
                if (method, concurrency) in SMALL_SSE and is_s3gate(s):
                    rec.run(f"{method.lower()}_c{concurrency}_sse", s.name, r,
                            partial(workloads.small, bench, s, method, concurrency, r, True))
    if "generator" in plan.workloads:
        for s in order:
            if not s.peer.s3 or is_s3gate(s):
                rec.run("raw_get_c16", s.name, r, partial(workloads.raw_get, bench, s, r))
    for listing, every_s3, s3gate_only in (("list", workloads.listing, workloads.big_listing),
                                           ("folders", workloads.folders, workloads.big_folders)):
        if listing in plan.workloads:  # 10,000 keys on every S3 server, then 1,000,000 on s3gate
            for s in s3:
                rec.run(listing, s.name, r, partial(every_s3, bench, s, r))
            for s in s3:
                if is_s3gate(s):
                    rec.run(f"{listing}_big", s.name, r, partial(s3gate_only, bench, s, r))
    if "single" in plan.workloads:
        for s in order:
            rec.run("single", s.name, r, partial(workloads.single, bench, s, r))
            if is_s3gate(s):
                rec.run("single_sse", s.name, r, partial(workloads.single, bench, s, r, True))
    if "multipart" in plan.workloads:
        for s in s3:
            rec.run("multipart", s.name, r, partial(workloads.multipart, bench, s, r))
    if "https" in plan.workloads:
        for s in order:
            if s.name in twins:  # the plain and the HTTPS server back to back, in turns first
                for one in rotate([s, twins[s.name]], r):
                    rec.run("https", one.name, r, partial(workloads.https_set, bench, one, r))
    if "authz" in plan.workloads and bench.authz is not None:
        for method in ("GET", "PUT"):
            for label in ("free", "policy"):
                for s in order:
                    if is_s3gate(s) and s.name in bench.authz.presigners:
                        rec.run(f"authz_{method.lower()}_{label}", s.name, r,
                                partial(bench.authz.run, s, method, label, r, str(bench.workroot)))


def run(plan: Plan) -> Results:
    plan.out.mkdir(parents=True, exist_ok=True)
    results: Results = {
        "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine(),
        "loadavg_before": _loadavg(), "rounds": plan.rounds, "sizes": asdict(plan.sizes),
        "s3gate_workers": list(plan.workers), "peers": [p.name for p in plan.peers],
        "workloads": sorted(plan.workloads),
    }
    rec = Recorder()
    workroot = Path(tempfile.mkdtemp(prefix="s3gate-bench-"))
    try:
        if "hash" in plan.workloads:
            print("hash throughput", flush=True)
            results["hash"] = hashes.throughput(plan.sizes.hash_bytes)
        if "cold" in plan.workloads:
            print("cold start", flush=True)
            for r in range(plan.rounds):
                for peer in rotate(plan.peers, r):
                    rec.run("cold", peer.name, r, partial(workloads.cold_start, peer, workroot))
        bench = Bench(plan.sizes, workroot)
        servers: list[Running] = []
        twins: dict[str, Running] = {}  # s3gate name -> the same s3gate over HTTPS
        try:
            for peer in plan.peers:
                servers.append(Running(peer, str(workroot)))
            if "https" in plan.workloads:
                cert = peers.self_signed(workroot)
                for s in servers:
                    if is_s3gate(s):
                        twins[s.name] = Running(peers.over_https(s.peer, cert), str(workroot))
            print("preparing: buckets, 4 KiB objects" + (", listing buckets" if "list" in plan.workloads else "")
                  + (", folder buckets" if "folders" in plan.workloads else ""), flush=True)
            for s in [*servers, *twins.values()]:
                started = time.perf_counter()
                twin = s not in servers  # an HTTPS twin serves the https workload only
                try:
                    bench.prepare(s, listing="list" in plan.workloads and not twin,
                                  folders="folders" in plan.workloads and not twin)
                    if "authz" in plan.workloads and is_s3gate(s) and not twin:
                        if bench.authz is None:
                            bench.authz = workloads.AuthzBench(plan.sizes.small_objects, plan.sizes.duration_s)
                        bench.authz.prepare(s)
                except Exception as exc:  # noqa: BLE001 - measure the others
                    rec.errors.append({"workload": "prepare", "server": s.name, "round": 0, "error": repr(exc),
                                       "trace": traceback.format_exc(limit=3), "log": s.log_tail()})
                    print(f"  {s.name:<10} FAILED to prepare, left out: {exc!r}\n{s.log_tail()}", flush=True)
                    if s in servers:
                        servers.remove(s)
                    twins = {name: t for name, t in twins.items() if t is not s and name != s.name}
                    s.stop()
                    continue
                print(f"  {s.name:<10} ready ({time.perf_counter() - started:.1f}s)", flush=True)
            for r in range(plan.rounds):
                print(f"round {r + 1}/{plan.rounds}", flush=True)
                _round(plan, bench, servers, twins, rec, r)
            if "profile" in plan.workloads:
                for s in servers:
                    if is_s3gate(s):
                        print(f"profiling {s.name} with py-spy", flush=True)
                        try:
                            results.setdefault("profile", {})[s.name] = pyspy.profile(bench, s, plan.out)
                        except Exception as exc:  # noqa: BLE001 - keep the measurements
                            rec.errors.append({"workload": "profile", "server": s.name, "round": 0,
                                               "error": repr(exc), "trace": traceback.format_exc(limit=3)})
        finally:
            for s in [*servers, *twins.values()]:
                s.stop()
    finally:
        shutil.rmtree(workroot, ignore_errors=True)
    results.update(samples=rec.samples, errors=rec.errors, loadavg_after=_loadavg(),
                   finished=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))
    return results
