"""The SQLite dialect of the catalog: migrations, reads, snapshots; writes go through the writer.

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
from typing import TypeVar

from storage_backends.base import BucketInfo, ObjectInfo
from storage_backends.catalog.records import (
    BlobRecord,
    DueRow,
    Extent,
    Fold,
    ListedVersion,
    ObjectRecord,
    PartRecord,
    UploadRecord,
)
from storage_backends.catalog.sql import (
    blobs,
    buckets,
    iam,
    leases,
    lifecycle,
    notifications,
    objects,
    settings,
    uploads,
    usage,
)
from storage_backends.catalog.sqlite_writer import BUSY_TIMEOUT_S, Writer, connect, write_lock
from storage_backends.catalog.store import FreedBlobs, Tx
from storage_backends.identity import IdentityState
from storage_backends.outbox import OutboxEvent, TargetCounts, Topic
from storage_backends.space import DATA, is_disk_full, refuse
from storage_backends.usage import StoredUsage, UsageReport

T = TypeVar("T")
log = logging.getLogger("s3gate.catalog")

SCAN_BATCH = 1000


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


class SqliteSnapshot:
    """A read connection of its own, so a long scan neither sees nor blocks the requests' reads."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    async def lifecycle_configs(self) -> list[tuple[str, str]]:
        return buckets.configs_of_kind(self._conn, "lifecycle")

    async def versioning(self, bucket: str) -> tuple[bool, str | None]:
        info = buckets.get(self._conn, bucket)
        return (info is not None, info.versioning if info is not None else None)

    async def _stream(self, query: lifecycle.Query) -> AsyncIterator[list[DueRow]]:
        cursor = self._conn.execute(*query)
        try:
            while rows := cursor.fetchmany(SCAN_BATCH):
                yield [DueRow(*r) for r in rows]
        finally:
            cursor.close()

    def due_current(self, bucket: str, prefix: str, cutoff: int, classes: tuple[str, ...]
                    ) -> AsyncIterator[list[DueRow]]:
        return self._stream(lifecycle.due_current(bucket, prefix, cutoff, classes))

    def due_noncurrent(self, bucket: str, prefix: str, cutoff: int, keep: int, classes: tuple[str, ...]
                       ) -> AsyncIterator[list[DueRow]]:
        return self._stream(lifecycle.due_noncurrent(bucket, prefix, cutoff, keep, classes))

    def lonely_markers(self, bucket: str, prefix: str) -> AsyncIterator[list[DueRow]]:
        return self._stream(lifecycle.lonely_markers(bucket, prefix))

    def due_uploads(self, bucket: str, prefix: str, cutoff: int) -> AsyncIterator[list[DueRow]]:
        return self._stream(lifecycle.due_uploads(bucket, prefix, cutoff))


def _disk_full(exc: BaseException) -> bool:
    """SQLITE_FULL ("database or disk is full"), or ENOSPC from the WAL's fsync."""
    return getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL or is_disk_full(exc)


async def no_files(blob_ids: list[str]) -> None:
    """The default ``on_freed``: nothing on disk to delete (tests, benchmarks)."""


def _nobody() -> None:
    """The default ``on_emitted``: no dispatcher listens in this process."""


