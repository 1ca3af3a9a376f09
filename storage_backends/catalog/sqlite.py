"""The SQLite dialect of the catalog: migrations, its connections; writes go through the writer.

Writes run on the event loop thread, grouped into shared transactions made durable by shared
WAL fsyncs (:mod:`storage_backends.catalog.sqlite_writer`). Reads are indexed lookups run inline
on the event loop (``async`` only to match the interface); long scans get their own snapshot.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any, TypeVar

from storage_backends.catalog.sql import blobs
from storage_backends.catalog.sql_catalog import SqlCatalog, SqlSnapshot, no_files
from storage_backends.catalog.sqlite_writer import BUSY_TIMEOUT_S, Writer, connect, write_lock
from storage_backends.catalog.store import Executor, FreedBlobs, Tx
from storage_backends.space import DATA, is_disk_full, refuse

T = TypeVar("T")
log = logging.getLogger("s3gate.catalog")


def migrate(path: str) -> None:
    """Create or upgrade the schema; ``PRAGMA user_version`` counts the migrations applied.

    Workers start together: the write lock lets one at a time in, without SQLite's busy sleeps.
    """
    lock = write_lock(path)
    try:
        _take(lock)
        if os.path.exists(path):
            conn = connect(path)
            try:
                _apply_migrations(conn)
            finally:
                conn.close()
        else:
            _create(path)
    finally:
        os.close(lock)  # (and with it the lock)


def _take(lock: int) -> None:
    """``flock`` the write lock, giving up (as SQLite's busy timeout would) rather than waiting forever."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise sqlite3.OperationalError("database is locked") from None
            time.sleep(0.001)


def _create(path: str) -> None:
    """A new catalog, built beside its name unsynced, then synced once and renamed in: two fsyncs where
    building it in place costs eight, and a crash leaves no half-made catalog (a ``.new`` is redone)."""
    new = path + ".new"
    # A journal left without its database (or beside an unfinished build) must not be replayed into this one.
    for leftover in (new, *(f"{name}-{kind}" for name in (new, path) for kind in ("journal", "wal", "shm"))):
        if os.path.exists(leftover):
            os.unlink(leftover)
    conn = sqlite3.connect(new, isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous=OFF")
        _apply_migrations(conn)
        conn.execute("PRAGMA journal_mode=WAL")  # recorded in the file: every connection opens it in WAL mode
    finally:
        conn.close()
    fsync_path(new)
    os.rename(new, path)
    fsync_path(os.path.dirname(path) or ".")


def _apply_migrations(conn: sqlite3.Connection) -> None:
    try:
        conn.execute("BEGIN IMMEDIATE")
        current = conn.execute("PRAGMA user_version").fetchone()[0]
        for number, entry in _scripts():
            if number > current:
                for statement in _statements(entry.read_text(encoding="utf-8")):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _scripts() -> list[tuple[int, Traversable]]:
    """The migrations, by number (``NNNN_name.sql``)."""
    folder = resources.files("storage_backends.catalog").joinpath("schema").joinpath("sqlite")
    return sorted(((int(entry.name.split("_", 1)[0]), entry) for entry in folder.iterdir()
                   if entry.name.endswith(".sql")), key=lambda numbered: numbered[0])


def schema_version() -> int:
    """The schema version this code migrates a catalog to: its last migration's number."""
    return _scripts()[-1][0]


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (transactions stay ours: no executescript)."""
    statements, pending = [], ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending)
            pending = ""
    if pending.strip() and not all(ln.strip().startswith("--") or not ln.strip() for ln in pending.splitlines()):
        raise ValueError(f"incomplete SQL statement in migration: {pending[:80]!r}")
    return statements


def fsync_path(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _disk_full(exc: BaseException) -> bool:
    """SQLITE_FULL ("database or disk is full"), or ENOSPC from the WAL's fsync."""
    return getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL or is_disk_full(exc)


class SqliteCatalog(SqlCatalog):
    """The catalog in one SQLite file (WAL), shared by the worker processes of a data directory."""

    def __init__(self, path: str, *, on_freed: FreedBlobs = no_files) -> None:
        super().__init__(on_freed)
        migrate(path)
        self.path = path
        self._conn = connect(path, readonly=True)  # event loop thread only; results always fully consumed
        self._writer = Writer(path)

    async def aclose(self) -> None:
        self._writer.close()
        self._conn.close()
        self._writer.close_index()

    async def _read(self, fn: Callable[..., T], *args: Any) -> T:
        return fn(self._conn, *args)

    def _clock_ms(self, ex: Executor) -> int:
        return time.time_ns() // 1_000_000

    # -- writing ------------------------------------------------------------------------------------
    async def write(self, fn: Callable[[Tx], T]) -> T:
        """Run ``fn(tx)`` in a group-committed transaction; once durable, delete the blobs it freed.

        A full disk (SQLITE_FULL, or ENOSPC from the WAL's fsync) rolls the write back and is the
        disk-full error (503), not an internal one.
        """
        tx = Tx(self._writer.conn)
        try:
            result = await self._writer.run(fn, tx)
        except (sqlite3.OperationalError, OSError) as exc:
            if _disk_full(exc):
                refuse(DATA, f"the metadata ({self.path}) could not be written: {exc}")
            raise
        await self._committed(tx)
        return result

    async def _forget_garbage(self, blob_ids: list[str]) -> None:
        try:
            await self._writer.run(lambda tx: blobs.forget_garbage(tx, blob_ids), Tx(self._writer.conn))
        except (sqlite3.OperationalError, OSError) as exc:  # the files are gone: start-up forgets their rows
            if not _disk_full(exc):
                raise
            log.warning("freed blob rows stay pending until the next start-up: %s", exc)

    async def file_blobs(self) -> set[tuple[str, str]]:
        """Every (blob id, volume) kept as a file: a full scan, so in a thread on its own connection."""
        def scan() -> set[tuple[str, str]]:
            conn = connect(self.path, readonly=True)
            try:
                return blobs.file_blobs(conn)
            finally:
                conn.close()

        return await asyncio.to_thread(scan)

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[SqlSnapshot]:
        conn = connect(self.path, readonly=True)
        try:
            yield SqlSnapshot(conn)
        finally:
            conn.close()
