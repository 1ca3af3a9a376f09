"""The SQLite dialect of the catalog: connections, migrations, and the group-syncing writer.

Writes run on the event loop thread, grouped into shared transactions (see :class:`Writer`):
SQLite in WAL mode with ``synchronous=NORMAL`` writes a commit to the WAL file without syncing
it, and durability comes right after from an ``fdatasync`` of the WAL in a worker thread that
every commit made meanwhile shares; checkpoints run in a thread too. So N concurrent PUTs cost
one commit and one fsync, and the writes never wait on a second thread for the GIL. Reads are
indexed lookups run inline on the event loop (``async`` only to match the interface); long scans
get their own snapshot.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import mmap
import os
import sqlite3
import struct
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any, TypeVar, cast

from storage_backends.base import BucketInfo, IdentityState, ObjectInfo
from storage_backends.catalog.records import (
    BlobRecord,
    DueRow,
    Extent,
    Fold,
    ListedVersion,
    ObjectRecord,
    PartRecord,
    UploadRecord,
    common_prefix,
    successor,
)
from storage_backends.catalog.sql import blobs, buckets, iam, leases, lifecycle, objects, settings, uploads
from storage_backends.catalog.store import Event, FreedBlobs, Tx
from storage_backends.space import DATA, is_disk_full, refuse

T = TypeVar("T")
log = logging.getLogger("s3gate.catalog")

BUSY_TIMEOUT_S = 30.0
SCAN_BATCH = 1000
CHECKPOINT_FRAMES = 1000  # SQLite's own auto-checkpoint threshold (WAL frames not yet in the database)


def connect(path: str, *, readonly: bool = False) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    # Commits are made durable by Writer's fdatasync of the WAL (checkpoints still sync the database).
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=OFF")
    conn.execute("PRAGMA cache_size=-4096")  # 4 MiB page cache per connection (the OS caches the file too)
    # what delimiter listings skip by (catalog.sql.listing)
    conn.create_function("s3gate_fold", 3, common_prefix, deterministic=True)
    conn.create_function("s3gate_successor", 1, successor, deterministic=True)
    if readonly:
        conn.execute("PRAGMA query_only=ON")
    return conn


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
        folder = resources.files("storage_backends.catalog").joinpath("schema").joinpath("sqlite")
        scripts = sorted((int(entry.name.split("_", 1)[0]), entry) for entry in folder.iterdir()
                         if entry.name.endswith(".sql"))
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


def write_lock(path: str) -> int:
    """The descriptor of ``<db>.write-lock``, which the processes sharing a catalog ``flock`` to write."""
    return os.open(path + ".write-lock", os.O_CREAT | os.O_RDWR, 0o600)


def fsync_path(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class WalIndex:
    """What a checkpoint would do, read from SQLite's shared-memory wal-index (``<db>-shm``).

    Its header (https://www.sqlite.org/walformat.html, native byte order) holds ``mxFrame``, the
    WAL's last valid frame (offset 16), and ``nBackfill``, how many of them a checkpoint has
    copied into the database (offset 96): a read of two words, where asking SQLite would be a query.
    """

    def __init__(self, path: str) -> None:
        fd = os.open(path + "-shm", os.O_RDONLY)
        try:
            self._map = mmap.mmap(fd, 128, prot=mmap.PROT_READ)
        finally:
            os.close(fd)

    def unchecked(self) -> int:
        """WAL frames not yet checkpointed (a racy read: a hint, never a decision that matters for data)."""
        frames, backfilled = struct.unpack_from("=I", self._map, 16)[0], struct.unpack_from("=I", self._map, 96)[0]
        return int(frames - backfilled)

    def close(self) -> None:
        self._map.close()


Pending = tuple[Callable[[Tx], Any], Tx, "asyncio.Future[tuple[Any, int]]"]


class Writer:
    """Runs writes on the event loop in shared transactions made durable by shared WAL fsyncs.

    Writes queue up during a loop iteration; at its end one transaction runs them all, each
    under its own SAVEPOINT (a failing write rolls back only itself), then one COMMIT, and one
    fsync of the WAL in a worker thread serves them all. A write's caller is answered only once
    that fsync has covered its commit. While an fsync is in flight, writes keep queuing and
    commit together when it ends: a commit made during it would wait for the next fsync anyway,
    so this costs no latency, and it saves a commit (its WAL frames, its turn of the lock) per
    loop iteration that would have committed meanwhile.

    Worker processes sharing the database take turns through an ``flock`` on ``<db>.write-lock``,
    held only while a batch runs its SQL and commits (never across the rest of a loop iteration).
    A worker that finds the lock taken waits for it in a thread, and every write that queues up
    meanwhile joins the batch it then runs: under contention batches grow instead of shrinking.
    The waiter wakes the moment the lock is free, where SQLite's own busy handler would sleep in
    growing steps (tens of milliseconds under contention).

    Checkpoints (copying the WAL into the database, two fdatasyncs) would run inside a COMMIT on
    the event loop, stalling every request for milliseconds. They run instead in that thread,
    holding the lock, before the next batch: no commit races them (so the WAL restarts from its
    start afterwards, it never grows without bound) and the event loop serves requests meanwhile.
    """

    def __init__(self, path: str) -> None:
        self._path = path
        self.conn = connect(path)
        self._lock_fd = write_lock(path)
        self._wal_index = WalIndex(path)
        self.conn.execute("PRAGMA wal_autocheckpoint=0")  # see _lock_and_checkpoint
        self._checkpointer: sqlite3.Connection | None = None  # used in the lock-waiting thread only
        self._pending: list[Pending] = []  # the next batch
        self._flushing = False  # a batch is scheduled, or waiting for the lock
        self._committed = 0  # transactions committed by this process
        self._synced = 0  # of those, how many an fsync has covered
        self._sync_task: asyncio.Task[None] | None = None
        self._sync_waiters: list[tuple[int, asyncio.Future[None]]] = []  # (commit, its caller)
        self._wal_fd: int | None = None
        # Its own threads (a WAL sync, a lock wait): never queued behind the bodies' hashing and writes.
        self._threads = ThreadPoolExecutor(2, thread_name_prefix="s3gate-metadata")

    async def run(self, fn: Callable[[Tx], T], tx: Tx) -> T:
        """Run ``fn(tx)`` in the next shared transaction; return once its commit is durable."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[tuple[Any, int]] = loop.create_future()
        self._pending.append((fn, tx, done))
        if not self._flushing and self._sync_task is None:  # (else the sync's end flushes)
            self._flushing = True
            loop.call_soon(self._flush)
        result, commit = await done
        await self._durable(commit)
        return cast(T, result)

    def _flush(self) -> None:
        if self._wal_index.unchecked() < CHECKPOINT_FRAMES:
            try:
                fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # another worker process is writing: wait off the loop
                pass
            else:
                self._run_batch()
                return
        asyncio.get_running_loop().create_task(self._flush_in_turn())

    async def _flush_in_turn(self) -> None:
        try:
            await asyncio.get_running_loop().run_in_executor(self._threads, self._lock_and_checkpoint)
        except BaseException as exc:
            self._fail(self._take_batch(), exc)
            raise
        self._run_batch()

    def _lock_and_checkpoint(self) -> None:
        """In a thread: wait for the lock, then checkpoint the WAL if it is due."""
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        if self._wal_index.unchecked() < CHECKPOINT_FRAMES:
            return
        try:
            if self._checkpointer is None:
                self._checkpointer = connect(self._path)
            self._checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error as exc:  # the next batch commits all the same; a later turn retries
            log.warning("metadata checkpoint failed: %s", exc)

    def _take_batch(self) -> list[Pending]:
        batch, self._pending = self._pending, []
        self._flushing = False
        return batch

    def _run_batch(self) -> None:
        """With the lock held: one transaction for every queued write, committed, then unlocked."""
        batch = self._take_batch()
        conn = self.conn
        ran: list[tuple[asyncio.Future[tuple[Any, int]], Any]] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            for fn, tx, done in batch:
                if done.cancelled():  # its caller gave up (and may have deleted what it refers to)
                    continue
                conn.execute("SAVEPOINT op")
                try:
                    result = fn(tx)
                except Exception as exc:  # noqa: BLE001 - the caller's error: it alone rolls back
                    conn.execute("ROLLBACK TO op")
                    conn.execute("RELEASE op")
                    done.set_exception(exc)
                    continue
                conn.execute("RELEASE op")
                ran.append((done, result))
            conn.execute("COMMIT")
        except BaseException as exc:  # noqa: BLE001 - e.g. disk full: every write in the batch fails
            log.error("metadata commit failed: %s", exc)
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            self._fail(batch, exc)
        else:
            self._committed += 1
            for done, result in ran:
                if not done.done():
                    done.set_result((result, self._committed))
            if self._sync_task is None:  # the fsync starts now, not once a caller asks for it
                self._sync_task = asyncio.get_running_loop().create_task(self._sync())
        finally:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    @staticmethod
    def _fail(batch: list[Pending], exc: BaseException) -> None:
        for _, _, done in batch:
            if not done.done():
                done.set_exception(exc)

    async def _durable(self, commit: int) -> None:
        """Wait until an fsync that started after ``commit`` has finished (one fsync serves many)."""
        if self._synced >= commit:
            return
        waiter = asyncio.get_running_loop().create_future()
        self._sync_waiters.append((commit, waiter))
        if self._sync_task is None:
            self._sync_task = asyncio.create_task(self._sync())
        await waiter

    async def _sync(self) -> None:
        """fdatasync the WAL (its size is the only metadata a commit changes) until every commit is
        covered; then the writes that queued meanwhile commit."""
        loop = asyncio.get_running_loop()
        try:
            while self._synced < self._committed:
                covered = self._committed
                try:
                    if self._wal_fd is None:  # (the WAL exists from the first commit, ours for good)
                        self._wal_fd = os.open(self._path + "-wal", os.O_RDONLY)
                    await loop.run_in_executor(self._threads, os.fdatasync, self._wal_fd)
                except OSError as exc:  # every waiting caller fails; the next write tries again
                    log.error("fsync of the metadata WAL failed: %s", exc)
                    self._settle(self._committed, exc)
                    return
                self._synced = covered
                self._settle(covered, None)
        finally:
            self._sync_task = None
            if self._pending and not self._flushing:
                self._flushing = True
                loop.call_soon(self._flush)

    def _settle(self, covered: int, error: OSError | None) -> None:
        """Answer the callers whose commits ``covered`` includes."""
        waiting, self._sync_waiters = self._sync_waiters, []
        for commit, waiter in waiting:
            if commit > covered:
                self._sync_waiters.append((commit, waiter))
            elif waiter.done():
                continue
            elif error is None:
                waiter.set_result(None)
            else:
                waiter.set_exception(error)

    def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.close()
        self._wal_index.close()
        self.conn.close()
        if self._wal_fd is not None:
            os.close(self._wal_fd)
        os.close(self._lock_fd)
        self._threads.shutdown(wait=False)


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


class SqliteCatalog:
    """The catalog in one SQLite file (WAL), shared by the worker processes of a data directory."""

    def __init__(self, path: str, *, on_freed: FreedBlobs = no_files) -> None:
        migrate(path)
        self.path = path
        self._read = connect(path, readonly=True)  # event loop thread only; results always fully consumed
        self._writer = Writer(path)
        self._on_freed = on_freed
        self._outbox: list[Event] = []

    async def aclose(self) -> None:
        self._writer.close()
        self._read.close()

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
        if tx.events:
            self._outbox.extend(tx.events)
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

    def take_events(self) -> list[Event]:
        """The events committed transactions emitted, oldest first (the outbox is emptied)."""
        events, self._outbox = self._outbox, []
        return events

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
