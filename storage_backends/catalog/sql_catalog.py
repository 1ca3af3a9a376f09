"""What both dialects do alike: every read, leases, snapshots' scans, the steps after a commit.

A dialect says how a read reaches its database (:meth:`SqlCatalog._read`: SQLite inline on the event
loop, PostgreSQL in a thread on a pooled connection), how a write commits, and what its clock is.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

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
from storage_backends.catalog.store import Executor, FreedBlobs, Tx
from storage_backends.identity import IdentityState
from storage_backends.outbox import OutboxEvent, TargetCounts, Topic
from storage_backends.usage import StoredUsage, UsageReport

T = TypeVar("T")
log = logging.getLogger("s3gate.catalog")

SCAN_BATCH = 1000
Run = Callable[[Callable[[], Any]], Awaitable[Any]]  # runs a call against a snapshot's connection


async def inline(fn: Callable[[], T]) -> T:
    """A ``Run`` for a connection used on the event loop itself (SQLite)."""
    return fn()


async def no_files(blob_ids: list[str]) -> None:
    """The default ``on_freed``: nothing on disk to delete (tests, benchmarks)."""


def _nobody() -> None:
    """The default ``on_emitted``: no dispatcher listens in this process."""


class SqlSnapshot:
    """A consistent read view on a connection of its own, so a long scan neither sees nor blocks requests."""

    def __init__(self, ex: Executor, run: Run = inline) -> None:
        self._ex = ex
        self._run = run

    async def lifecycle_configs(self) -> list[tuple[str, str]]:
        return list(await self._run(lambda: buckets.configs_of_kind(self._ex, "lifecycle")))

    async def versioning(self, bucket: str) -> tuple[bool, str | None]:
        info: BucketInfo | None = await self._run(lambda: buckets.get(self._ex, bucket))
        return (info is not None, info.versioning if info is not None else None)

    async def _stream(self, query: lifecycle.Query) -> AsyncIterator[list[DueRow]]:
        cursor = await self._run(lambda: self._ex.execute(*query))
        try:
            while rows := await self._run(lambda: cursor.fetchmany(SCAN_BATCH)):
                yield [DueRow(*r) for r in rows]
        finally:
            await self._run(cursor.close)

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


class SqlCatalog:
    """The reads and the after-commit steps of a catalog whose SQL is ``catalog.sql``'s."""

    def __init__(self, on_freed: FreedBlobs) -> None:
        self._on_freed = on_freed
        self.on_emitted: Callable[[], None] = _nobody
        self._on_change: list[Callable[[str | None], None]] = []

    # -- the dialect's part
    async def _read(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(executor, *args)`` on a read connection."""
        raise NotImplementedError

    async def write(self, fn: Callable[[Tx], T]) -> T:
        raise NotImplementedError

    def _clock_ms(self, ex: Executor) -> int:
        """The clock leases expire by (PostgreSQL: the database's, the same for every gateway)."""
        raise NotImplementedError

    async def _forget_garbage(self, blob_ids: list[str]) -> None:
        await self.write(lambda tx: blobs.forget_garbage(tx, blob_ids))

    # -- after a commit
    def on_change(self, callback: Callable[[str | None], None]) -> None:
        self._on_change.append(callback)

    def _changed(self, bucket: str | None) -> None:
        for callback in self._on_change:
            try:
                callback(bucket)
            except Exception:  # noqa: BLE001 - a cache's bug must not fail the write that committed
                log.exception("bucket change callback failed")

    async def _committed(self, tx: Tx) -> None:
        """What a durable commit sets off: the dispatcher woken, change callbacks, freed blob files deleted."""
        if tx.emitted:
            self.on_emitted()
        for bucket in tx.changed:
            self._changed(bucket)
        if tx.freed:
            await self._on_freed(tx.freed)
            await self._forget_garbage(tx.freed)

    # -- leases
    async def lease(self, name: str, holder: str, ttl_s: float, *, replacing: str | None = None) -> bool:
        ttl_ms = max(1, int(ttl_s * 1000))
        return await self.write(lambda tx: leases.take(tx, name, holder, self._clock_ms(tx), ttl_ms, replacing))

    async def lease_holder(self, name: str) -> str | None:
        return await self._read(lambda ex: leases.holder(ex, name, self._clock_ms(ex)))

    async def release(self, name: str, holder: str) -> None:
        await self.write(lambda tx: leases.release(tx, name, holder))

    # -- reads
    async def outbox_pending(self, target: str, limit: int) -> list[OutboxEvent]:
        return await self._read(notifications.pending, target, limit)

    async def outbox_targets(self) -> list[str]:
        return await self._read(notifications.targets_pending)

    async def topics(self) -> list[Topic]:
        return await self._read(notifications.topics)

    async def outbox_counts(self) -> list[TargetCounts]:
        return await self._read(notifications.counts)

    async def dead_letters(self, limit: int) -> list[tuple[OutboxEvent, str, int]]:
        return await self._read(notifications.dead_letters, limit)

    async def usage_stored(self) -> list[StoredUsage]:
        return await self._read(usage.stored)

    async def usage(self) -> UsageReport:
        return await self._read(usage.report)

    async def bucket(self, name: str) -> BucketInfo | None:
        return await self._read(buckets.get, name)

    async def buckets(self, owner_id: str | None, prefix: str, after: str, limit: int) -> list[BucketInfo]:
        return await self._read(buckets.page, owner_id, prefix, after, limit)

    async def config(self, bucket: str, kind: str) -> str | None:
        return await self._read(buckets.config, bucket, kind)

    async def object_row(self, bucket: str, key: str, version_id: str | None) -> ObjectRecord | None:
        return await self._read(objects.get, bucket, key, version_id)

    async def list_latest(self, bucket: str, cursor: tuple[str, bool], upper: str | None, limit: int,
                          fold: Fold | None = None) -> list[ObjectInfo]:
        return await self._read(objects.list_latest, bucket, cursor, upper, limit, fold)

    async def list_versions(self, bucket: str, cursor: tuple[str, int, bool], upper: str | None, limit: int,
                            fold: Fold | None = None) -> list[ListedVersion]:
        return await self._read(objects.list_versions, bucket, cursor, upper, limit, fold)

    async def version_position(self, bucket: str, key: str, version_id: str) -> int | None:
        return await self._read(objects.version_position, bucket, key, version_id)

    async def count_versions(self, bucket: str) -> int:
        return await self._read(objects.count, bucket)

    async def inline(self, object_id: int) -> bytes:
        return await self._read(objects.inline, object_id)

    async def extents(self, object_id: int) -> list[Extent]:
        return await self._read(objects.extents, object_id)

    async def blob(self, blob_id: str) -> BlobRecord | None:
        return await self._read(blobs.get, blob_id)

    async def blobs_to_move(self, object_ids: list[int], target: str) -> list[tuple[str, str]]:
        return await self._read(blobs.to_move, object_ids, target)

    async def upload(self, bucket: str, key: str, upload_id: str) -> UploadRecord:
        return await self._read(uploads.get, bucket, key, upload_id)

    async def upload_initiated(self, upload_id: str) -> int | None:
        return await self._read(uploads.initiated, upload_id)

    async def parts(self, upload_id: str, marker: int, limit: int) -> list[PartRecord]:
        return await self._read(uploads.parts, upload_id, marker, limit)

    async def uploads(self, bucket: str, cursor: tuple[str, int, str, bool], upper: str | None, limit: int,
                      fold: Fold | None = None) -> list[UploadRecord]:
        return await self._read(uploads.page, bucket, cursor, upper, limit, fold)

    async def setting(self, name: str) -> str | None:
        return await self._read(settings.get, name)

    async def iam_generation(self) -> int:
        return await self._read(iam.generation)

    async def iam_state(self) -> IdentityState:
        return await self._read(iam.state)
