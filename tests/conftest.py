"""Live-server fixtures: a real ``s3gate serve`` process on a free port, real boto3 clients.

Every test that talks to a gateway runs once per backend (``backend`` is a session-scoped
parameter): ``local``; ``upstream-s3gate``, forwarding to a second s3gate (local backend, its
own data dir, port and credentials); ``upstream-moto``, forwarding to moto's server mode.
``@pytest.mark.backends(...)`` limits a test to the backends it applies to and
``@pytest.mark.differs(...)`` marks a documented difference (strict xfail); README lists both.
``pytest --backends local`` runs a subset.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config

ACCESS_KEY = "s3gate"
SECRET_KEY = "s3gate-secret-key"
# The upstream's own credentials: the gateway's users cannot use them, nor it theirs.
UPSTREAM_ACCESS_KEY = "upstream-key"
UPSTREAM_SECRET_KEY = "upstream-secret-key"
REPO = Path(__file__).resolve().parent.parent
BACKENDS = ("local", "upstream-s3gate", "upstream-moto")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """One ``s3gate serve`` subprocess. ``kill()`` is a real SIGKILL; ``start()`` again reuses the data dir."""

    def __init__(self, data_dir: Path, *, env: dict[str, str] | None = None, args: list[str] | None = None,
                 tls: tuple[str, str] | None = None, ca_path: str | None = None, cwd: Path = REPO) -> None:
        self.data_dir = data_dir
        self.env = env or {}
        self.args = args or []
        self.tls = tls
        self.ca_path = ca_path
        self.cwd = cwd
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
        self.proc = subprocess.Popen(self.command(), cwd=self.cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
        wait_for_port(self.proc, self.port, timeout, self.log)
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

    def client(self, **config: Any) -> Any:  # a botocore client: its methods are generated
        return make_client(self.endpoint, verify=self.ca_path, **config)


def write_random_file(path: Path, size: int, block: int = 8 * 1024 * 1024) -> str:
    """``size`` random bytes (nothing compresses or dedups them) written to ``path``; returns their MD5."""
    digest = hashlib.md5()
    with open(path, "wb") as f:
        for offset in range(0, size, block):
            data = os.urandom(min(block, size - offset))
            digest.update(data)
            f.write(data)
    return digest.hexdigest()


def assert_same_bytes(got: bytes, want: bytes) -> None:
    """``got == want``, failing with sizes and the first differing offset.

    A plain ``assert`` on payloads of hundreds of KiB or more is a trap: pytest's diff of two long
    byte strings is quadratic, and with ``-vv`` or under CI (``CI`` set: no truncation) it ran
    for hours before the per-test timeout ended the whole run.
    """
    __tracebackhide__ = True
    if got == want:
        return
    block = 64 * 1024  # find the differing block with C-speed compares, then the byte within it
    start = next(i for i in range(0, max(len(got), len(want)), block) if got[i:i + block] != want[i:i + block])
    pairs = zip(got[start:start + block], want[start:start + block], strict=False)
    at = start + next((i for i, (a, b) in enumerate(pairs) if a != b), min(len(got), len(want)) - start)
    raise AssertionError(f"payloads differ: got {len(got)} bytes, want {len(want)}; first difference at byte {at}")


def file_md5(path: str | os.PathLike[str]) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as f:
        while block := f.read(8 * 1024 * 1024):
            digest.update(block)
    return digest.hexdigest()


def wait_for_port(proc: subprocess.Popen[bytes], port: int, timeout: float, log: Callable[[], str]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode}:\n{log()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
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
        log = open(self.log_path, "ab")  # noqa: SIM115 - owned by the child process
        self.proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                                     stdout=log, stderr=subprocess.STDOUT)
        wait_for_port(self.proc, self.port, 30.0, lambda: self.log_path.read_text(errors="replace"))
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
        self.shared: Upstream | None = self.new_upstream() if backend != "local" else None
        self.dead: str | None = None

    def new_upstream(self) -> Upstream:
        where = self.tmp.mktemp(self.backend)
        upstream: Upstream
        if self.backend == "upstream-moto":
            upstream = MotoServer(where / "moto.log").start()
        else:
            upstream = Server(where / "data", env={"S3GATE_ACCESS_KEY": UPSTREAM_ACCESS_KEY,
                                                   "S3GATE_SECRET_KEY": UPSTREAM_SECRET_KEY}).start()
        self.started.append(upstream)
        return upstream

    def gateway(self, data_dir: Path, *, fresh_upstream: bool = False, args: list[str] | None = None,
                **kwargs: object) -> Server:
        """A gateway (not started) on this backend; ``fresh_upstream`` gives it an empty upstream of its own."""
        upstream = self.new_upstream() if fresh_upstream and self.shared is not None else self.shared
        extra = [] if upstream is None else upstream_args(upstream.endpoint)
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


def upstream_args(endpoint: str) -> list[str]:
    return ["--backend", "upstream", "--upstream-endpoint", endpoint, "--upstream-access-key", UPSTREAM_ACCESS_KEY,
            "--upstream-secret-key", UPSTREAM_SECRET_KEY]


def make_client(endpoint: str, *, access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY,
                region: str = "us-east-1", verify: str | None = None, **config: Any) -> Any:
    cfg = Config(retries={"max_attempts": 1, "mode": "standard"}, **config)
    return boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=access_key,
                        aws_secret_access_key=secret_key, region_name=region, config=cfg, verify=verify)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--backends", default=",".join(BACKENDS),
                     help=f"comma-separated backends to run the live-server tests on (default: {','.join(BACKENDS)})")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Apply ``backends``/``differs`` markers, and ``--backends``, to each test's backend parameter."""
    chosen = set(config.getoption("--backends").split(","))
    keep, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        backend = callspec.params.get("backend") if callspec is not None else None
        if backend is None:
            keep.append(item)
            continue
        if backend not in chosen:
            dropped.append(item)
            continue
        keep.append(item)
        for mark in item.iter_markers("backends"):
            if backend not in mark.args:
                item.add_marker(pytest.mark.skip(reason=f"not on {backend}: {mark.kwargs['reason']}"))
        for mark in item.iter_markers("differs"):
            if backend in mark.args:
                item.add_marker(pytest.mark.xfail(strict=True, reason=f"{backend}: {mark.kwargs['reason']}"))
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def stack(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = Stack(backend, tmp_path_factory)
    yield running
    running.stop()


@pytest.fixture
def make_server(stack: Stack, tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Gateways of a test's own (own flags, own data dir) on the backend under test; stopped afterwards."""
    made: list[Server] = []

    def make(name: str = "data", **kwargs: object) -> Server:
        srv = stack.gateway(tmp_path / name, **kwargs)  # type: ignore[arg-type]
        made.append(srv)
        return srv

    yield make
    for srv in made:
        srv.stop()


@pytest.fixture(autouse=True)
def _upstream_alive(request: pytest.FixtureRequest) -> None:
    if "stack" in request.fixturenames:
        request.getfixturevalue("stack").check_upstream()


@pytest.fixture(scope="session")
def server(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = stack.gateway(tmp_path_factory.mktemp("srv") / "data").start()
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
def tls_server(stack: Stack, tmp_path_factory: pytest.TempPathFactory, tls_files: tuple[str, str, str]
               ) -> Iterator[Server]:
    cert, key, ca = tls_files
    srv = stack.gateway(tmp_path_factory.mktemp("tls-srv") / "data", tls=(cert, key), ca_path=ca).start()
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
