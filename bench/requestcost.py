"""What one request costs the server, checkout against checkout: keep-alive HEADs on one connection.

For changes to the per-request path (the HTTP protocol, the pipeline) on a shared machine, where
throughput is noise: each checkout's ``s3gate serve`` (run from this interpreter, the checkout
first on ``sys.path``) answers N signed HEADs, one at a time, and the figure is the server's CPU
seconds per request (utime+stime from /proc/PID/stat, rounds interleaved across checkouts), or
with ``--callgrind`` its instructions per request under valgrind, which other load does not move:
the instructions of a run of 3N requests less those of a run of N (start-up cancels out), over 2N.

    python -m bench.requestcost CHECKOUT [CHECKOUT...] [--n 20000] [--rounds 5] [--callgrind]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.harness.clients import make_client
from tests.harness.rawhttp import sign_v4
from tests.harness.servers import child_env, free_port, wait_for_port

TICKS = os.sysconf("SC_CLK_TCK")
BUCKET = "request-cost"


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def _head_of_reply(sock: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\r\n\r\n"):  # a HEAD's answer ends with its head
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("the server closed the connection")
        data += chunk
    return data


def _instructions(callgrind_out: Path) -> int:
    for line in callgrind_out.read_text().splitlines():
        if line.startswith("summary:"):
            return int(line.split()[1])
    raise RuntimeError(f"no summary in {callgrind_out}")


def run(checkout: str, n: int, callgrind: bool) -> float:
    """CPU microseconds per request, or (``callgrind``) the instructions of the whole run."""
    work = Path(tempfile.mkdtemp(prefix="requestcost-"))
    port = free_port()
    env = child_env({"PYTHONPATH": checkout, "PYTHONHASHSEED": "0"})
    valgrind = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={work / 'callgrind.out'}"] if callgrind else []
    serve = [sys.executable, "-c", "import sys; from gateway.cli import main; sys.exit(main())", "serve",
             "--port", str(port), "--data-dir", str(work / "data")]
    with open(work / "log", "wb") as log:
        proc = subprocess.Popen([*valgrind, *serve], cwd=checkout, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(proc, port, 600 if callgrind else 20, lambda: (work / "log").read_text(errors="replace"))
        endpoint = f"http://127.0.0.1:{port}"
        s3 = make_client(endpoint)
        s3.create_bucket(Bucket=BUCKET)
        s3.put_object(Bucket=BUCKET, Key="k", Body=b"x" * 100)
        signed = sign_v4("HEAD", f"{endpoint}/{BUCKET}/k")
        request = (f"HEAD /{BUCKET}/k HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                   + "".join(f"{k}: {v}\r\n" for k, v in signed.items()) + "\r\n").encode()
        with socket.create_connection(("127.0.0.1", port)) as sock:
            for _ in range(50 if callgrind else 500):  # warm-up
                sock.sendall(request)
                _head_of_reply(sock)
            before = _cpu_seconds(proc.pid)
            for _ in range(n):
                sock.sendall(request)
                reply = _head_of_reply(sock)
            after = _cpu_seconds(proc.pid)
        if not reply.startswith(b"HTTP/1.1 200 "):
            raise RuntimeError(f"HEAD answered {reply[:100]!r}")
    finally:
        proc.terminate()
        proc.wait()
    return float(_instructions(work / "callgrind.out")) if callgrind else (after - before) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.requestcost", description=__doc__.split("\n")[0])
    parser.add_argument("checkouts", nargs="+")
    parser.add_argument("--n", type=int, default=20000, help="HEADs per run (default 20000; 1000 with --callgrind)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--callgrind", action="store_true")
    args = parser.parse_args()
    if args.callgrind:
        n = args.n if args.n != 20000 else 1000
        for checkout in args.checkouts:
            short, long = run(checkout, n, True), run(checkout, 3 * n, True)
            print(f"{checkout}: {(long - short) / (2 * n):,.0f} instructions per request", flush=True)
        return
    cost: dict[str, list[float]] = {checkout: [] for checkout in args.checkouts}
    for _ in range(args.rounds):
        for checkout in args.checkouts:
            cost[checkout].append(run(checkout, args.n, False))
    for checkout, runs in cost.items():
        print(f"{checkout}: median {statistics.median(runs):.1f} us CPU per request "
              f"(runs: {', '.join(f'{r:.1f}' for r in sorted(runs))})")


if __name__ == "__main__":
    main()
