"""The buckets and bucket_configs tables: buckets and their document-kept sub-resources."""

from __future__ import annotations

from collections.abc import Mapping

from gateway.wire.errors import Code, S3Error
from gateway.wire.lock_rules import LockConfiguration
from storage_backends.base import BucketInfo
from storage_backends.catalog.records import BUCKET_COLUMNS, bucket_info, lock_configuration_json
from storage_backends.catalog.sql import one, settings
from storage_backends.catalog.store import Executor, Tx


def get(ex: Executor, name: str) -> BucketInfo | None:
    row = one(ex, f"SELECT {BUCKET_COLUMNS} FROM buckets WHERE name = ?", (name,))
    return bucket_info(row) if row else None


def require(ex: Executor, name: str) -> BucketInfo:
    """The bucket, or NoSuchBucket (writes re-check their bucket inside the transaction)."""
    info = get(ex, name)
    if info is None:
        raise S3Error(Code.NoSuchBucket, BucketName=name)
    return info


def page(ex: Executor, owner_id: str | None, prefix: str, after: str, limit: int) -> list[BucketInfo]:
    sql = f"SELECT {BUCKET_COLUMNS} FROM buckets WHERE name > ? AND name >= ?"
    args: list[object] = [after, prefix]
    if owner_id is not None:
        sql += " AND owner_id = ?"
        args.append(owner_id)
    rows = ex.execute(sql + " ORDER BY name LIMIT ?", (*args, limit)).fetchall()
    return [bucket_info(r) for r in rows if r[0].startswith(prefix)]


def config(ex: Executor, bucket: str, kind: str) -> str | None:
    row = one(ex, "SELECT document FROM bucket_configs WHERE bucket = ? AND kind = ?", (bucket, kind))
    return str(row[0]) if row else None


def configs_of_kind(ex: Executor, kind: str) -> list[tuple[str, str]]:
    """(bucket, document) of every bucket with a ``kind`` document."""
    return [(r[0], r[1]) for r in ex.execute("SELECT bucket, document FROM bucket_configs WHERE kind = ?",
                                             (kind,)).fetchall()]


def create(tx: Tx, name: str, region: str, owner_id: str, configs: Mapping[str, str | None] | None = None,
           object_lock: bool = False) -> BucketInfo:
    """A new bucket and its initial documents (ownership controls, public access block, ACL) at once;
    with ``object_lock`` it has Object Lock, and so versioning, from the start."""
    existing = tx.execute("SELECT owner_id FROM buckets WHERE name = ?", (name,)).fetchone()
    if existing is not None:
        code = Code.BucketAlreadyOwnedByYou if existing[0] == owner_id else Code.BucketAlreadyExists
        raise S3Error(code, BucketName=name)
    created = settings.now_ms(tx)
    lock = LockConfiguration() if object_lock else None
    versioning = "Enabled" if object_lock else None
    tx.changed.add(name)
    tx.execute("INSERT INTO buckets (name, region, owner_id, created_ms, versioning, object_lock) "
               "VALUES (?, ?, ?, ?, ?, ?)",
               (name, region, owner_id, created, versioning, lock_configuration_json(lock) if lock else None))
    for kind, document in (configs or {}).items():
        if document is not None:
            tx.execute("INSERT INTO bucket_configs (bucket, kind, document) VALUES (?, ?, ?)", (name, kind, document))
    return BucketInfo(name, region, owner_id, created, versioning, lock)


def delete(tx: Tx, name: str) -> None:
    """Delete an empty bucket and its configuration (uploads in progress are the caller's to abort)."""
    require(tx, name)
    if tx.execute("SELECT 1 FROM objects WHERE bucket = ? LIMIT 1", (name,)).fetchone():
        raise S3Error(Code.BucketNotEmpty, BucketName=name)
    tx.execute("DELETE FROM bucket_configs WHERE bucket = ?", (name,))
    tx.execute("DELETE FROM buckets WHERE name = ?", (name,))
    tx.changed.add(name)


def put_config(tx: Tx, bucket: str, kind: str, document: str | None) -> None:
    require(tx, bucket)
    tx.changed.add(bucket)
    if document is None:
        tx.execute("DELETE FROM bucket_configs WHERE bucket = ? AND kind = ?", (bucket, kind))
    else:
        tx.execute("INSERT INTO bucket_configs (bucket, kind, document) VALUES (?, ?, ?) "
                   "ON CONFLICT (bucket, kind) DO UPDATE SET document = excluded.document",
                   (bucket, kind, document))


def set_versioning(tx: Tx, bucket: str, status: str) -> None:
    if require(tx, bucket).object_lock is not None and status == "Suspended":
        raise S3Error(Code.InvalidBucketState, "An Object Lock configuration is present on this bucket, so the "
                      "versioning state cannot be changed.")
    tx.execute("UPDATE buckets SET versioning = ? WHERE name = ?", (status, bucket))
    tx.changed.add(bucket)


def set_object_lock(tx: Tx, bucket: str, config: LockConfiguration) -> None:
    """Object Lock is enabled once, on a bucket whose versioning is Enabled, and never disabled."""
    if require(tx, bucket).versioning != "Enabled":
        raise S3Error(Code.InvalidBucketState, "Versioning must be 'Enabled' on the bucket to apply a Object Lock "
                      "configuration")
    tx.execute("UPDATE buckets SET object_lock = ? WHERE name = ?", (lock_configuration_json(config), bucket))
    tx.changed.add(bucket)
