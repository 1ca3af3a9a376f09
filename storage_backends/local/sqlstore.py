"""SQLite plumbing: durable settings, schema migrations, and the group-syncing writer.

Writes run on the event loop thread, grouped into shared transactions (see :class:`Writer`):
SQLite in WAL mode with ``synchronous=NORMAL`` writes a commit to the WAL file without syncing
it, and durability comes right after from an ``fsync`` of the WAL in a worker thread that every
commit made meanwhile shares. So N concurrent PUTs cost one commit and one fsync, and the
writes never wait on a second thread for the GIL.

The SQL used elsewhere sticks to what SQLite and PostgreSQL share (``ON CONFLICT``, partial
indexes, window functions, ``?`` placeholders that a driver shim can rewrite).
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import sqlite3
from collections.abc import Callable
from importlib import resources
from typing import TypeVar

from storage_backends.local.blobs import fsync_path

T = TypeVar("T")
log = logging.getLogger("s3gate.sqlstore")

BUSY_TIMEOUT_S = 30.0


def connect(path: str, *, readonly: bool = False) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    # Commits are made durable by Writer's fsync of the WAL (checkpoints still sync the database).
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=OFF")
    conn.execute("PRAGMA cache_size=-4096")  # 4 MiB page cache per connection (the OS caches the file too)
    if readonly:
        conn.execute("PRAGMA query_only=ON")
    return conn


def migrate(path: str) -> None:
    """Create or upgrade the schema; ``PRAGMA user_version`` counts the migrations applied."""
    conn = connect(path)
    try:
        conn.execute("BEGIN IMMEDIATE")
        current = conn.execute("PRAGMA user_version").fetchone()[0]
        scripts = sorted(
            (int(entry.name.split("_", 1)[0]), entry)
            for entry in resources.files("storage_backends.local").joinpath("schema").iterdir()
            if entry.name.endswith(".sql")
        )
        for number, entry in scripts:
            if number > current:
                for statement in _statements(entry.read_text(encoding="utf-8")):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    finally:
        conn.close()


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


class Writer:
    """Runs writes on the event loop in shared transactions made durable by shared WAL fsyncs.

    The first write of a loop iteration opens a transaction; every write that arrives before the
    iteration ends joins it under its own SAVEPOINT (a failing write rolls back only itself); then
    one COMMIT, and one fsync of the WAL in a worker thread, serve them all. A write's caller is
    answered only once that fsync has covered its commit.

    Worker processes sharing the database take turns through an ``flock`` on ``<db>.write-lock``:
    a waiting writer wakes the moment the lock is free, where SQLite's own busy handler would sleep
    in growing steps (tens of milliseconds under contention).
    """

    def __init__(self, path: str) -> None:
        self._path = path
        self._conn = connect(path)
        self._lock_fd = os.open(path + ".write-lock", os.O_CREAT | os.O_RDWR, 0o600)
        self._opening = asyncio.Lock()
        self._batch: asyncio.Future[int] | None = None  # resolves to the commit number once committed
        self._committed = 0  # transactions committed by this process
        self._synced = 0  # of those, how many an fsync has covered
        self._sync_task: asyncio.Task[None] | None = None

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` in the current shared transaction; return once its commit is durable."""
        batch = self._batch
        while batch is None or batch is not self._batch or batch.done():
            batch = await self._open_batch()  # (re-checked: an await may have seen the batch commit)
        conn = self._conn
        conn.execute("SAVEPOINT op")
        try:
            result = fn(conn)
        except BaseException:
            conn.execute("ROLLBACK TO op")
            conn.execute("RELEASE op")
            raise
        conn.execute("RELEASE op")
        await self._durable(await batch)
        return result

    async def _open_batch(self) -> asyncio.Future[int]:
        async with self._opening:
            if self._batch is None:
                try:
                    fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:  # another worker process is writing: wait off the loop
                    await self._wait_for_lock()
                try:
                    self._conn.execute("BEGIN IMMEDIATE")
                except BaseException:
                    fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
                    raise
                loop = asyncio.get_running_loop()
                self._batch = loop.create_future()
                loop.call_soon(self._commit_batch)
            return self._batch

    async def _wait_for_lock(self) -> None:
        waiting = asyncio.ensure_future(asyncio.to_thread(fcntl.flock, self._lock_fd, fcntl.LOCK_EX))
        try:
            await asyncio.shield(waiting)
        except asyncio.CancelledError:  # the thread still gets the lock: give it back then
            waiting.add_done_callback(self._release_if_acquired)
            raise

    def _release_if_acquired(self, waiting: asyncio.Future[None]) -> None:
        if not waiting.cancelled() and waiting.exception() is None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def _commit_batch(self) -> None:
        batch, self._batch = self._batch, None
        assert batch is not None
        try:
            self._conn.execute("COMMIT")
        except BaseException as exc:  # noqa: BLE001 - e.g. disk full: every write in the batch fails
            log.error("metadata commit failed: %s", exc)
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            batch.set_exception(exc)
        else:
            self._committed += 1
            batch.set_result(self._committed)
        finally:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    async def _durable(self, commit: int) -> None:
        """Wait until an fsync that started after ``commit`` has finished (one fsync serves many)."""
        while self._synced < commit:
            if self._sync_task is None:
                self._sync_task = asyncio.create_task(self._sync())
            await asyncio.shield(self._sync_task)

    async def _sync(self) -> None:
        covered = self._committed
        try:
            await asyncio.to_thread(fsync_path, self._path + "-wal")
            self._synced = max(self._synced, covered)
        except OSError:
            log.exception("fsync of the metadata WAL failed")
            raise
        finally:
            self._sync_task = None

    def close(self) -> None:
        self._conn.close()
        os.close(self._lock_fd)
