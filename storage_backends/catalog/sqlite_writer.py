"""Connections to the SQLite catalog, and its writer: group commits, the workers' write lock, WAL syncs.

Writes run on the event loop thread, grouped into shared transactions (see :class:`Writer`):
SQLite in WAL mode with ``synchronous=NORMAL`` writes a commit to the WAL file without syncing
it, and durability comes right after from an ``fdatasync`` of the WAL in a worker thread that
every commit made meanwhile shares; checkpoints run in a thread too. So N concurrent PUTs cost
one commit and one fsync, and the writes never wait on a second thread for the GIL.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import mmap
import os
import sqlite3
import struct
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar, cast

from storage_backends.catalog.records import common_prefix, successor
from storage_backends.catalog.store import Tx

T = TypeVar("T")
log = logging.getLogger("s3gate.catalog")

BUSY_TIMEOUT_S = 30.0
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


def write_lock(path: str) -> int:
    """The descriptor of ``<db>.write-lock``, which the processes sharing a catalog ``flock`` to write."""
    return os.open(path + ".write-lock", os.O_CREAT | os.O_RDWR, 0o600)


class WalIndex:
    """What a checkpoint would do, read from SQLite's shared-memory wal-index (``<db>-shm``).

    Its header (https://www.sqlite.org/walformat.html, native byte order) holds ``mxFrame``, the
    WAL's last valid frame (offset 16), and ``nBackfill``, how many of them a checkpoint has
    copied into the database (offset 96): a read of two words, where asking SQLite would be a query.
    """

    def __init__(self, path: str) -> None:
        # The descriptor stays open until the process's SQLite connections are closed: closing any
        # descriptor of a file drops every POSIX lock the process holds on it, SQLite's on the
        # wal-index included, and another process would then re-initialise it under our connections
        # (SQLITE_PROTOCOL, "locking protocol").
        self._fd = os.open(path + "-shm", os.O_RDONLY)
        self._map = mmap.mmap(self._fd, 128, prot=mmap.PROT_READ)

    def unchecked(self) -> int:
        """WAL frames not yet checkpointed (a racy read: a hint, never a decision that matters for data)."""
        frames, backfilled = struct.unpack_from("=I", self._map, 16)[0], struct.unpack_from("=I", self._map, 96)[0]
        return int(frames - backfilled)

    def close(self) -> None:
        """Only after every SQLite connection of this process to the catalog is closed (see __init__)."""
        self._map.close()
        os.close(self._fd)


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
        self._threads.shutdown()  # first: a checkpoint or sync in flight finishes on what it uses
        if self._checkpointer is not None:
            self._checkpointer.close()
        self.conn.close()
        if self._wal_fd is not None:
            os.close(self._wal_fd)
        os.close(self._lock_fd)

    def close_index(self) -> None:
        """The wal-index's descriptor, last: once the catalog's read connection is closed too."""
        self._wal_index.close()
