"""Live processes under test: ``s3gate serve`` (Server), moto's server mode (MotoServer), and a
backend's whole Stack (the gateway plus the upstream it forwards to); free ports and start-up waits.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.harness.clients import UPSTREAM_ACCESS_KEY, UPSTREAM_SECRET_KEY, make_client
from tests.harness.ports import children, free_port, listens
from tests.harness.postgres import TestDatabase, schema_for

__all__ = ["BACKENDS", "LOCAL", "REPO", "MotoServer", "Server", "Stack", "child_env", "free_port", "upstream_args",
           "upstream_env", "wait_for_port"]

REPO = Path(__file__).resolve().parent.parent.parent
BACKENDS = ("local", "local-postgres", "upstream-s3gate", "upstream-moto")
LOCAL = ("local", "local-postgres")  # the local backend, its metadata in SQLite or in PostgreSQL


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """A child s3gate's environment: this one without its S3GATE_ settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("S3GATE_")}
    env.update(extra or {})
    return env


class Server:
    """One ``s3gate serve`` subprocess. ``kill()`` is a real SIGKILL; ``start()`` again reuses the data dir."""

    def __init__(self, data_dir: Path, *, env: dict[str, str] | None = None, args: list[str] | None = None,
                 tls: tuple[str, str] | None = None, ca_path: str | None = None, cwd: Path = REPO,
                 website: bool = False) -> None:
        self.data_dir = data_dir
        self.env = env or {}
        self.args = args or []
        self.tls = tls
        self.ca_path = ca_path
        self.cwd = cwd
        self.port = free_port()
        self.website_port = free_port() if website else None  # --website-port: the static website endpoint
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir.parent / f"{data_dir.name}.log"

    @property
    def endpoint(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    @property
    def website(self) -> str:
        assert self.website_port is not None, "started without website=True"
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.website_port}"

    def command(self) -> list[str]:
        cmd = [sys.executable, "-m", "gateway", "serve", "--port", str(self.port), "--data-dir", str(self.data_dir),
               *self.args]
        if self.website_port is not None:
            cmd += ["--website-port", str(self.website_port)]
        if self.tls:
            cmd += ["--certfile", self.tls[0], "--keyfile", self.tls[1]]
        return cmd

    def start(self, timeout: float = 20.0) -> Server:
        def spawn() -> subprocess.Popen[bytes]:
            log = open(self.log_path, "ab")  # noqa: SIM115 - owned by the child process
            return subprocess.Popen(self.command(), cwd=self.cwd, env=child_env(self.env), stdout=log,
                                    stderr=subprocess.STDOUT)

        def new_ports() -> None:
            self.port = free_port()
            self.website_port = free_port() if self.website_port is not None else None

        self.proc = start_listening(spawn, lambda: [self.port, *filter(None, [self.website_port])], self.log_path,
                                    timeout, new_ports)
        return self

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
        """SIGKILL the server and its ``--workers`` processes (a power cut, as far as they can tell)."""
        assert self.proc is not None
        workers = children(self.proc.pid)
        self.proc.send_signal(signal.SIGKILL)  # first, so that it restarts no worker
        for pid in workers:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait()

    def peak_rss_mb(self) -> float:
        """VmHWM: the highest resident set size the process has had."""
        assert self.proc is not None
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmHWM")

    def client(self, **config: Any) -> Any:  # a botocore client: its methods are generated
        return make_client(self.endpoint, verify=self.ca_path, **config)


PORT_TAKEN = re.compile(rb"address already in use|is in use by another program", re.IGNORECASE)


def start_listening(spawn: Callable[[], subprocess.Popen[bytes]], ports: Callable[[], list[int]], log_path: Path,
                    timeout: float, new_ports: Callable[[], None], tries: int = 3) -> subprocess.Popen[bytes]:
    """Start a child that listens on ``ports()``; when another process took one first, on new ports."""
    for attempt in range(tries):
        seen = log_path.stat().st_size if log_path.exists() else 0
        proc = spawn()
        try:
            for port in ports():
                wait_for_port(proc, port, timeout, lambda: log_path.read_text(errors="replace"))
            return proc
        except RuntimeError:
            if attempt == tries - 1 or not PORT_TAKEN.search(log_path.read_bytes()[seen:]):
                raise
        new_ports()
    raise AssertionError("unreachable")


