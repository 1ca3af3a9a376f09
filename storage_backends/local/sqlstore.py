"""SQLite plumbing: durable settings, schema migrations, and a group-committing writer.

Reads run on the caller's thread with their own connection (WAL lets them proceed while a
write commits). Writes are closures ``fn(conn) -> T`` handed to one writer thread, which runs
every closure waiting in its queue inside one transaction, each under its own SAVEPOINT (so one
closure's failure rolls back only its own changes), then COMMITs once. With
``synchronous=FULL`` a COMMIT is an fsync of the WAL, so N concurrent PUTs cost one fsync, not N,
and a closure's result is delivered only after its changes are durable.

The SQL used elsewhere sticks to what SQLite and PostgreSQL share (``ON CONFLICT``, partial
indexes, ``?`` placeholders that a driver shim can rewrite).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from importlib import resources
from typing import Any, TypeVar

T = TypeVar("T")
log = logging.getLogger("s3gate.sqlstore")

MAX_BATCH = 128
BUSY_TIMEOUT_S = 30.0


def connect(path: str, *, readonly: bool = False) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")  # a COMMIT survives power loss, not just a crash
    conn.execute("PRAGMA foreign_keys=OFF")
    conn.execute("PRAGMA cache_size=-16384")  # 16 MiB page cache per connection
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
    """One thread that owns the write connection and commits queued closures in groups."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._queue: queue.SimpleQueue[tuple[Callable[[sqlite3.Connection], Any], Future[Any]] | None] = (
            queue.SimpleQueue())
        self._thread = threading.Thread(target=self._run, name="s3gate-sqlite-writer", daemon=True)
        self._thread.start()

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        future: Future[T] = Future()
        self._queue.put((fn, future))
        return await asyncio.wrap_future(future)

    def run_sync(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        future: Future[T] = Future()
        self._queue.put((fn, future))
        return future.result()

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=30)

    def _run(self) -> None:
        conn = connect(self._path)
        try:
            while True:
                first = self._queue.get()
                if first is None:
                    return
                batch = [first]
                stop = False
                while len(batch) < MAX_BATCH:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is None:
                        stop = True
                        break
                    batch.append(item)
                self._commit(conn, batch)
                if stop:
                    return
        finally:
            conn.close()

    def _begin(self, conn: sqlite3.Connection) -> None:
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:  # another process holds the write lock
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.005)

    def _commit(self, conn: sqlite3.Connection,
                batch: list[tuple[Callable[[sqlite3.Connection], Any], Future[Any]]]) -> None:
        outcomes: list[tuple[Future[Any], Any, BaseException | None]] = []
        try:
            self._begin(conn)
            for fn, future in batch:
                conn.execute("SAVEPOINT op")
                try:
                    result = fn(conn)
                except BaseException as exc:  # noqa: BLE001 - delivered to the awaiting request
                    conn.execute("ROLLBACK TO op")
                    conn.execute("RELEASE op")
                    outcomes.append((future, None, exc))
                else:
                    conn.execute("RELEASE op")
                    outcomes.append((future, result, None))
            conn.execute("COMMIT")
        except BaseException as exc:  # noqa: BLE001 - e.g. disk full: nothing in the batch committed
            log.error("metadata commit failed: %s", exc)
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            outcomes = [(future, None, exc) for _, future in batch]
        for future, result, error in outcomes:
            if error is None:
                future.set_result(result)
            else:
                future.set_exception(error)
