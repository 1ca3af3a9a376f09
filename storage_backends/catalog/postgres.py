"""The PostgreSQL dialect of the catalog: metadata shared by several stateless gateways.

psycopg 3 (synchronous connections from a ``psycopg_pool`` pool) in worker threads: the
``catalog.sql`` functions are synchronous, written once for both dialects. Each write runs ``fn(tx)``
in a REPEATABLE READ transaction, re-run from scratch on a serialization failure or a deadlock (and
a few times on a unique violation: two gateways inserting the same key's first version), so the
reads a conditional write or a versioning change makes and its writes are atomic across gateways.
Bucket changes are told to other gateways by ``pg_notify`` in the same transaction and heard on a
LISTEN connection of the catalog's own. The database unreachable is S3's 503, never a traceback.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import random
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import psycopg
from psycopg import IsolationLevel, errors
from psycopg_pool import ConnectionPool, PoolTimeout

from gateway.wire.errors import Code, S3Error
from storage_backends.catalog.pg_connection import (
    CONNECT_TIMEOUT_S,
    PgExecutor,
    ScanExecutor,
    configure,
    first_line,
    redact,
)
from storage_backends.catalog.pg_listen import Listener
from storage_backends.catalog.pg_migrate import channel, migrate
from storage_backends.catalog.sql import blobs
from storage_backends.catalog.sql_catalog import SqlCatalog, SqlSnapshot, no_files
from storage_backends.catalog.store import SHARDS, Executor, FreedBlobs, Tx

T = TypeVar("T")
log = logging.getLogger("s3gate.catalog")

ATTEMPTS = 50  # runs of a write that keeps meeting concurrent ones, before SlowDown
UNIQUE_ATTEMPTS = 4  # of them, how many may end in a unique violation
POOL_WAIT_S = 5.0  # only a database down or reconnecting makes a call wait for a connection
# psycopg_pool's reconnection backs off (1, 2, 4 ... s) until this; then the next call tries afresh, so
# serving resumes within seconds of the database coming back rather than minutes.
RECONNECT_S = 3.0
DOWN_S = 1.0  # after the database failed a call, calls fail at once for this long (no thread waits on it)
RETRIED = (errors.SerializationFailure, errors.DeadlockDetected)
UNREACHABLE = (psycopg.OperationalError, PoolTimeout)
CLOCK = "SELECT CAST(extract(epoch FROM clock_timestamp()) * 1000 AS BIGINT)"


def unavailable(url: str, exc: BaseException) -> S3Error:
    log.error("metadata database %s unreachable: %s", redact(url), first_line(exc))
    return S3Error(Code.ServiceUnavailable)


class PostgresCatalog(SqlCatalog):
    """The catalog in a PostgreSQL database (or schema: ``options=-csearch_path=NAME`` in the URL)."""

    def __init__(self, url: str, *, pool: int = 8, on_freed: FreedBlobs = no_files) -> None:
        super().__init__(on_freed)
        self.url = url
        with psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S) as conn:
            migrate(conn)
            self.channel = channel(conn)
        self._pool = ConnectionPool(url, min_size=1, max_size=pool, configure=configure, timeout=POOL_WAIT_S,
                                    reconnect_timeout=RECONNECT_S, kwargs={"connect_timeout": CONNECT_TIMEOUT_S},
                                    name="s3gate-metadata", open=True)
        # One thread per connection: a call never waits for a connection inside its thread.
        self._threads = ThreadPoolExecutor(pool, thread_name_prefix="s3gate-pg")
        self._listener: Listener | None = None
        self._down_until = 0.0  # monotonic: until then the database is taken to be unreachable
        self._shards: dict[int, int] = {}  # connection -> its usage shard (Tx.shard)
        self._first_shard = random.randrange(SHARDS)

    def _shard(self, conn: psycopg.Connection[Any]) -> int:
        """Each connection its own usage rows: this process's concurrent writes never share one."""
        shard = self._shards.get(id(conn))
        if shard is None:
            shard = self._shards[id(conn)] = (self._first_shard + len(self._shards)) % SHARDS
        return shard

    async def aclose(self) -> None:
        if self._listener is not None:
            await self._listener.aclose()
        await asyncio.get_running_loop().run_in_executor(None, self._close_sync)

    def _close_sync(self) -> None:
        self._threads.shutdown()
        self._pool.close()

    def on_change(self, callback: Callable[[str | None], None]) -> None:
        super().on_change(callback)
        if self._listener is None:
            self._listener = Listener(self.url, self.channel, self._changed)

    async def _in_thread(self, call: Callable[[], T]) -> T:
        """``call()`` in a thread of the pool's; the database unreachable is 503 (at once, for a second after
        a call found it so: requests do not queue behind threads waiting for connections)."""
        if time.monotonic() < self._down_until:
            raise S3Error(Code.ServiceUnavailable)
        context = contextvars.copy_context()  # the request's origin, for the events a write records
        try:
            return await asyncio.get_running_loop().run_in_executor(self._threads, context.run, call)
        except UNREACHABLE as exc:
            self._down_until = time.monotonic() + DOWN_S
            raise unavailable(self.url, exc) from None

    # -- reads: autocommit, one statement each (or a few, in a read-only snapshot) -----------------
    async def _read(self, fn: Callable[..., T], *args: Any) -> T:
        def call() -> T:
            with self._pool.connection() as conn:
                return fn(PgExecutor(conn), *args)

        return await self._in_thread(call)

    def _clock_ms(self, ex: Executor) -> int:
        return int(ex.execute(CLOCK).fetchall()[0][0])

    async def file_blobs(self) -> set[tuple[str, str]]:
        return await self._read(blobs.file_blobs)

    # -- writes ------------------------------------------------------------------------------------
    async def write(self, fn: Callable[[Tx], T]) -> T:
        """Run ``fn(tx)`` in a transaction of its own, retried on conflicts; after the commit, its steps."""
        result, tx = await self._in_thread(lambda: self._write_sync(fn))
        await self._committed(tx)
        return result

    def _write_sync(self, fn: Callable[[Tx], T]) -> tuple[T, Tx]:
        uniques = 0
        for attempt in range(ATTEMPTS):
            with self._pool.connection() as conn:
                tx = Tx(PgExecutor(conn), self._shard(conn))
                try:
                    with conn.transaction():  # REPEATABLE READ (pg_connection.configure)
                        result = fn(tx)
                        for bucket in tx.changed:  # delivered at the commit, to every gateway listening
                            conn.execute("SELECT pg_notify(%s, %s)", (self.channel, bucket))
                    return result, tx
                except RETRIED:
                    pass
                except errors.UniqueViolation:
                    uniques += 1
                    if uniques >= UNIQUE_ATTEMPTS:
                        raise
            time.sleep(random.uniform(0, min(0.1, 0.002 * 2 ** min(attempt, 6))))
        log.warning("a metadata write gave up after %d conflicting attempts", ATTEMPTS)
        raise S3Error(Code.SlowDown)

    # -- scans ---------------------------------------------------------------------------------------
    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[SqlSnapshot]:
        """A REPEATABLE READ, read-only transaction on a connection of its own, its scans on server-side cursors."""
        threads = ThreadPoolExecutor(1, thread_name_prefix="s3gate-pg-scan")
        loop = asyncio.get_running_loop()

        async def run(call: Callable[[], Any]) -> Any:
            try:
                return await loop.run_in_executor(threads, call)
            except UNREACHABLE as exc:
                raise unavailable(self.url, exc) from None

        def open_conn() -> psycopg.Connection[Any]:
            conn = psycopg.connect(self.url)
            configure(conn)
            conn.autocommit = False
            conn.isolation_level = IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            return conn

        conn: psycopg.Connection[Any] = await run(open_conn)
        try:
            yield SqlSnapshot(ScanExecutor(conn), run)
        finally:
            await run(conn.close)
            threads.shutdown(wait=False)