def wait_for_port(proc: subprocess.Popen[bytes], port: int, timeout: float, log: Callable[[], str]) -> None:
    """Until ``proc`` itself listens on ``port`` (a connection could reach whoever took the port first)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode}:\n{log()}")
        if listens(proc.pid, port):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{proc.args!r} did not start:\n{log()}")


class MotoServer:
    """moto's server mode in its own process: an independent S3 implementation, in memory."""

    def __init__(self, log_path: Path) -> None:
        self.port = free_port()
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> MotoServer:
        def spawn() -> subprocess.Popen[bytes]:
            log = open(self.log_path, "ab")  # noqa: SIM115 - owned by the child process
            return subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                                    stdout=log, stderr=subprocess.STDOUT)

        def new_port() -> None:
            self.port = free_port()

        self.proc = start_listening(spawn, lambda: [self.port], self.log_path, 30.0, new_port)
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=15)


Upstream = Server | MotoServer


class Stack:
    """One backend under test: how to run a gateway on it, and the upstream it forwards to."""

    def __init__(self, backend: str, tmp: pytest.TempPathFactory) -> None:
        self.backend = backend
        self.tmp = tmp
        self.started: list[Upstream] = []
        self.shared: Upstream | None = self.new_upstream() if backend not in LOCAL else None
        # local-postgres: a database for the session, a schema in it per gateway data dir
        self.database = TestDatabase() if backend == "local-postgres" else None
        self.dead: str | None = None

    def metadata_args(self, data_dir: Path) -> list[str]:
        """``--metadata-url`` of ``data_dir``'s own schema (local-postgres; none on the other backends)."""
        if self.database is None:
            return []
        return ["--metadata-url", self.database.url(schema_for(str(data_dir.resolve())))]

    def new_upstream(self) -> Upstream:
        where = self.tmp.mktemp(self.backend)
        upstream: Upstream
        if self.backend == "upstream-moto":
            upstream = MotoServer(where / "moto.log").start()
        else:
            upstream = Server(where / "data", env=upstream_env()).start()
        self.started.append(upstream)
        return upstream

    def gateway(self, data_dir: Path, *, fresh_upstream: bool = False, args: list[str] | None = None,
                **kwargs: object) -> Server:
        """A gateway (not started) on this backend; ``fresh_upstream`` gives it an empty upstream of its own."""
        upstream = self.new_upstream() if fresh_upstream and self.shared is not None else self.shared
        extra = self.metadata_args(data_dir) if upstream is None else upstream_args(upstream.endpoint)
        return Server(data_dir, args=[*extra, *(args or [])], **kwargs)  # type: ignore[arg-type]

    def upstream_client(self):  # type: ignore[no-untyped-def]
        """boto3 straight to the shared upstream, with the upstream's credentials."""
        assert self.shared is not None, "local has no upstream"
        return make_client(self.shared.endpoint, access_key=UPSTREAM_ACCESS_KEY, secret_key=UPSTREAM_SECRET_KEY)

    def check_upstream(self) -> None:
        """Fail fast, with the upstream's log, once the shared upstream stops answering.

        Without this a wedged upstream costs every remaining test its full client timeout."""
        if self.shared is None:
            return
        if self.dead is None:
            try:
                httpx.get(self.shared.endpoint + "/", timeout=10)
            except httpx.HTTPError as exc:
                tail = self.shared.log_path.read_text(errors="replace")[-3000:]
                self.dead = f"the {self.backend} upstream stopped answering ({exc!r}); its log ends:\n{tail}"
        if self.dead is not None:
            pytest.fail(self.dead, pytrace=False)

    def stop(self) -> None:
        for upstream in reversed(self.started):
            upstream.stop()
        if self.database is not None:
            self.database.drop()


def upstream_env() -> dict[str, str]:
    """The environment of an s3gate that serves as an upstream: the upstream's own credentials, and SSE-C
    keys accepted over the loopback's plain HTTP (the gateway in front has checked the client's connection)."""
    return {"S3GATE_ACCESS_KEY": UPSTREAM_ACCESS_KEY, "S3GATE_SECRET_KEY": UPSTREAM_SECRET_KEY,
            "S3GATE_ALLOW_SSE_C_OVER_HTTP": "true"}


def upstream_args(endpoint: str) -> list[str]:
    return ["--backend", "upstream", "--upstream-endpoint", endpoint, "--upstream-access-key", UPSTREAM_ACCESS_KEY,
            "--upstream-secret-key", UPSTREAM_SECRET_KEY]
