"""wrk over presigned URLs: the small-object load generator.

wrk is C with an epoll loop per thread, so at 16 connections it costs the machine far less than
the servers it measures (its ceiling is shown against nginx in every report). Each run gets a
file of presigned request paths and cycles through it with ``wrk/cycle.lua``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.s3 import Endpoint

LUA = Path(__file__).resolve().parent / "wrk" / "cycle.lua"


@dataclass(frozen=True)
class LoadResult:
    """One load run, whichever generator drove it."""

    ops_s: float  # successful requests per second
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int  # socket errors, timeouts and non-2xx/3xx answers
    wraps: int  # times a thread exhausted its paths and started over

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def concurrency_args(concurrency: int) -> list[str]:
    """One wrk thread per 8 connections, at most 2 threads (this is a 2-core machine)."""
    threads = max(1, min(2, concurrency // 8))
    return [f"-t{threads}", f"-c{concurrency}"]


def run_wrk(endpoint: Endpoint, method: str, paths: list[str], body_size: int, concurrency: int,
            duration_s: float, workdir: str) -> LoadResult:
    args = concurrency_args(concurrency)
    threads = int(args[0][2:])
    with tempfile.NamedTemporaryFile("w", dir=workdir, suffix=".paths", delete=False) as f:
        f.write("\n".join(paths) + "\n")
    try:
        argv = [shutil.which("wrk") or "wrk", *args, f"-d{duration_s:g}s", "--timeout", "10s", "-s", str(LUA),
                endpoint.base, "--", method, f.name, str(body_size), str(threads)]
        out = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=duration_s + 60).stdout
    finally:
        Path(f.name).unlink()
    line = next((x for x in out.splitlines() if x.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{out}")
    raw = json.loads(line[len("BENCH "):])
    errors = raw["errors"] + raw["status_errors"]
    seconds = raw["duration_us"] / 1e6
    return LoadResult(ops_s=(raw["requests"] - raw["status_errors"]) / seconds, p50_ms=raw["p50_us"] / 1000,
                     p99_ms=raw["p99_us"] / 1000, requests=raw["requests"], errors=errors, wraps=raw["wraps"])
