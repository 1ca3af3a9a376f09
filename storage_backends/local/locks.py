"""Object Lock of the local backend: a bucket's configuration, each version's retention and legal hold.

Every change is checked inside its write transaction against what is stored there (the version's
retention in force, the bucket's versioning), so concurrent requests cannot slip past a lock; the
deletes that Object Lock refuses are refused in ``catalog.sql.objects.delete`` and the lifecycle
re-checks, for the same reason.
"""

from __future__ import annotations

from gateway.wire.errors import Code, S3Error
from gateway.wire.lock_rules import MISSING_CONFIGURATION, LockConfiguration, ObjectLock, Retention
from storage_backends.catalog.records import ObjectRecord
from storage_backends.catalog.sql import buckets as bucket_rows
from storage_backends.catalog.sql import objects as version_rows
from storage_backends.local.objects import ObjectOps, check_version_id


class LockOps(ObjectOps):
    async def get_object_lock_configuration(self, bucket: str) -> LockConfiguration | None:
        return (await self._bucket(bucket)).object_lock

    async def put_object_lock_configuration(self, bucket: str, config: LockConfiguration) -> None:
        self._admit()
        await self._cat.write(lambda tx: bucket_rows.set_object_lock(tx, bucket, config))

    async def _lock_of(self, bucket: str, key: str, version_id: str | None) -> ObjectLock:
        if (await self._bucket(bucket)).object_lock is None:
            raise S3Error(Code.InvalidRequest, MISSING_CONFIGURATION)
        row: ObjectRecord = (await self._row(bucket, key, version_id))[0]
        return row.lock or ObjectLock()

    async def get_object_retention(self, bucket: str, key: str, *, version_id: str | None = None
                                   ) -> Retention | None:
        return (await self._lock_of(bucket, key, version_id)).retention

    async def get_object_legal_hold(self, bucket: str, key: str, *, version_id: str | None = None) -> bool | None:
        return (await self._lock_of(bucket, key, version_id)).legal_hold

    async def put_object_retention(self, bucket: str, key: str, retention: Retention | None, *,
                                   version_id: str | None = None, bypass_governance: bool = False) -> None:
        check_version_id(version_id)
        self._admit()
        await self._cat.write(
            lambda tx: version_rows.set_retention(tx, bucket, key, version_id, retention, bypass_governance))

    async def put_object_legal_hold(self, bucket: str, key: str, on: bool, *, version_id: str | None = None
                                    ) -> None:
        check_version_id(version_id)
        self._admit()
        await self._cat.write(lambda tx: version_rows.set_legal_hold(tx, bucket, key, version_id, on))
