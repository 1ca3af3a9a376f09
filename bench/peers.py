"""Start and stop each server under test on a free loopback port, and time its cold start.

Every server gets its own temporary data directory and its own process group, so stopping it
(by the group id of the process we started) also stops its workers and leaves nothing behind.
Cold start is the time from ``Popen`` to the first 200 answer to a real request (a presigned
ListBuckets for the S3 servers, a static file for nginx).
"""

from __future__ import annotations

import http.client
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from bench.install import REPO_DIR, S3RVER_JS, nginx_binary, venv_tool
from bench.s3 import Endpoint, Presigner, connection

if TYPE_CHECKING:
    from storage_backends.catalog.dialects import MetadataLocation
    from tests.harness.postgres import TestDatabase

HOST = "127.0.0.1"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0
NGINX_PROBE = "/ready"


@dataclass(frozen=True)
class Peer:
    """How to start one kind of server; ``command`` may also write config files into the data dir."""

    name: str
    command: Callable[[int, Path], list[str]]
    access_key: str = "bench"
    secret_key: str = "bench-secret"
    s3: bool = True  # False: plain HTTP (nginx), no buckets, listing or multipart
    env: dict[str, str] = field(default_factory=dict)
    ca_file: str | None = None  # serves HTTPS with this (self-signed) certificate
    metadata: str = "sqlite"  # s3gate: "postgres" keeps its metadata in a fresh PostgreSQL database per start


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path


def self_signed(directory: Path) -> Certificate:
    """A P-256 certificate for 127.0.0.1, made with openssl for this run; clients trust it as its own CA."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "2", "-subj", f"/CN={HOST}", "-addext", f"subjectAltName=IP:{HOST}",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return Certificate(cert, key)


def s3gate(workers: int, name: str = "s3gate", checkout: Path | None = None, metadata: str = "sqlite") -> Peer:
    """This tree's s3gate, or (``checkout``) another checkout's, run from that checkout's own venv;
    ``metadata="postgres"``: with ``--metadata-url`` (each start gets a database of its own, see Running)."""
    exe = str(checkout / ".venv" / "bin" / "s3gate") if checkout is not None else venv_tool("s3gate")
    base = [exe] if exe else [sys.executable, "-m", "gateway"]
    compile_bytecode(str(checkout / ".venv" / "bin" / "python") if checkout is not None else sys.executable,
                     checkout or REPO_DIR)

    def command(port: int, data: Path) -> list[str]:
        # legacy bucket defaults: the bench bucket stores plaintext, as every published figure did; what
        # SSE-S3 (the aws defaults' default encryption) costs is measured beside it, in a bucket of its own
        return [*base, "serve", "--host", HOST, "--port", str(port), "--data-dir", str(data / "s3gate"),
                "--workers", str(workers), "--bucket-defaults", "legacy"]

    return Peer(name, command, "s3gate", "s3gate-secret-key",
                env={"S3GATE_ACCESS_KEY": "s3gate", "S3GATE_SECRET_KEY": "s3gate-secret-key"}, metadata=metadata)


def over_https(peer: Peer, cert: Certificate) -> Peer:
    """The same s3gate serving HTTPS (``--certfile``/``--keyfile``), named ``<name>-https``."""
    def command(port: int, data: Path) -> list[str]:
        return [*peer.command(port, data), "--certfile", str(cert.cert), "--keyfile", str(cert.key)]

    return replace(peer, name=f"{peer.name}-https", command=command, ca_file=str(cert.cert))


def compile_bytecode(python: str, tree: Path) -> None:
    """Byte-compile a checkout's s3gate, as ``pip install`` does for an installed one. An editable
    install run with PYTHONDONTWRITEBYTECODE=1 (as in some CI and agent shells) would otherwise compile
    all of its ~130 modules from source at every cold start: about 100 ms here, which no user's start pays."""
    subprocess.run([python, "-m", "compileall", "-q", str(tree / "gateway"), str(tree / "storage_backends")],
                   check=True)


def moto() -> Peer:
    def command(port: int, data: Path) -> list[str]:
        return [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(port)]

    return Peer("moto", command)


def s3rver() -> Peer:
    def command(port: int, data: Path) -> list[str]:
        # Node 20's OpenSSL 3 lacks the cipher s3rver's continuation tokens use without this flag.
        return ["node", "--openssl-legacy-provider", str(S3RVER_JS), "-d", str(data / "s3rver"), "-a", HOST,
                "-p", str(port), "--silent", "--allow-mismatched-signatures", "--no-vhost-buckets"]

    return Peer("s3rver", command, "S3RVER", "S3RVER")


NGINX_CONF = """\
{user}worker_processes auto;
error_log {data}/error.log warn;
pid {data}/nginx.pid;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_requests 10000000;
    keepalive_timeout 120;
    default_type application/octet-stream;
    client_max_body_size 0;
    client_body_temp_path {data}/body-temp;
    server {{
        listen {host}:{port};
        root {data}/www;
        location / {{
            dav_methods PUT DELETE;
            create_full_put_path on;
        }}
    }}
}}
"""


