"""Lifecycle configuration, enforcement passes, transitions and archive restores (local backend)."""

from __future__ import annotations

import sqlite3

from gateway.wire.errors import Code, S3Error
from gateway.wire.lifecycle_rules import ARCHIVE_CLASSES, Configuration
from storage_backends.local import metadata as md
from storage_backends.local import sqlstore
from storage_backends.local.core import LIFECYCLE_KIND
from storage_backends.local.lifecycle_worker import LifecyclePass
from storage_backends.local.multipart import MultipartOps


class ArchiveOps(MultipartOps):
    async def get_bucket_lifecycle(self, bucket: str) -> Configuration | None:
        self._bucket(bucket)
        return self._lifecycle(bucket)

    async def put_bucket_lifecycle(self, bucket: str, config: Configuration | None) -> None:
        document = config.to_json() if config is not None else None
        await self._meta.writer.run(lambda c: md.tx_put_config(c, bucket, LIFECYCLE_KIND, document))
        self._forget_bucket(bucket)

    async def run_lifecycle(self, *, advance_days: float = 0) -> dict[str, object]:
        if advance_days:
            shift = int(advance_days * self.day_ms)
            await self._meta.writer.run(lambda c: md.tx_advance_clock(c, shift))
        report = await self.lifecycle_pass()
        clock = self.clock()
        return {"now_ms": clock.now_ms(), "offset_days": clock.offset_ms / self.day_ms,
                "day_seconds": self.day_ms / 1000, **report}

    async def lifecycle_pass(self) -> dict[str, int]:
        async with self._lifecycle_lock:  # the periodic pass and an admin-triggered one never overlap
            read = sqlstore.connect(self._meta.path, readonly=True)  # its own snapshot, not the requests'
            try:
                worker = LifecyclePass(read, self._write, self.clock(), self._move_blobs)
                return (await worker.run()).as_dict()
            finally:
                read.close()

    async def _move_blobs(self, object_ids: list[int], storage_class: str) -> None:
        """A transition into a class with its own directory really moves the bytes there."""
        target = self.blobs.volume_for(storage_class)
        marks = ",".join("?" * len(object_ids))
        rows = self._meta.read.execute(
            f"SELECT b.id, b.volume FROM blobs b WHERE b.data IS NULL AND b.volume <> ? AND b.id IN ("
            f"SELECT blob_id FROM objects WHERE id IN ({marks}) AND blob_id IS NOT NULL UNION "
            f"SELECT blob_id FROM object_parts WHERE object_id IN ({marks}))",
            (target, *object_ids, *object_ids)).fetchall()
        for blob_id, source in rows:
            await self.blobs.copy_to(blob_id, source, target)

            def commit(conn: sqlite3.Connection, garbage: list[str], blob_id: str = blob_id) -> None:
                conn.execute("UPDATE blobs SET volume = ? WHERE id = ?", (target, blob_id))

            await self._write(commit)
            await self.blobs.delete([blob_id], volumes=[source])

    async def restore_object(self, bucket: str, key: str, *, version_id: str | None, days: int) -> bool:
        info = await self.head_object(bucket, key, version_id=version_id)
        if info.storage_class not in ARCHIVE_CLASSES:
            raise S3Error(Code.InvalidObjectState, "Restore is not allowed for the object's current storage class",
                          StorageClass=info.storage_class)
        clock = self.clock()
        now = clock.now_ms()
        started = info.restore is None
        if info.restore is not None and info.restore.ongoing:
            raise S3Error(Code.RestoreAlreadyInProgress)
        ready = now + self.restore_delay_ms if started else now
        expiry = clock.due(ready, days)
        exact = info.version_id

        def commit(conn: sqlite3.Connection, garbage: list[str]) -> None:
            row = md.tx_source_row(conn, bucket, key, exact)
            conn.execute("UPDATE objects SET restore_ready = ?, restore_expiry = ? WHERE id = ?",
                         (ready if started else row["restore_ready"], expiry, row["id"]))

        await self._write(commit)
        return started
