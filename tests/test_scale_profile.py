"""The compose profile ``scale`` (PostgreSQL, three gateways on one shared volume, HAProxy): its compose
file read as Docker would (there is no Docker daemon here), and ``docker/haproxy.cfg`` run for real by the
machine's HAProxy (``apt-get install haproxy``; ``.ci/run`` installs it) in front of two live gateways
sharing one data dir: requests go to both, and once one is SIGKILLed every request still succeeds.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.harness.clients import make_client, unique_bucket_name
from tests.harness.servers import REPO, Server, free_port

HAPROXY = "/usr/sbin/haproxy"
CONFIG = REPO / "docker" / "haproxy.cfg"
SCALE = ("postgres", "gw1", "gw2", "gw3", "haproxy")


def compose() -> Any:
    return yaml.safe_load((REPO / "docker" / "compose.yaml").read_text())


def test_the_scale_profile_shares_one_database_and_one_volume() -> None:
    document = compose()
    services = document["services"]
    for name in SCALE:
        assert services[name]["profiles"] == ["scale"], name
    assert re.fullmatch(r"postgres:\d+\.\d+", str(services["postgres"]["image"]))  # pinned, not :latest
    assert re.fullmatch(r"haproxy:\d+\.\d+\.\d+", str(services["haproxy"]["image"]))
    gateways = [services[f"gw{n}"] for n in (1, 2, 3)]
    urls = {g["environment"]["S3GATE_METADATA_URL"] for g in gateways}
    assert len(urls) == 1 and next(iter(urls)).startswith("postgresql://") and "@postgres:5432/" in next(iter(urls))
    mounts = {tuple(g["volumes"]) for g in gateways}
    assert mounts == {("s3gate-shared:/data",)}  # one volume, as --data-dir (the image's S3GATE_DATA_DIR)
    assert "s3gate-shared" in document["volumes"]
    assert all(g["depends_on"] == {"postgres": {"condition": "service_healthy"}} for g in gateways)
    assert "./haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro" in services["haproxy"]["volumes"]
    assert services["s3gate"].get("profiles") is None  # `docker compose up` still starts the one gateway
    # README's sizing: each worker up to pool + 2 connections, each gateway's dispatcher pool + 1, and room left
    pool = {int(g["environment"]["S3GATE_METADATA_POOL"]) for g in gateways}.pop()
    workers = {int(g["environment"].get("S3GATE_WORKERS", 1)) for g in gateways}.pop()
    command = services["postgres"]["command"]
    max_connections = int(command[command.index("-c") + 1].removeprefix("max_connections="))
    assert len(gateways) * (workers * (pool + 2) + pool + 1) <= max_connections // 2


def test_haproxy_checks_each_gateway_every_second() -> None:
    text = CONFIG.read_text()
    assert re.findall(r"^\s+server (gw\d) (gw\d):9000$", text, re.M) == [("gw1", "gw1"), ("gw2", "gw2"),
                                                                         ("gw3", "gw3")]
    assert re.search(r"^\s+http-check send meth GET uri /_s3gate/health\b", text, re.M)
    assert re.search(r"^\s+default-server check inter 1s fall 2 rise 2\b", text, re.M)
    checked = subprocess.run([haproxy(), "-c", "-f", str(CONFIG)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    assert "ALERT" not in checked.stderr


def haproxy() -> str:
    if not os.access(HAPROXY, os.X_OK):
        pytest.fail(f"{HAPROXY} is missing: apt-get install haproxy (.ci/run installs it)", pytrace=False)
    return HAPROXY


class Balancer:
    """The machine's HAProxy on docker/haproxy.cfg, the gateways' addresses and its port replaced."""

    def __init__(self, directory: Path, gateways: list[str]) -> None:
        self.port = free_port()
        text = CONFIG.read_text().replace("bind :9000", f"bind 127.0.0.1:{self.port}")
        for n, address in enumerate(gateways, start=1):
            text = text.replace(f"gw{n}:9000", address)
        config = directory / "haproxy.cfg"
        config.write_text(text)
        self.log = directory / "haproxy.log"
        self.proc = subprocess.Popen([haproxy(), "-db", "-f", str(config)], stdout=self.log.open("wb"),
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while True:
            try:
                httpx.get(f"{self.endpoint}/_s3gate/health", timeout=1)
                return
            except httpx.TransportError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("haproxy did not start:\n" + self.log.read_text()) from None
                time.sleep(0.05)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def gateways(tmp_path: Path) -> Iterator[list[Server]]:
    """Two gateways on one data dir (one host: its SQLite metadata serves both, as it serves --workers)."""
    data = tmp_path / "shared"
    made = [Server(data, args=["--access-log", str(tmp_path / f"access-{n}.log")]) for n in (1, 2)]
    for i, server in enumerate(made):
        server.log_path = tmp_path / f"gateway-{i + 1}.log"
        server.start()
    yield made
    for server in made:
        server.stop()


def served(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


def test_a_killed_gateway_is_taken_out_and_requests_keep_succeeding(tmp_path: Path, gateways: list[Server]) -> None:
    nobody = f"127.0.0.1:{free_port()}"  # the third server line: nothing listens there (a gateway down from the start)
    balancer = Balancer(tmp_path, [f"127.0.0.1:{g.port}" for g in gateways] + [nobody])
    try:
        s3 = make_client(balancer.endpoint)
        bucket = unique_bucket_name()
        s3.create_bucket(Bucket=bucket)
        keys = [f"photos/{n}.jpg" for n in range(8)]
        for key in keys:
            s3.put_object(Bucket=bucket, Key=key, Body=key.encode() * 100)
        clients = [make_client(balancer.endpoint) for _ in range(4)]  # connections of their own: both gateways serve

        def read_all() -> None:
            for client, key in zip(clients * 2, keys, strict=True):
                assert client.get_object(Bucket=bucket, Key=key)["Body"].read() == key.encode() * 100

        read_all()
        logs = [tmp_path / f"access-{n}.log" for n in (1, 2)]
        deadline = time.monotonic() + 5  # the access logs are written every --flush-interval at most
        while not all(served(log) for log in logs) and time.monotonic() < deadline:
            read_all()
            time.sleep(0.2)
        assert all(served(log) for log in logs), "HAProxy sent every request to one gateway"

        gateways[0].proc.send_signal(signal.SIGKILL)  # type: ignore[union-attr]
        gateways[0].proc.wait()  # type: ignore[union-attr]
        started = time.monotonic()
        while time.monotonic() - started < 3.5:  # before, while and after the two failed checks take it out
            read_all()
            s3.put_object(Bucket=bucket, Key="after-the-kill", Body=b"still writable")
        assert s3.get_object(Bucket=bucket, Key="after-the-kill")["Body"].read() == b"still writable"
    finally:
        balancer.stop()
