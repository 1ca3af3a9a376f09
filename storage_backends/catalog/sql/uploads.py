"""The uploads and upload_parts tables: multipart uploads in progress and their parts."""

from __future__ import annotations

from gateway.wire.documents.acl import grants_json
from gateway.wire.errors import Code, S3Error
from gateway.wire.lock_rules import MISSING_ON_WRITE
from storage_backends.base import Checksum, NewObject, PartInfo, UploadInfo
from storage_backends.catalog.records import (
    PART_COLUMNS,
    UPLOAD_COLUMNS,
    Fold,
    PartRecord,
    UploadRecord,
    encryption_of,
    lock_columns,
    map_json,
    new_upload_id,
    part_checksum_json,
)
from storage_backends.catalog.sql import blobs, buckets, listing, one, settings
from storage_backends.catalog.store import Executor, Tx


def get(ex: Executor, bucket: str, key: str, upload_id: str) -> UploadRecord:
    row = one(ex, f"SELECT {UPLOAD_COLUMNS} FROM uploads WHERE upload_id = ?", (upload_id,))
    if row is None or row[1] != bucket or row[2] != key:
        raise S3Error(Code.NoSuchUpload, UploadId=upload_id)
    return UploadRecord(*row)


def initiated(ex: Executor, upload_id: str) -> int | None:
    row = one(ex, "SELECT initiated FROM uploads WHERE upload_id = ?", (upload_id,))
    return int(row[0]) if row else None


def parts(ex: Executor, upload_id: str, marker: int = 0, limit: int | None = None) -> list[PartRecord]:
    """Parts numbered above ``marker``, in order (all of them without ``limit``)."""
    sql = f"SELECT {PART_COLUMNS} FROM upload_parts WHERE upload_id = ? AND part_number > ? ORDER BY part_number"
    args: tuple[object, ...] = (upload_id, marker)
    if limit is not None:
        sql, args = sql + " LIMIT ?", (*args, limit)
    rows = ex.execute(sql, args).fetchall()
    return [PartRecord(*r) for r in rows]


ORDER = listing.Order("uploads", "upload_id", UPLOAD_COLUMNS, "bucket = :bucket", "key, initiated, upload_id",
                      same_key="(initiated, upload_id) > ({r}initiated, {r}upload_id)")


def page(ex: Executor, bucket: str, cursor: tuple[str, int, str, bool], upper: str | None,
         limit: int, fold: Fold | None = None) -> list[UploadRecord]:
    """Uploads in (key, initiated, upload_id) order after ``cursor`` (key, initiated, id, at_key_start)."""
    key, started, upload_id, at_start = cursor
    rows = listing.page(ex, ORDER, bucket, {"key": key, "initiated": started, "upload_id": upload_id}, at_start,
                        upper, fold, limit)
    return [UploadRecord(*r) for r in rows]


def create(tx: Tx, bucket: str, key: str, new: NewObject, algorithm: str | None,
           checksum_type: str | None, encryption: str | None = None) -> UploadInfo:
    """``encryption``: the column (records.encryption_json) its parts and version are sealed with."""
    if buckets.require(tx, bucket).object_lock is None and new.lock is not None:
        raise S3Error(Code.InvalidRequest, MISSING_ON_WRITE)
    upload_id = new_upload_id()
    started = settings.now_ms(tx)
    tx.execute(f"INSERT INTO uploads ({UPLOAD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               (upload_id, bucket, key, started, new.owner_id, new.storage_class, map_json(new.content),
                map_json(new.metadata), map_json(new.tags), algorithm, checksum_type, grants_json(new.acl),
                *lock_columns(new.lock), encryption))
    return UploadInfo(upload_id, bucket, key, started, new.owner_id, new.storage_class, algorithm, checksum_type,
                      new.lock, encryption_of(encryption))


def put_part(tx: Tx, bucket: str, key: str, upload_id: str, part_number: int, blob_id: str | None,
             size: int, etag: str, checksum: Checksum | None) -> PartInfo:
    """Record a part (its blob row must already exist); an earlier upload of the same number is released."""
    get(tx, bucket, key, upload_id)
    old = tx.execute("SELECT blob_id FROM upload_parts WHERE upload_id = ? AND part_number = ?",
                     (upload_id, part_number)).fetchone()
    if old is not None:
        blobs.unref(tx, old[0])
    modified = settings.now_ms(tx)
    tx.execute("INSERT INTO upload_parts (upload_id, part_number, blob_id, size, etag, checksum, last_modified) "
               "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (upload_id, part_number) DO UPDATE SET "
               "blob_id = excluded.blob_id, size = excluded.size, etag = excluded.etag, "
               "checksum = excluded.checksum, last_modified = excluded.last_modified",
               (upload_id, part_number, blob_id, size, etag, part_checksum_json(checksum), modified))
    return PartInfo(part_number, size, etag, modified, checksum)


def release(tx: Tx, upload_id: str, keep: frozenset[int] = frozenset()) -> None:
    """Delete an upload and its parts, releasing the blobs of parts not in ``keep``."""
    for number, blob_id in tx.execute("SELECT part_number, blob_id FROM upload_parts WHERE upload_id = ?",
                                      (upload_id,)).fetchall():
        if number not in keep:
            blobs.unref(tx, blob_id)
    tx.execute("DELETE FROM upload_parts WHERE upload_id = ?", (upload_id,))
    tx.execute("DELETE FROM uploads WHERE upload_id = ?", (upload_id,))


def abort(tx: Tx, bucket: str, key: str, upload_id: str) -> None:
    buckets.require(tx, bucket)
    get(tx, bucket, key, upload_id)
    release(tx, upload_id)


def abort_many(tx: Tx, upload_ids: list[str]) -> int:
    """Abort uploads that still exist (lifecycle); returns how many did."""
    aborted = 0
    for upload_id in upload_ids:
        if tx.execute("SELECT 1 FROM uploads WHERE upload_id = ?", (upload_id,)).fetchone():
            release(tx, upload_id)
            aborted += 1
    return aborted


def abort_all(tx: Tx, bucket: str) -> None:
    """Uploads in progress die with their bucket."""
    for (upload_id,) in tx.execute("SELECT upload_id FROM uploads WHERE bucket = ?", (bucket,)).fetchall():
        release(tx, upload_id)


def bulk_insert(tx: Tx, rows: list[tuple[str, str, str, int, str]]) -> None:
    """Seed uploads without parts (benchmarks): rows of (upload_id, bucket, key, initiated, owner_id)."""
    tx.executemany("INSERT INTO uploads (upload_id, bucket, key, initiated, owner_id, storage_class, content, "
                   "metadata, tags) VALUES (?, ?, ?, ?, ?, 'STANDARD', '{}', '{}', '{}')", rows)
