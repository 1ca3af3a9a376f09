"""Lifecycle configuration, enforcement passes, transitions and archive restores (local backend)."""

from __future__ import annotations

from functools import partial

from gateway.wire.errors import Code, S3Error
from gateway.wire.lifecycle_rules import ARCHIVE_CLASSES, Configuration
from gateway.wire.notification_rules import ORIGIN, SERVICE_ORIGIN
from storage_backends.catalog.sql import blobs as blob_rows
from storage_backends.catalog.sql import buckets as bucket_rows
from storage_backends.catalog.sql import objects as version_rows
from storage_backends.catalog.sql import settings
from storage_backends.catalog.store import Tx
from storage_backends.local.core import LIFECYCLE_KIND
from storage_backends.local.lifecycle_worker import LifecyclePass
from storage_backends.local.multipart import MultipartOps


class ArchiveOps(MultipartOps):
    async def get_bucket_lifecycle(self, bucket: str) -> Configuration | None:
        await self._bucket(bucket)
        return await self._lifecycle(bucket)

    async def put_bucket_lifecycle(self, bucket: str, config: Configuration | None) -> None:
        document = config.to_json() if config is not None else None
        if document is not None:
            self._admit()
        await self._cat.write(lambda tx: bucket_rows.put_config(tx, bucket, LIFECYCLE_KIND, document))

    async def run_lifecycle(self, *, advance_days: float = 0) -> dict[str, object]:
        if advance_days:
            shift = int(advance_days * self.day_ms)
            await self._cat.write(lambda tx: settings.advance_clock(tx, shift))
        report = await self.lifecycle_pass()
        clock = await self.clock()
        return {"now_ms": clock.now_ms(), "offset_days": clock.offset_ms / self.day_ms,
                "day_seconds": self.day_ms / 1000, **report}

    async def lifecycle_pass(self) -> dict[str, int]:
        async with self._lifecycle_lock:  # the periodic pass and an admin-triggered one never overlap
            async with self._cat.snapshot() as snapshot:  # its own snapshot, not the requests'
                worker = LifecyclePass(snapshot, self._cat.write, await self.clock(), self._move_blobs)
                origin = ORIGIN.set(SERVICE_ORIGIN)  # its events are S3's doing, even when an admin asked for it
                try:
                    report = (await worker.run()).as_dict()
                finally:
                    ORIGIN.reset(origin)
        for action, count in report.items():
            self.lifecycle_actions[action] = self.lifecycle_actions.get(action, 0) + count
        return report

    async def _move_blobs(self, object_ids: list[int], storage_class: str) -> None:
        """A transition into a class with its own directory really moves the bytes there."""
        target = self.blobs.volume_for(storage_class)
        for blob_id, source in await self._cat.blobs_to_move(object_ids, target):
            await self.blobs.copy_to(blob_id, source, target)
            await self._cat.write(partial(blob_rows.set_volume, blob_id=blob_id, volume=target))
            await self.blobs.delete([blob_id], volumes=[source])

    async def restore_object(self, bucket: str, key: str, *, version_id: str | None, days: int) -> bool:
        info = await self._describe(*await self._row(bucket, key, version_id))  # SSE-C: restored without its key
        if info.storage_class not in ARCHIVE_CLASSES:
            raise S3Error(Code.InvalidObjectState, "Restore is not allowed for the object's current storage class",
                          StorageClass=info.storage_class)
        clock = await self.clock()
        now = clock.now_ms()
        started = info.restore is None
        if info.restore is not None and info.restore.ongoing:
            raise S3Error(Code.RestoreAlreadyInProgress)
        ready = now + self.restore_delay_ms if started else now
        expiry = clock.due(ready, days)
        exact = info.version_id
        self._admit()

        def commit(tx: Tx) -> None:
            row = version_rows.source(tx, bucket, key, exact)
            version_rows.set_restore(tx, row, ready if started else row.restore_ready, expiry, started=started)

        await self._cat.write(commit)
        return started
