"""Live-server fixtures: a real ``s3gate serve`` process on a free port, real boto3 clients.

Every test that talks to a gateway runs once per backend (``backend`` is a session-scoped
parameter): ``local``; ``upstream-s3gate``, forwarding to a second s3gate (local backend, its
own data dir, port and credentials); ``upstream-moto``, forwarding to moto's server mode;
``local-postgres``, the local backend with its metadata in PostgreSQL (a schema per data dir).
``@pytest.mark.backends(...)`` limits a test to the backends it applies to and
``@pytest.mark.differs(...)`` marks a documented difference (strict xfail); README lists both.
``pytest --backends local`` runs a subset. Under pytest-xdist one worker runs all of a backend's
tests (``tests.harness.scheduling``). The servers and clients themselves live in
``tests.harness``; this file holds only pytest hooks and fixtures.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.harness.clients import unique_bucket_name
from tests.harness.postgres import TestDatabase
from tests.harness.scheduling import ByBackend
from tests.harness.servers import BACKENDS, Server, Stack


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--backends", default=",".join(BACKENDS),
                     help=f"comma-separated backends to run the live-server tests on (default: {','.join(BACKENDS)})")


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto`` (pyproject's addopts): a worker per backend, each running all of that backend's tests
    (``ByBackend``), and one for the tests that need no backend, which would otherwise wait for one to finish."""
    return len(config.getoption("--backends").split(",")) + 1


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> ByBackend:
    return ByBackend(config, log)


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


@pytest.fixture(scope="session")
def postgres() -> Iterator[TestDatabase]:
    """A PostgreSQL database for the session's catalog tests (each takes a schema of its own: ``fresh_url``)."""
    database = TestDatabase()
    yield database
    database.drop()


@pytest.fixture(autouse=True)
def _upstream_alive(request: pytest.FixtureRequest) -> None:
    if "stack" in request.fixturenames:
        request.getfixturevalue("stack").check_upstream()


@pytest.fixture(scope="session")
def server(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = stack.gateway(tmp_path_factory.mktemp("srv") / "data", website=True).start()
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


@pytest.fixture
def bucket(s3) -> str:  # type: ignore[no-untyped-def]
    name = unique_bucket_name()
    s3.create_bucket(Bucket=name)
    return name