class SqliteCatalog:
    """The catalog in one SQLite file (WAL), shared by the worker processes of a data directory."""

    def __init__(self, path: str, *, on_freed: FreedBlobs = no_files) -> None:
        migrate(path)
        self.path = path
        self._read = connect(path, readonly=True)  # event loop thread only; results always fully consumed
        self._writer = Writer(path)
        self._on_freed = on_freed
        self.on_emitted: Callable[[], None] = _nobody

    async def aclose(self) -> None:
        self._writer.close()
        self._read.close()
        self._writer.close_index()

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
        if tx.emitted:
            self.on_emitted()
        if tx.freed:
            await self._collect(tx.freed)
        return result

    async def _collect(self, blob_ids: list[str]) -> None:
        await self._on_freed(blob_ids)
        try:
            await self._writer.run(lambda tx: blobs.forget_garbage(tx, blob_ids), Tx(self._writer.conn))
        except (sqlite3.OperationalError, OSError) as exc:  # the files are gone: start-up forgets their rows
            if not _disk_full(exc):
                raise
            log.warning("freed blob rows stay pending until the next start-up: %s", exc)

    async def outbox_pending(self, target: str, limit: int) -> list[OutboxEvent]:
        return notifications.pending(self._read, target, limit)

    async def outbox_targets(self) -> list[str]:
        return notifications.targets_pending(self._read)

    async def topics(self) -> list[Topic]:
        return notifications.topics(self._read)

    async def outbox_counts(self) -> list[TargetCounts]:
        return notifications.counts(self._read)

    async def dead_letters(self, limit: int) -> list[tuple[OutboxEvent, str, int]]:
        return notifications.dead_letters(self._read, limit)

    async def usage_stored(self) -> list[StoredUsage]:
        return usage.stored(self._read)

    async def usage(self) -> UsageReport:
        return usage.report(self._read)

    async def lease(self, name: str, holder: str, ttl_s: float, *, replacing: str | None = None) -> bool:
        ttl_ms = max(1, int(ttl_s * 1000))
        return await self.write(lambda tx: leases.take(tx, name, holder, time.time_ns() // 1_000_000, ttl_ms,
                                                       replacing))

    async def lease_holder(self, name: str) -> str | None:
        return leases.holder(self._read, name, time.time_ns() // 1_000_000)

    async def release(self, name: str, holder: str) -> None:
        await self.write(lambda tx: leases.release(tx, name, holder))

    # -- reads --------------------------------------------------------------------------------------
    async def bucket(self, name: str) -> BucketInfo | None:
        return buckets.get(self._read, name)

    async def buckets(self, owner_id: str | None, prefix: str, after: str, limit: int) -> list[BucketInfo]:
        return buckets.page(self._read, owner_id, prefix, after, limit)

    async def config(self, bucket: str, kind: str) -> str | None:
        return buckets.config(self._read, bucket, kind)

    async def object_row(self, bucket: str, key: str, version_id: str | None) -> ObjectRecord | None:
        return objects.get(self._read, bucket, key, version_id)

    async def list_latest(self, bucket: str, cursor: tuple[str, bool], upper: str | None, limit: int,
                          fold: Fold | None = None) -> list[ObjectInfo]:
        return objects.list_latest(self._read, bucket, cursor, upper, limit, fold)

    async def list_versions(self, bucket: str, cursor: tuple[str, int, bool], upper: str | None, limit: int,
                            fold: Fold | None = None) -> list[ListedVersion]:
        return objects.list_versions(self._read, bucket, cursor, upper, limit, fold)

    async def version_position(self, bucket: str, key: str, version_id: str) -> int | None:
        return objects.version_position(self._read, bucket, key, version_id)

    async def count_versions(self, bucket: str) -> int:
        return objects.count(self._read, bucket)

    async def inline(self, object_id: int) -> bytes:
        return objects.inline(self._read, object_id)

    async def extents(self, object_id: int) -> list[Extent]:
        return objects.extents(self._read, object_id)

    async def blob(self, blob_id: str) -> BlobRecord | None:
        return blobs.get(self._read, blob_id)

    async def blobs_to_move(self, object_ids: list[int], target: str) -> list[tuple[str, str]]:
        return blobs.to_move(self._read, object_ids, target)

    async def file_blobs(self) -> set[tuple[str, str]]:
        """Every (blob id, volume) kept as a file: a full scan, so in a thread on its own connection."""
        def scan() -> set[tuple[str, str]]:
            conn = connect(self.path, readonly=True)
            try:
                return blobs.file_blobs(conn)
            finally:
                conn.close()

        return await asyncio.to_thread(scan)

    async def upload(self, bucket: str, key: str, upload_id: str) -> UploadRecord:
        return uploads.get(self._read, bucket, key, upload_id)

    async def upload_initiated(self, upload_id: str) -> int | None:
        return uploads.initiated(self._read, upload_id)

    async def parts(self, upload_id: str, marker: int, limit: int) -> list[PartRecord]:
        return uploads.parts(self._read, upload_id, marker, limit)

    async def uploads(self, bucket: str, cursor: tuple[str, int, str, bool], upper: str | None, limit: int,
                      fold: Fold | None = None) -> list[UploadRecord]:
        return uploads.page(self._read, bucket, cursor, upper, limit, fold)

    async def setting(self, name: str) -> str | None:
        return settings.get(self._read, name)

    async def iam_generation(self) -> int:
        return iam.generation(self._read)

    async def iam_state(self) -> IdentityState:
        return iam.state(self._read)

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[SqliteSnapshot]:
        conn = connect(self.path, readonly=True)
        try:
            yield SqliteSnapshot(conn)
        finally:
            conn.close()
