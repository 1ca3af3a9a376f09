"""Profile s3gate with py-spy under the 4 KiB workloads, and rank where its samples go.

py-spy samples every process of the server (``--subprocesses``: the workers too) by function
(``--function``), counting only the thread that holds the GIL (``--gil``): for a server whose
small-object throughput is bound by one event loop, that is the time to cut. Waits in C with the
GIL released (fsync, SQLite steps, digests of large buffers) do not show.
The speedscope files open at https://www.speedscope.app; the summary lists the functions
with the most samples of their own (self) and on the stack (inclusive).
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

from bench.install import REPO_DIR, venv_tool
from bench.peers import Running
from bench.workloads import Bench, Metrics, small

ATTACH_S = 1.0
TOP = 15
Ranking = list[tuple[str, float]]


def _frame_name(frame: dict[str, object]) -> tuple[str, bool]:
    """``function (short/path.py:line)`` and whether the function is s3gate's own code."""
    file = str(frame.get("file") or "")
    own = file.startswith(str(REPO_DIR)) and "/.venv/" not in file
    if own:
        file = str(Path(file).relative_to(REPO_DIR))
    elif "site-packages/" in file:
        file = file.split("site-packages/", 1)[1]
    elif "/lib/python3" in file:
        file = "stdlib/" + file.split("/lib/python3", 1)[1].split("/", 1)[-1]
    return f"{frame['name']} ({file}:{frame.get('line', '?')})", own


def summarize(speedscope: Path) -> dict[str, Ranking]:
    """Top functions by share of all samples: self (any code), inclusive (s3gate's own code)."""
    data = json.loads(speedscope.read_text())
    frames = [_frame_name(f) for f in data["shared"]["frames"]]
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0.0
    for prof in data["profiles"]:
        for stack, weight in zip(prof["samples"], prof["weights"], strict=True):
            if not stack:
                continue
            total += weight
            own[frames[stack[-1]][0]] += weight
            for name in {frames[i][0] for i in stack if frames[i][1]}:
                inclusive[name] += weight
    if not total:
        return {"self": [], "inclusive": []}
    return {kind: [(name, 100 * w / total) for name, w in counter.most_common(TOP)]
            for kind, counter in (("self", own), ("inclusive", inclusive))}


def profile(bench: Bench, server: Running, out: Path) -> dict[str, dict[str, Ranking] | Metrics]:
    """py-spy record during GET, HEAD and PUT at concurrency 16; returns the rankings and load results."""
    spy = venv_tool("py-spy")
    if spy is None:
        raise RuntimeError("py-spy is not installed (pip install -e '.[bench]')")
    report: dict[str, dict[str, Ranking] | Metrics] = {}
    for method in ("GET", "HEAD", "PUT"):
        target = out / f"profile-{server.name}-{method.lower()}-c16.speedscope.json"
        argv = [spy, "record", "--pid", str(server.proc.pid), "--subprocesses", "--function", "--gil",
                "--rate", "500", "--format", "speedscope", "--output", str(target)]
        recorder = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(ATTACH_S)
        report[f"{method.lower()}_load"] = small(bench, server, method, 16, 99)
        recorder.send_signal(signal.SIGINT)
        _, err = recorder.communicate(timeout=60)
        if not target.exists():
            raise RuntimeError(f"py-spy wrote nothing: {err.decode(errors='replace')[-500:]}")
        report[method.lower()] = summarize(target)
    return report