def nginx() -> Peer:
    """Static GET and WebDAV PUT: the ceiling for raw HTTP on this machine."""

    def command(port: int, data: Path) -> list[str]:
        (data / "www").mkdir()
        (data / "body-temp").mkdir()
        (data / "www" / NGINX_PROBE.lstrip("/")).write_text("ok\n")
        user = "user root;\n" if os.geteuid() == 0 else ""  # workers must write the 0700 temp dir
        (data / "nginx.conf").write_text(NGINX_CONF.format(user=user, data=data, host=HOST, port=port))
        return [nginx_binary(), "-p", str(data), "-c", str(data / "nginx.conf"), "-g", "daemon off;"]

    return Peer("nginx", command, s3=False)


def free_port() -> int:
    """A free loopback port below the ephemeral range, where servers that bind port 0 (the test
    suites that share this machine) never land between our check and our server's bind."""
    ephemeral_low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    for _ in range(200):
        port = random.randrange(10_000, ephemeral_low)
        with socket.socket() as sock:
            try:
                sock.bind((HOST, port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free loopback port")


def owns_listener(pids: list[int], port: int) -> bool:
    """Whether one of ``pids`` holds the socket listening on ``port`` (not some other server)."""
    inodes = set()
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:  # closed meanwhile (a connection ending)
                continue
            if link.startswith("socket:["):
                inodes.add(link[8:-1])
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port and fields[9] in inodes:
                return True
    return False


def _probe(endpoint: Endpoint, path: str) -> bool:
    conn = connection(endpoint, timeout=2)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


class Running:
    """A started server: its endpoint, process group and data directory (and, for an s3gate with
    PostgreSQL metadata, a database of its own on the machine's server, dropped when it stops)."""

    def __init__(self, peer: Peer, workroot: str) -> None:
        self.peer = peer
        self.name = peer.name
        self.data = Path(tempfile.mkdtemp(prefix=f"{peer.name}-", dir=workroot))
        port = free_port()
        self.endpoint = Endpoint(HOST, port, peer.access_key, peer.secret_key, peer.ca_file)
        self.presigner = Presigner(self.endpoint)
        argv = peer.command(port, self.data)
        probe = self.presigner.path("GET") if peer.s3 else NGINX_PROBE
        env = {**os.environ, "TMPDIR": str(self.data), **peer.env}
        self.database: TestDatabase | None = None
        if peer.metadata == "postgres":
            from tests.harness.postgres import TestDatabase

            self.database = TestDatabase()
            env["S3GATE_METADATA_URL"] = self.database.url()
        self.log = open(self.data / "server.log", "wb")  # noqa: SIM115 - closed in stop()
        started = time.perf_counter()
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     env=env, start_new_session=True)
        try:
            while not _probe(self.endpoint, probe):
                if self.proc.poll() is not None or time.perf_counter() - started > START_TIMEOUT_S:
                    raise RuntimeError(f"{peer.name} did not start: {self.log_tail()}")
                time.sleep(0.002)
            self.cold_start_s = time.perf_counter() - started
            if not owns_listener(self.pids(), port):
                raise RuntimeError(f"{peer.name}: another process answered on port {port}: {self.log_tail()}")
        except BaseException:
            self.stop()
            raise

    @property
    def metadata(self) -> MetadataLocation:
        """Where this s3gate keeps its metadata (``bigbucket`` writes rows straight into it)."""
        from storage_backends.catalog.dialects import MetadataLocation

        return MetadataLocation(self.data / "s3gate", self.database.url() if self.database else None)

    def log_tail(self, limit: int = 2000) -> str:
        self.log.flush()
        return (self.data / "server.log").read_bytes()[-limit:].decode(errors="replace")

    def pids(self) -> list[int]:
        return process_tree(self.proc.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.data, ignore_errors=True)
        if self.database is not None:
            self.database.drop()
            self.database = None


def process_tree(root: int) -> list[int]:
    """``root`` and its descendants, from /proc's children lists."""
    pids, todo = [], [root]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:
            continue
    return pids


def cpu_seconds(pids: list[int], *, main_threads: bool = False) -> float:
    """User + system CPU time the processes have used (all their threads, ended ones included), or
    (``main_threads``) their main threads alone: s3gate's event loops."""
    ticks = 0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/task/{pid}/stat" if main_threads else f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def rss_bytes(pid: int) -> int:
    return _kib(f"/proc/{pid}/status", "VmRSS:")


def pss_bytes(pid: int) -> int:
    """Proportional set size: shared pages (libraries, copy-on-write memory) split among their
    sharers, so a process tree's PSS adds up to the memory it really takes; RSS counts them in
    every process."""
    return _kib(f"/proc/{pid}/smaps_rollup", "Pss:") or rss_bytes(pid)


def _kib(path: str, field: str) -> int:
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class RssSampler:
    """Peak resident memory of a server's process tree (sum, and largest process) while active."""

    def __init__(self, server: Running, interval_s: float = 0.02) -> None:
        self.server = server
        self.interval_s = interval_s
        self.peak_total = 0
        self.peak_pss = 0
        self.peak_process = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> None:
        pids = self.server.pids()
        sizes = [rss_bytes(pid) for pid in pids]
        self.peak_total = max(self.peak_total, sum(sizes))
        self.peak_pss = max(self.peak_pss, sum(pss_bytes(pid) for pid in pids))
        self.peak_process = max(self.peak_process, *sizes)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.sample()

    def __enter__(self) -> RssSampler:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()
