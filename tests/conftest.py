"""Live-server fixtures: a real ``s3gate serve`` process on a free port, real boto3 clients."""

from __future__ import annotations

import itertools
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

ACCESS_KEY = "s3gate"
SECRET_KEY = "s3gate-secret-key"
REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """One ``s3gate serve`` subprocess. ``kill()`` is a real SIGKILL; ``start()`` again reuses the data dir."""

    def __init__(self, data_dir: Path, *, env: dict[str, str] | None = None, args: list[str] | None = None,
                 tls: tuple[str, str] | None = None, ca_path: str | None = None) -> None:
        self.data_dir = data_dir
        self.env = env or {}
        self.args = args or []
        self.tls = tls
        self.ca_path = ca_path
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir.parent / f"{data_dir.name}.log"

    @property
    def endpoint(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        cmd = [sys.executable, "-m", "gateway", "serve", "--port", str(self.port), "--data-dir", str(self.data_dir),
               *self.args]
        if self.tls:
            cmd += ["--certfile", self.tls[0], "--keyfile", self.tls[1]]
        return cmd

    def start(self, timeout: float = 20.0) -> Server:
        env = {k: v for k, v in os.environ.items() if not k.startswith("S3GATE_")}
        env.update(self.env)
        log = open(self.log_path, "ab")  # noqa: SIM115 - owned by the child process
        self.proc = subprocess.Popen(self.command(), cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"s3gate exited with {self.proc.returncode}:\n{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"s3gate did not start:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def peak_rss_mb(self) -> float:
        """VmHWM: the highest resident set size the process has had."""
        assert self.proc is not None
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmHWM")

    def client(self, **config: object) -> object:
        return make_client(self.endpoint, verify=self.ca_path, **config)


def make_client(endpoint: str, *, access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY,
                region: str = "us-east-1", verify: str | None = None, **config: object):  # type: ignore[no-untyped-def]
    cfg = Config(retries={"max_attempts": 1, "mode": "standard"}, **config)  # type: ignore[arg-type]
    return boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=access_key,
                        aws_secret_access_key=secret_key, region_name=region, config=cfg, verify=verify)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("srv") / "data").start()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, str]:
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    d = tmp_path_factory.mktemp("tls")
    cert_path, key_path, ca_path = d / "cert.pem", d / "key.pem", d / "ca.pem"
    cert.cert_chain_pems[0].write_to_path(cert_path)
    cert.private_key_pem.write_to_path(key_path)
    ca.cert_pem.write_to_path(ca_path)
    return str(cert_path), str(key_path), str(ca_path)


@pytest.fixture(scope="session")
def tls_server(tmp_path_factory: pytest.TempPathFactory, tls_files: tuple[str, str, str]) -> Iterator[Server]:
    cert, key, ca = tls_files
    srv = Server(tmp_path_factory.mktemp("tls-srv") / "data", tls=(cert, key), ca_path=ca).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def s3(server: Server):  # type: ignore[no-untyped-def]
    """boto3 with default settings: CRC32 checksums on uploads, checksum validation on GET."""
    return server.client()


@pytest.fixture(scope="session")
def s3_plain(server: Server):  # type: ignore[no-untyped-def]
    """boto3 that sends checksums only when an operation requires them."""
    return server.client(request_checksum_calculation="when_required", response_checksum_validation="when_required")


@pytest.fixture(scope="session")
def s3v4(server: Server):  # type: ignore[no-untyped-def]
    """boto3 presigns URLs and POST policies with SigV2 by default; this client presigns with SigV4."""
    return server.client(signature_version="s3v4")


@pytest.fixture(scope="session")
def s3_tls(tls_server: Server):  # type: ignore[no-untyped-def]
    """boto3 over HTTPS: uploads go out as aws-chunked with a trailing checksum."""
    return tls_server.client()


_names = itertools.count()


def unique_bucket_name(prefix: str = "b") -> str:
    return f"{prefix}-{os.getpid()}-{next(_names)}-{int(time.time() * 1000) % 100000}"


@pytest.fixture
def bucket(s3) -> str:  # type: ignore[no-untyped-def]
    name = unique_bucket_name()
    s3.create_bucket(Bucket=name)
    return name
