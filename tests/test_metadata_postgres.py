"""The PostgreSQL metadata store: start-up checks, migrations racing, byte-order keys on a linguistic collation.

Needs the machine's PostgreSQL (tests.harness.postgres): missing, these fail, never skip.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from botocore.exceptions import ClientError

from storage_backends.base import NewObject
from storage_backends.catalog.dialects import open_catalog
from storage_backends.catalog.pg_connection import PgExecutor, pg_sql
from storage_backends.catalog.pg_migrate import migrate, scripts
from storage_backends.catalog.records import Fold, NewVersion, Placement
from storage_backends.catalog.sql import buckets, objects, uploads
from storage_backends.catalog.store import Catalog, Tx
from tests.harness.assertions import error_code
from tests.harness.postgres import ADMIN_URL, Proxy, TestDatabase
from tests.harness.servers import REPO, Server, child_env

KEYS = ["B", "_", "a", "a/b", "a_c", "Z/x", "é", "ab"]
BYTE_ORDER = sorted(KEYS, key=lambda k: k.encode())


def serve(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gateway", "serve", "--port", "0", *args], cwd=REPO,
                          env=child_env(), capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("url,shown", [
    ("mysql://admin:hunter2secret@127.0.0.1/meta", "postgresql://USER"),
    ("postgresql://admin:hunter2secret@127.0.0.1:1/meta", "cannot use the metadata database"),
    (ADMIN_URL.rsplit("/", 1)[0].replace("://", "://postgres:hunter2secret@", 1).replace("@postgres@", "@")
     + "/s3gate_no_such_database", "s3gate_no_such_database"),
], ids=["not-postgresql", "unreachable", "missing-database"])
def test_a_metadata_url_that_cannot_be_used_stops_start_up_without_its_password(tmp_path, url, shown):  # type: ignore[no-untyped-def]
    done = serve("--data-dir", str(tmp_path / "data"), "--metadata-url", url)
    assert done.returncode == 2, done.stderr
    message = [line for line in done.stderr.splitlines() if line.startswith("s3gate: error:")]
    assert len(message) == 1 and shown in message[0], done.stderr
    assert "hunter2secret" not in done.stderr + done.stdout
    assert "Traceback" not in done.stderr


def test_the_variable_names_the_database_too(tmp_path):  # type: ignore[no-untyped-def]
    env = child_env({"S3GATE_METADATA_URL": "sqlite:///x.db", "S3GATE_METADATA_POOL": "0"})
    done = subprocess.run([sys.executable, "-m", "gateway", "serve", "--port", "0", "--data-dir", str(tmp_path)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "metadata" in done.stderr


def test_six_migrators_starting_together_apply_each_migration_once(postgres: TestDatabase) -> None:
    url = postgres.fresh_url()
    start, versions, failures = threading.Barrier(6), [], []

    def migrator() -> None:
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                start.wait()
                versions.append(migrate(conn))
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=migrator) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latest = scripts()[-1][0]
    assert failures == [] and versions == [latest] * 6
    with psycopg.connect(url, autocommit=True) as conn:
        assert conn.execute("SELECT id, version FROM s3gate_schema").fetchall() == [(1, latest)]
        assert conn.execute("SELECT count(*) FROM settings WHERE name = 'usage_since_ms'").fetchone() == (1,)


@pytest.fixture(scope="module")
def icu_database() -> Iterator[TestDatabase]:
    """A database whose default collation is linguistic (en-US), where ``B _ a`` sorts as ``_ a B``."""
    database = TestDatabase("TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'")
    yield database
    database.drop()


def _fill(catalog: Catalog) -> Any:
    async def fill() -> None:
        await catalog.write(lambda tx: buckets.create(tx, "b", "us-east-1", "owner"))
        for key in KEYS:
            def put(tx: Tx, key: str = key) -> None:
                version = NewVersion(1, "e", None, Placement(None, None, b"x"))
                objects.put_version(tx, "b", key, NewObject(owner_id="owner"), version, None)
            await catalog.write(put)
            await catalog.write(lambda tx, key=key: uploads.create(  # type: ignore[misc]
                tx, "b", key, NewObject(owner_id="owner"), None, None))
    return fill()


def test_keys_list_in_byte_order_on_a_linguistic_collation(icu_database: TestDatabase) -> None:
    url = icu_database.fresh_url()

    async def body() -> None:
        catalog = open_catalog("postgresql", url)
        try:
            await _fill(catalog)
            latest = await catalog.list_latest("b", ("", True), None, 100)
            assert [o.key for o in latest] == BYTE_ORDER
            versions = await catalog.list_versions("b", ("", 0, True), None, 100)
            assert [v.key for v in versions] == BYTE_ORDER
            folded = await catalog.list_latest("b", ("", True), None, 100, Fold(0, "/"))
            assert [o.key for o in folded] == ["B", "Z/x", "_", "a", "a/b", "a_c", "ab", "é"]
            listed = await catalog.uploads("b", ("", 0, "", True), None, 100)
            assert [u.key for u in listed] == BYTE_ORDER
            page = await catalog.buckets(None, "", "", 10)
            assert [b.name for b in page] == ["b"]
        finally:
            await catalog.aclose()

    asyncio.run(body())
    # Without COLLATE "C" on the key column the database's own order is what a listing would get:
    with psycopg.connect(url, autocommit=True) as conn:
        linguistic = [r[0] for r in conn.execute(
            "SELECT key FROM objects WHERE key IN ('B', '_', 'a') ORDER BY key COLLATE \"default\"").fetchall()]
        assert linguistic == ["_", "a", "B"]
        columns = conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND data_type = 'text' AND collation_name IS DISTINCT FROM 'C' "
            "AND collation_name IS DISTINCT FROM 's3gate_nocase'").fetchall()
        assert columns == []  # every text column compares in byte order (or is an IAM name)


def test_the_database_unreachable_is_503_and_serving_resumes_when_it_is_back(postgres: TestDatabase,
                                                                             tmp_path) -> None:  # type: ignore[no-untyped-def]
    proxy = Proxy()
    srv = Server(tmp_path / "data", args=["--metadata-url", proxy.url(postgres.name, "unreachable")]).start()
    try:
        s3 = srv.client()  # (one attempt: no retries)
        s3.create_bucket(Bucket="photos")
        s3.put_object(Bucket="photos", Key="cat.png", Body=b"meow")
        proxy.cut()
        time.sleep(1.1)  # past the gateway's bucket cache
        for call in (lambda: s3.get_object(Bucket="photos", Key="cat.png"),
                     lambda: s3.put_object(Bucket="photos", Key="dog.png", Body=b"woof"),
                     lambda: s3.list_objects_v2(Bucket="photos")):
            with pytest.raises(ClientError) as refused:
                call()
            assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
            assert error_code(refused) == "ServiceUnavailable"
        proxy.restore()
        deadline = time.monotonic() + 15
        while True:
            try:
                assert s3.get_object(Bucket="photos", Key="cat.png")["Body"].read() == b"meow"
                break
            except ClientError:
                assert time.monotonic() < deadline, "serving did not resume"
                time.sleep(0.2)
        s3.put_object(Bucket="photos", Key="dog.png", Body=b"woof")
        assert [o["Key"] for o in s3.list_objects_v2(Bucket="photos")["Contents"]] == ["cat.png", "dog.png"]
        log = srv.log()  # background jobs log what failed meanwhile: always the 503, never psycopg's own error
        assert log.count("Traceback") == log.count("S3Error: ServiceUnavailable")
    finally:
        srv.stop()
        proxy.cut()


def test_a_listener_that_reconnected_says_forget_everything(postgres: TestDatabase) -> None:
    proxy = Proxy()
    url = proxy.url(postgres.name, "listener")

    async def body() -> None:
        catalog = open_catalog("postgresql", url)
        heard: list[str | None] = []
        catalog.on_change(heard.append)
        listener = catalog._listener  # type: ignore[attr-defined]
        try:
            await asyncio.wait_for(listener.listening.wait(), 10)
            proxy.cut()
            while listener.listening.is_set():
                await asyncio.sleep(0.02)
            proxy.restore()
            await asyncio.wait_for(listener.listening.wait(), 15)
            assert heard == [None]
        finally:
            await catalog.aclose()

    try:
        asyncio.run(body())
    finally:
        proxy.cut()


class _Recording(PgExecutor):
    """A catalog connection that keeps each statement it ran, to EXPLAIN them afterwards."""

    __slots__ = ("ran",)

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        super().__init__(conn)
        self.ran: list[tuple[str, Any]] = []

    def execute(self, sql: str, parameters: Any = (), /) -> psycopg.Cursor[Any]:
        self.ran.append((sql, parameters))
        return super().execute(sql, parameters)


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


LISTINGS: list[Any] = [
    lambda ex: objects.list_latest(ex, "photos", ("users/", True), "users0", 100, Fold(6, "/")),
    lambda ex: objects.list_versions(ex, "photos", ("users/", 0, True), "users0", 100, Fold(6, "/")),
    lambda ex: uploads.page(ex, "photos", ("users/", 0, "", True), "users0", 100, Fold(6, "/")),
    lambda ex: objects.list_latest(ex, "photos", ("users/0003/", False), None, 100),
]


def _listing_plans(url: str) -> list[list[dict[str, Any]]]:
    """The plan nodes of every statement the listings send (a page of folders, of versions, of uploads,
    a plain page)."""
    with psycopg.connect(url, autocommit=True) as conn:
        ex = _Recording(conn)
        for listing in LISTINGS:
            listing(ex)
        return [list(_nodes(conn.execute("EXPLAIN (FORMAT JSON) " + pg_sql(sql), params or None
                                         ).fetchone()[0][0]["Plan"]))  # type: ignore[index]
                for sql, params in ex.ran]


def test_listings_read_the_key_indexes_with_or_without_statistics(postgres: TestDatabase) -> None:
    """A young table (no statistics yet) once made the planner read a lifecycle index and sort the whole
    bucket at each step of a delimiter walk: seconds per page. Every listing statement must walk an index
    in listing order, with no Sort of the bucket's rows, right after a bulk insert and after ANALYZE."""
    url = postgres.fresh_url()

    def fill(tx: Tx) -> None:
        for i in range(2000):
            key = f"users/{i // 10:04d}/{i % 10:04d}.jpg"
            version = NewVersion(4, "e", None, Placement(None, None, b"x"))
            objects.put_version(tx, "photos", key, NewObject(owner_id="owner"), version, None)
            if i % 2 == 0:
                uploads.create(tx, "photos", key, NewObject(owner_id="owner"), None, None)

    async def body() -> None:
        catalog = open_catalog("postgresql", url)
        try:
            for bucket in ("photos", "archive"):
                await catalog.write(lambda tx, b=bucket: buckets.create(tx, b, "us-east-1", "owner"))  # type: ignore[misc]
            await catalog.write(fill)
        finally:
            await catalog.aclose()

    asyncio.run(body())
    with psycopg.connect(url, autocommit=True) as conn:  # a big neighbour, as a bulk import leaves it
        key = "'users/' || lpad(CAST(i / 100 AS TEXT), 4, '0') || '/' || i"
        conn.execute(f"INSERT INTO objects (bucket, key, version_id, is_latest, size, etag, last_modified, "
                     f"storage_class, owner_id, content, metadata) SELECT 'archive', {key}, 'null', 1, 4, 'e', 0, "
                     f"'STANDARD', 'owner', '{{}}', '{{}}' FROM generate_series(1, 60000) AS i")
        conn.execute(f"INSERT INTO uploads (upload_id, bucket, key, initiated, owner_id, storage_class, content, "
                     f"metadata, tags) SELECT 'u' || i, 'archive', {key}, i, 'owner', 'STANDARD', '{{}}', '{{}}', "
                     f"'{{}}' FROM generate_series(1, 60000) AS i")
    for when in ("after the bulk insert", "after ANALYZE"):
        plans = _listing_plans(url)
        assert len(plans) >= 6  # the scans, and the walks of the three delimiter listings
        for nodes in plans:
            used = {n["Index Name"] for n in nodes if "Index Name" in n}
            assert used <= {"objects_latest", "objects_versions", "objects_pkey", "uploads_by_key",
                            "uploads_pkey"}, (when, used)
            sorts = [n["Sort Key"] for n in nodes if n["Node Type"] in ("Sort", "Incremental Sort")]
            assert all(keys == ["walk.n"] for keys in sorts), (when, sorts)  # only the walk's own steps
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("ANALYZE")
