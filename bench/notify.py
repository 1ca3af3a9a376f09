"""Event notifications: delivery throughput, and what one notification costs a 4 KiB PUT.

Run: ``.venv/bin/python -m bench.notify`` (needs Redis on 127.0.0.1:6379 and wrk). Prints:

- ``redis_10k_s`` / ``webhook_10k_s``: seconds to deliver 10,000 queued events (they are queued while
  the target is down; then the target comes up, the gateway is restarted, and the clock runs from its
  start until the last one arrived);
- ``put_ops_s`` without and with one notification (same run, alternating rounds, wrk at c=16).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import redis

from bench.load import run_wrk
from bench.s3 import Endpoint, Presigner
from tests.harness.servers import Server, free_port

EVENTS = 10_000
LEGACY = ["--bucket-defaults", "legacy"]  # plaintext buckets, as in every published figure (bench/peers.py)
ROUNDS = 3
DURATION_S = 4.0


class Hook:
    """``bench.hook_receiver`` under uvicorn, in a process of its own."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "bench.hook_receiver:app", "--port",
                                      str(self.port), "--log-level", "warning", "--no-access-log"])
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.port}")
        deadline = time.monotonic() + 20
        while True:
            try:
                self.http.get("/count")
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    @property
    def count(self) -> int:
        return int(self.http.get("/count").text)

    def answer(self, status: int) -> None:
        self.http.put(f"/status/{status}")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait()


def configure(s3: object, bucket: str, target: str) -> None:
    s3.create_bucket(Bucket=bucket)  # type: ignore[attr-defined]
    s3.put_bucket_notification_configuration(  # type: ignore[attr-defined]
        Bucket=bucket, NotificationConfiguration={"QueueConfigurations": [
            {"Id": "all", "QueueArn": f"arn:aws:sqs:us-east-1:000000000000:{target}",
             "Events": ["s3:ObjectCreated:*"]}]})


def queue_events(srv: Server, bucket: str) -> None:
    """10,000 small PUTs through 16 clients (the target is down: they wait in the outbox)."""
    def worker(w: int) -> None:
        client = srv.client()
        for i in range(w, EVENTS, 16):
            client.put_object(Bucket=bucket, Key=f"k/{i:05d}", Body=b"x")

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(worker, range(16)))


def redis_throughput(root: Path) -> float:
    client = redis.Redis()
    name = f"bench-{uuid.uuid4().hex[:8]}"
    down = Server(root / "redis", args=[*LEGACY, "--notify-target", f"jobs=redis://127.0.0.1:1/0?list={name}"]).start()
    try:
        configure(down.client(), "bench-events", "jobs")
        queue_events(down, "bench-events")
    finally:
        down.stop()
    up = Server(root / "redis", args=[*LEGACY, "--notify-target", f"jobs=redis://127.0.0.1:6379/0?list={name}"])
    started = time.monotonic()
    up.start()
    try:
        while client.llen(name) < EVENTS + 1:  # (+ the s3:TestEvent)
            time.sleep(0.01)
        return time.monotonic() - started
    finally:
        up.stop()
        client.delete(name)


def webhook_throughput(root: Path) -> float:
    hook = Hook()
    srv = Server(root / "hook", args=[*LEGACY, "--notify-target", f"hook=http://127.0.0.1:{hook.port}/"]).start()
    try:
        configure(srv.client(), "bench-events", "hook")
        queue_events(srv, "bench-events")
        # Restarted once the hook answers, as the Redis figure is: timed from a fresh start, not from
        # wherever the backoff (up to 30 s while the hook refused) happens to be.
        srv.stop()
        hook.answer(200)
        started = time.monotonic()
        srv.start()
        while hook.count < EVENTS:
            time.sleep(0.01)
        return time.monotonic() - started
    finally:
        srv.stop()
        hook.stop()


def put_rates(root: Path) -> dict[str, list[float]]:
    client = redis.Redis()
    name = f"bench-put-{uuid.uuid4().hex[:8]}"
    srv = Server(root / "put", args=[*LEGACY, "--notify-target", f"jobs=redis://127.0.0.1:6379/0?list={name}"]).start()
    try:
        s3 = srv.client()
        s3.create_bucket(Bucket="bench-plain")
        configure(s3, "bench-notified", "jobs")
        endpoint = Endpoint("127.0.0.1", srv.port, "s3gate", "s3gate-secret-key")
        presigner = Presigner(endpoint)
        rates: dict[str, list[float]] = {"plain": [], "notified": []}
        for round_no in range(ROUNDS):
            for bucket in ("bench-plain", "bench-notified"):
                paths = [presigner.path("PUT", bucket, f"r{round_no}/{i:07d}") for i in range(60_000)]
                result = run_wrk(endpoint, "PUT", paths, 4096, 16, DURATION_S, str(root))
                rates[bucket.removeprefix("bench-")].append(result.ops_s)
        return rates
    finally:
        srv.stop()
        client.delete(name)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        report: dict[str, object] = {"redis_10k_s": round(redis_throughput(root), 2),
                                     "webhook_10k_s": round(webhook_throughput(root), 2)}
        rates = put_rates(root)
        plain, notified = statistics.median(rates["plain"]), statistics.median(rates["notified"])
        report |= {"put_ops_s": {"without": round(plain), "with_one_notification": round(notified)},
                   "put_rounds": rates, "put_slowdown_pct": round(100 * (1 - notified / plain), 1)}
        json.dump(report, sys.stdout, indent=1)
        print()


if __name__ == "__main__":
    main()
