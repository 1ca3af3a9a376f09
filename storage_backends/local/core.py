"""What every part of the local backend shares: the stores, the write path, the clock.

``LocalBackend`` is assembled from operation families (``objects``, ``multipart``,
``archive``) that all build on :class:`LocalCore`. One process per data directory also runs
the maintenance work: finishing interrupted deletions, sweeping orphans, and the periodic
lifecycle pass.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from gateway.wire.errors import Code, S3Error
from gateway.wire.lifecycle_rules import DAY_MS, Clock, Configuration, expiration_of
from storage_backends.base import BucketInfo, ObjectInfo, Restore
from storage_backends.local import metadata as md
from storage_backends.local.blobs import BlobStore

log = logging.getLogger("s3gate.local")
T = TypeVar("T")

INLINE_MAX = 64 * 1024
ORPHAN_AGE_S = 3600.0  # a blob file this old that no metadata names is a crash leftover
LIFECYCLE_KIND = "lifecycle"
BUCKET_TTL_S = 1.0
BUCKET_CACHE_SIZE = 10_000


class LocalCore:
    def __init__(self, data_dir: str | Path, *, inline_max: int = INLINE_MAX,
                 class_dirs: dict[str, Path] | None = None, lifecycle_day_seconds: float = 86400.0,
                 restore_delay_seconds: float = 5.0) -> None:
        self.root = Path(data_dir)
        self.blobs = BlobStore(self.root, inline_max, class_dirs)
        self.meta: md.Metadata | None = None
        self.day_ms = max(1, int(lifecycle_day_seconds * 1000)) if lifecycle_day_seconds else DAY_MS
        self.restore_delay_ms = int(restore_delay_seconds * 1000)
        self._maintenance_fd: int | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._lifecycle_lock = asyncio.Lock()
        self._buckets: dict[str, tuple[float, BucketInfo, Configuration | None]] = {}

    # -- life cycle -----------------------------------------------------------------------------
    async def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.blobs.open()
        self.meta = md.Metadata(str(self.root / "metadata.db"))
        if self._claim_maintenance():
            self._spawn(self._recover())
            self._spawn(self._lifecycle_loop())

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.meta is not None:
            self.meta.close()
        self.blobs.close()
        if self._maintenance_fd is not None:
            os.close(self._maintenance_fd)

    def _spawn(self, coro: object) -> None:
        task: asyncio.Task[None] = asyncio.create_task(coro)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _claim_maintenance(self) -> bool:
        """One process per data directory does recovery and sweeping (workers share the directory)."""
        fd = os.open(self.root / "maintenance.lock", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._maintenance_fd = fd
        return True

    async def _recover(self) -> None:
        """Finish deletions a crash interrupted, then remove blob files no metadata names."""
        m = self._meta
        pending = await m.writer.run(md.tx_pending_garbage)
        if pending:
            await self._collect(pending)
        removed = await asyncio.to_thread(self.blobs.sweep_orphans, m.file_blobs(), ORPHAN_AGE_S)
        if removed:
            log.info("removed %d orphaned blob files", removed)

    async def _lifecycle_loop(self) -> None:
        """Apply lifecycle rules periodically: a few times per (possibly shortened) day."""
        interval = min(max(self.day_ms / 4000, 0.5), 3600.0)
        while True:
            await asyncio.sleep(interval)
            try:
                await self.lifecycle_pass()
            except Exception:  # noqa: BLE001 - the next pass retries; the log says why
                log.exception("lifecycle pass failed")

    async def lifecycle_pass(self) -> dict[str, int]:
        raise NotImplementedError  # provided by the archive operations

    # -- shared helpers -------------------------------------------------------------------------
    @property
    def _meta(self) -> md.Metadata:
        assert self.meta is not None, "LocalBackend.start() first"
        return self.meta

    async def _write(self, fn: Callable[[sqlite3.Connection, list[str]], T]) -> T:
        """Run a write transaction; afterwards delete the blob files it freed."""
        garbage: list[str] = []
        result = await self._meta.writer.run(lambda conn: fn(conn, garbage))
        if garbage:
            await self._collect(garbage)
        return result

    async def _collect(self, blob_ids: list[str]) -> None:
        await self.blobs.delete(blob_ids)
        await self._meta.writer.run(lambda conn: md.tx_forget_garbage(conn, blob_ids))

    def clock(self) -> Clock:
        """The lifecycle clock, with the offset the admin endpoint may have advanced (shared by workers)."""
        return Clock(self.day_ms, int(self._meta.setting(md.CLOCK_OFFSET) or 0))

    def _bucket_state(self, name: str) -> tuple[BucketInfo, Configuration | None]:
        """A bucket and its lifecycle rules, cached for a second.

        Every request needs them, so they are read once a second rather than once a request.
        Changes made through this process are seen at once; those made through another worker
        process within a second, as S3's bucket configuration is eventually consistent too.
        Writes re-check the bucket inside their transaction whatever this says.
        """
        now = time.monotonic()
        hit = self._buckets.get(name)
        if hit is not None and hit[0] > now:
            return hit[1], hit[2]
        info = self._meta.bucket(name)
        if info is None:
            self._buckets.pop(name, None)
            raise S3Error(Code.NoSuchBucket, BucketName=name)
        document = self._meta.config(name, LIFECYCLE_KIND)
        config = Configuration.from_json(document) if document else None
        if len(self._buckets) > BUCKET_CACHE_SIZE:
            self._buckets.clear()
        self._buckets[name] = (now + BUCKET_TTL_S, info, config)
        return info, config

    def _forget_bucket(self, name: str) -> None:
        self._buckets.pop(name, None)

    def _bucket(self, name: str) -> BucketInfo:
        return self._bucket_state(name)[0]

    def _lifecycle(self, bucket: str) -> Configuration | None:
        return self._bucket_state(bucket)[1]

    def _describe(self, row: sqlite3.Row, bucket: BucketInfo) -> ObjectInfo:
        """ObjectInfo plus what depends on the lifecycle clock: expiration and restore state."""
        info = md.object_info(row, bucket.versioning)
        if row["restore_ready"] is None and not info.is_latest:
            return info
        clock: Clock | None = None
        if row["restore_ready"] is not None:
            clock = self.clock()
            info.restore = Restore(clock.now_ms() < row["restore_ready"], row["restore_expiry"])
        if info.is_latest and not info.delete_marker:
            config = self._lifecycle(bucket.name)
            if config is not None:
                info.expiration = expiration_of(config, info.key, info.size, info.tags, info.last_modified_ms,
                                                clock or self.clock())
        return info
