"""The objects and object_parts tables: object versions, delete markers and multipart extents.

Each write function runs inside the caller's transaction, so a new version, the version it
retires, and the blobs that become free are one atomic step. Blob references of a new
version must be counted (``blobs.add``/``blobs.ref``) before ``put_version`` records it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from gateway.wire.documents.acl import Grants, grants_json
from gateway.wire.errors import Code, S3Error
from gateway.wire.lifecycle_rules import DAY_MS
from gateway.wire.lock_rules import (
    MISSING_CONFIGURATION,
    ObjectLock,
    Retention,
    check_retention_change,
    locked,
    new_version_lock,
)
from storage_backends.base import BucketInfo, NewObject, ObjectInfo, WriteConditions
from storage_backends.catalog.records import (
    LATEST_COLUMNS,
    LISTED_COLUMNS,
    OBJECT_COLUMNS,
    Deleted,
    Extent,
    Fold,
    ListedVersion,
    NewVersion,
    ObjectRecord,
    Placement,
    checksum_json,
    encryption_of,
    listed_object,
    listed_version,
    lock_columns,
    map_json,
    new_version_id,
    object_record,
    position_of,
)
from storage_backends.catalog.sql import blobs, buckets, listing, marks, notifications, one, settings, usage
from storage_backends.catalog.store import Executor, Tx

RESTORES_ANNOUNCED = "restores_announced_ms"  # restores completed up to here have had their event
_BY_VERSION = f"SELECT {OBJECT_COLUMNS} FROM objects WHERE bucket = ? AND key = ? AND version_id = ?"
_LATEST = f"SELECT {OBJECT_COLUMNS} FROM objects WHERE bucket = ? AND key = ? AND is_latest = 1"


# -- reads -----------------------------------------------------------------------------------------
def get(ex: Executor, bucket: str, key: str, version_id: str | None) -> ObjectRecord | None:
    row = one(ex, _LATEST, (bucket, key)) if version_id is None else one(ex, _BY_VERSION, (bucket, key, version_id))
    return object_record(row) if row is not None else None


def by_upload(ex: Executor, bucket: str, key: str, upload_id: str) -> ObjectRecord | None:
    """The version a multipart upload completed into (a retried completion answers from it)."""
    row = one(ex, f"SELECT {OBJECT_COLUMNS} FROM objects WHERE bucket = ? AND key = ? AND upload_id = ?",
              (bucket, key, upload_id))
    return object_record(row) if row is not None else None


LATEST = listing.Order("objects", "id", LATEST_COLUMNS, "bucket = :bucket AND is_latest = 1 AND delete_marker = 0",
                       "key")
VERSIONS = listing.Order("objects", "id", LISTED_COLUMNS, "bucket = :bucket", "key, id DESC", same_key="id < {r}id")


def list_latest(ex: Executor, bucket: str, cursor: tuple[str, bool], upper: str | None, limit: int,
                fold: Fold | None = None) -> list[ObjectInfo]:
    """Current, non-deleted versions with key after (or at, if inclusive) ``cursor``, below ``upper``.

    Rows become ObjectInfo at once (one object per row: the hot loop of every ListObjects page)."""
    key, inclusive = cursor
    rows = listing.page(ex, LATEST, bucket, {"key": key}, inclusive, upper, fold, limit)
    return [listed_object(bucket, r) for r in rows]


def list_versions(ex: Executor, bucket: str, cursor: tuple[str, int, bool], upper: str | None, limit: int,
                  fold: Fold | None = None) -> list[ListedVersion]:
    """Versions in (key, newest first) order after ``cursor`` = (key, id, at_key_start)."""
    key, object_id, at_start = cursor
    rows = listing.page(ex, VERSIONS, bucket, {"key": key, "id": object_id}, at_start, upper, fold, limit)
    return [listed_version(r) for r in rows]


def version_position(ex: Executor, bucket: str, key: str, version_id: str) -> int | None:
    """Where a ListObjectVersions marker stands: its version's row id, or for a version deleted since, the
    position its id carries; None for a ``null`` version gone (its place is unknown: before the key's first)."""
    row = one(ex, "SELECT id FROM objects WHERE bucket = ? AND key = ? AND version_id = ?", (bucket, key, version_id))
    return int(row[0]) if row else position_of(version_id)


def count(ex: Executor, bucket: str) -> int:
    """How many versions (delete markers included) the bucket holds: a full index scan."""
    return int(one(ex, "SELECT COUNT(*) FROM objects WHERE bucket = ?", (bucket,))[0])


def inline(ex: Executor, object_id: int) -> bytes:
    row = one(ex, "SELECT inline FROM objects WHERE id = ?", (object_id,))
    return bytes(row[0]) if row is not None and row[0] is not None else b""


def extents(ex: Executor, object_id: int) -> list[Extent]:
    rows = ex.execute("SELECT part_number, blob_id, start_offset, size, etag, checksum FROM object_parts "
                      "WHERE object_id = ? ORDER BY part_number", (object_id,)).fetchall()
    return [Extent(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]


# -- conditions and retiring versions -----------------------------------------------------------------
def check_write_conditions(current: ObjectRecord | None, conditions: WriteConditions | None) -> None:
    if conditions is None:
        return
    exists = current is not None and not current.delete_marker
    if conditions.if_none_match and exists:
        raise S3Error(Code.PreconditionFailed, Condition="If-None-Match")
    if conditions.if_match is not None:
        if not exists:
            raise S3Error(Code.NoSuchKey)
        assert current is not None
        if conditions.if_match != "*" and conditions.if_match != current.etag:
            raise S3Error(Code.PreconditionFailed, Condition="If-Match")


def _remove_version(tx: Tx, row: ObjectRecord) -> None:
    """Delete one version row and release the blobs it used."""
    tx.execute("DELETE FROM objects WHERE id = ?", (row.id,))
    if not row.delete_marker:
        usage.removed(tx, ((row.bucket, row.storage_class, row.size, row.in_class_since),))
    blobs.unref(tx, row.blob_id)
    if row.parts_count:
        for (blob_id,) in tx.execute("SELECT blob_id FROM object_parts WHERE object_id = ?", (row.id,)).fetchall():
            blobs.unref(tx, blob_id)
        tx.execute("DELETE FROM object_parts WHERE object_id = ?", (row.id,))


def demote(tx: Tx, object_id: int) -> None:
    """A newer version takes over: this one becomes noncurrent now (lifecycle counts from here)."""
    tx.execute("UPDATE objects SET is_latest = 0, noncurrent_since = ? WHERE id = ?", (settings.now_ms(tx), object_id))


def promote_newest(tx: Tx, bucket: str, key: str) -> None:
    """After the latest version is removed, the newest remaining one becomes current again."""
    tx.execute("UPDATE objects SET is_latest = 1, noncurrent_since = NULL WHERE id = (SELECT MAX(id) FROM objects "
               "WHERE bucket = ? AND key = ?)", (bucket, key))


def _next_position(tx: Tx) -> int:
    """A bound for the next row's id: ids only grow (AUTOINCREMENT, one writer), so every row older
    than the next one has a smaller id and none in between survives."""
    return int(one(tx, "SELECT COALESCE(MAX(id), 0) + 1 FROM objects", ())[0])


def _make_room(tx: Tx, bucket: BucketInfo, key: str, current: ObjectRecord | None) -> str:
    """Retire what a new latest version replaces; returns the new version's id."""
    if bucket.versioning == "Enabled":
        if current is not None:
            demote(tx, current.id)
        return new_version_id(_next_position(tx))
    if bucket.versioning is None:  # every version is the null version: the current one, if any
        null = current
    else:
        null = get(tx, bucket.name, key, "null")
    if null is not None:
        _remove_version(tx, null)
    if current is not None and (null is None or current.id != null.id):
        demote(tx, current.id)
    return "null"


# -- writes ---------------------------------------------------------------------------------------------
def put_version(tx: Tx, bucket: str, key: str, new: NewObject, version: NewVersion,
                conditions: WriteConditions | None, day_ms: int = DAY_MS, event: str = "ObjectCreated:Put"
                ) -> ObjectInfo:
    """Make ``version`` the latest version of ``key``. Its blobs' references must already be counted.

    It gets the Object Lock ``new`` asks for, or the bucket's default retention (``day_ms`` long days);
    ``event`` is what the bucket's notifications hear of it."""
    b = buckets.require(tx, bucket)
    current = get(tx, bucket, key, None)
    check_write_conditions(current, conditions)
    modified = settings.now_ms(tx)
    lock = new_version_lock(b.object_lock, new.lock, modified, day_ms)
    version_id = _make_room(tx, b, key, current)
    at = version.placement
    cur = tx.execute(
        "INSERT INTO objects (bucket, key, version_id, is_latest, delete_marker, size, etag, last_modified, "
        "storage_class, owner_id, content, metadata, tags, checksum, blob_id, parts_count, upload_id, inline, acl, "
        "lock_mode, lock_until, legal_hold, encryption) "
        "VALUES (?, ?, ?, 1, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (bucket, key, version_id, version.size, version.etag, modified, new.storage_class, new.owner_id,
         map_json(new.content), map_json(new.metadata), map_json(new.tags),
         checksum_json(version.checksum), at.blob_id, at.parts_count, version.upload_id, at.inline,
         grants_json(new.acl), *lock_columns(lock), version.encryption))
    object_id = cur.fetchall()[0][0]
    usage.added(tx, bucket, new.storage_class, version.size)
    for e in version.extents:
        tx.execute("INSERT INTO object_parts (object_id, part_number, blob_id, start_offset, size, etag, checksum) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?)",
                   (object_id, e.part_number, e.blob_id, e.start, e.size, e.etag, e.checksum))
    notifications.emit(tx, bucket, key, event, owner=b.owner_id, version_id=version_id if b.versioning else None,
                       size=version.size, etag=version.etag)
    return ObjectInfo(bucket=bucket, key=key, size=version.size, etag=version.etag, last_modified_ms=modified,
                      owner_id=new.owner_id, version_id=version_id if b.versioning else None,
                      storage_class=new.storage_class, content=dict(new.content), metadata=dict(new.metadata),
                      checksum=version.checksum, parts_count=at.parts_count, tags=dict(new.tags), lock=lock,
                      encryption=encryption_of(version.encryption))


def source(tx: Tx, bucket: str, key: str, version_id: str | None) -> ObjectRecord:
    """The version a copy, tagging or restore acts on (NoSuchKey/NoSuchVersion for delete markers)."""
    buckets.require(tx, bucket)
    row = get(tx, bucket, key, version_id)
    if row is None or row.delete_marker:
        raise S3Error(Code.NoSuchKey if version_id is None else Code.NoSuchVersion, Key=key)
    return row


def copy_refs(tx: Tx, src: ObjectRecord) -> tuple[Placement, tuple[Extent, ...]]:
    """Take new references on a source version's blobs, for a copy that shares them."""
    blobs.ref(tx, src.blob_id)
    data = None
    if src.blob_id is None and not src.parts_count and src.size:
        data = tx.execute("SELECT inline FROM objects WHERE id = ?", (src.id,)).fetchone()[0]
    found: list[Extent] = []
    if src.parts_count:
        for e in extents(tx, src.id):
            blobs.ref(tx, e.blob_id)
            found.append(e)
    return Placement(src.blob_id, src.parts_count, data), tuple(found)


def delete(tx: Tx, bucket: str, key: str, version_id: str | None, *, bypass: bool = False,
           event: str = "ObjectRemoved") -> Deleted:
    """Delete a version (AccessDenied while Object Lock protects it), or put a delete marker.

    The bucket's notifications hear ``event:Delete`` or ``event:DeleteMarkerCreated`` (``LifecycleExpiration``
    when a rule expires it)."""
    b = buckets.require(tx, bucket)
    versioning = b.versioning
    if version_id is not None:
        row = get(tx, bucket, key, version_id)
        if row is None:
            return Deleted(version_id if versioning else None, False)
        lock = row.lock
        if lock is not None and lock.protects(settings.now_ms(tx), bypass=bypass):
            raise locked()
        _remove_version(tx, row)
        if row.is_latest:
            promote_newest(tx, bucket, key)
        notifications.emit(tx, bucket, key, f"{event}:Delete", owner=b.owner_id,
                           version_id=version_id if versioning else None)
        return Deleted(version_id if versioning else None, row.delete_marker)
    current = get(tx, bucket, key, None)
    if versioning is None:
        if current is not None:
            _remove_version(tx, current)
            notifications.emit(tx, bucket, key, f"{event}:Delete", owner=b.owner_id)
        return Deleted(None, False)
    marker_id = _make_room(tx, b, key, current)
    tx.execute(
        "INSERT INTO objects (bucket, key, version_id, is_latest, delete_marker, size, etag, last_modified, "
        "storage_class, owner_id, content, metadata) VALUES (?, ?, ?, 1, 1, 0, '', ?, 'STANDARD', ?, '{}', '{}')",
        (bucket, key, marker_id, settings.now_ms(tx), current.owner_id if current is not None else b.owner_id))
    notifications.emit(tx, bucket, key, f"{event}:DeleteMarkerCreated", owner=b.owner_id, version_id=marker_id)
    return Deleted(marker_id, True)


def put_tags(tx: Tx, bucket: str, key: str, version_id: str | None, tags: dict[str, str]) -> str | None:
    """Replace a version's tags in place (tagging never creates a version). Returns the version id shown."""
    b = buckets.require(tx, bucket)
    row = source(tx, bucket, key, version_id)
    tx.execute("UPDATE objects SET tags = ? WHERE id = ?", (map_json(tags), row.id))
    shown = row.version_id if b.versioning else None
    notifications.emit(tx, bucket, key, "ObjectTagging:Put" if tags else "ObjectTagging:Delete", owner=b.owner_id,
                       version_id=shown, size=row.size, etag=row.etag)
    return shown


def set_acl(tx: Tx, bucket: str, key: str, version_id: str | None, grants: Grants | None) -> str | None:
    """Replace a version's ACL in place (PutObjectAcl never creates a version). Returns the version id shown."""
    b = buckets.require(tx, bucket)
    row = source(tx, bucket, key, version_id)
    tx.execute("UPDATE objects SET acl = ? WHERE id = ?", (grants_json(grants), row.id))
    shown = row.version_id if b.versioning else None
    notifications.emit(tx, bucket, key, "ObjectAcl:Put", owner=b.owner_id, version_id=shown, size=row.size,
                       etag=row.etag)
    return shown


def _lockable(tx: Tx, bucket: str, key: str, version_id: str | None, method: str) -> ObjectRecord:
    """The version a retention or legal hold is put on, in a bucket with Object Lock."""
    if buckets.require(tx, bucket).object_lock is None:
        raise S3Error(Code.InvalidRequest, MISSING_CONFIGURATION)
    row = get(tx, bucket, key, version_id)
    if row is None:
        raise S3Error(Code.NoSuchKey if version_id is None else Code.NoSuchVersion, Key=key)
    if row.delete_marker:
        if version_id is None:
            raise S3Error(Code.NoSuchKey, Key=key)
        raise S3Error(Code.MethodNotAllowed, headers={"allow": "DELETE"}, Method=method, ResourceType="DeleteMarker")
    return row


def set_retention(tx: Tx, bucket: str, key: str, version_id: str | None, retention: Retention | None,
                  bypass: bool) -> None:
    """PutObjectRetention, checked against the version's retention in force (race-free: in the write)."""
    row = _lockable(tx, bucket, key, version_id, "PUT")
    lock = row.lock or ObjectLock()
    check_retention_change(lock.retention, retention, settings.now_ms(tx), bypass=bypass)
    mode, until, _ = lock_columns(ObjectLock(retention))
    tx.execute("UPDATE objects SET lock_mode = ?, lock_until = ? WHERE id = ?", (mode, until, row.id))


def set_legal_hold(tx: Tx, bucket: str, key: str, version_id: str | None, on: bool) -> None:
    row = _lockable(tx, bucket, key, version_id, "PUT")
    tx.execute("UPDATE objects SET legal_hold = ? WHERE id = ?", (int(on), row.id))


def set_restore(tx: Tx, row: ObjectRecord, ready: int | None, expiry: int, *, started: bool) -> None:
    """A restore requested (``started``) or its copy's expiry moved; a started one is ObjectRestore:Post."""
    tx.execute("UPDATE objects SET restore_ready = ?, restore_expiry = ? WHERE id = ?", (ready, expiry, row.id))
    if started:
        usage.count(tx, row.bucket, row.storage_class, "restore", 1, row.size)
        _emit_rows(tx, [row.id], "ObjectRestore:Post")


_EVENT_ROW = "SELECT bucket, key, version_id, size, etag, restore_expiry, storage_class FROM objects WHERE id IN ({})"


def _emit_rows(tx: Tx, ids: list[int], event: str, extra: Callable[[tuple[Any, ...]], dict[str, Any]] | None = None
               ) -> None:
    """``event`` for each of the versions ``ids`` (lifecycle and restores act on many rows at once)."""
    if not ids or not notifications.any_configured(tx):
        return
    versioned: dict[str, bool] = {}
    for r in tx.execute(_EVENT_ROW.format(marks(ids)), ids).fetchall():
        bucket = r[0]
        if bucket not in versioned:
            info = buckets.get(tx, bucket)
            versioned[bucket] = info is not None and info.versioning is not None
        notifications.emit(tx, bucket, r[1], event, version_id=r[2] if versioned[bucket] else None,
                           size=r[3], etag=r[4], extra=extra(r) if extra else None)


def set_storage_class(tx: Tx, ids: list[int], storage_class: str) -> int:
    """A transition: the versions change class (from now) and lose any restored copy. Returns rows changed."""
    _emit_rows(tx, ids, "LifecycleTransition", lambda r: {"destinationStorageClass": storage_class})
    m = marks(ids)
    usage.transitioned(tx, tx.execute(f"SELECT bucket, storage_class, size, COALESCE(class_since, last_modified) "
                                      f"FROM objects WHERE id IN ({m}) AND storage_class <> ?",
                                      (*ids, storage_class)).fetchall(), storage_class)
    return tx.execute(f"UPDATE objects SET storage_class = ?, class_since = ?, restore_ready = NULL, "
                      f"restore_expiry = NULL WHERE id IN ({m})", (storage_class, settings.now_ms(tx), *ids)).rowcount


def complete_restores(tx: Tx, now_ms: int) -> None:
    """ObjectRestore:Completed for the restores whose copy became readable since the last pass (a restore
    completes by the clock passing its time: nothing else writes then)."""
    if not notifications.any_configured(tx):
        return
    after = int(settings.get(tx, RESTORES_ANNOUNCED) or 0)
    ids = [r[0] for r in tx.execute("SELECT id FROM objects WHERE restore_expiry IS NOT NULL AND restore_ready > ? "
                                    "AND restore_ready <= ?", (after, now_ms)).fetchall()]
    _emit_rows(tx, ids, "ObjectRestore:Completed", lambda r: {"lifecycleRestorationExpiryTime": r[5],
                                                               "lifecycleRestoreStorageClass": r[6]})
    settings.put(tx, RESTORES_ANNOUNCED, str(now_ms))


def expire_restores(tx: Tx, now_ms: int) -> int:
    """Restored copies past their expiry go (ObjectRestore:Delete)."""
    if notifications.any_configured(tx):
        ids = [r[0] for r in tx.execute("SELECT id FROM objects WHERE restore_expiry <= ?", (now_ms,)).fetchall()]
        _emit_rows(tx, ids, "ObjectRestore:Delete")
    return tx.execute("UPDATE objects SET restore_ready = NULL, restore_expiry = NULL WHERE restore_expiry <= ?",
                      (now_ms,)).rowcount


def remove_versions(tx: Tx, ids: list[int]) -> int:
    """Delete many version rows at once (lifecycle): set-based, so a million rows take seconds.

    Callers remove only versions whose removal promotes nothing (noncurrent versions, or the
    only version of a key). Returns how many rows went. Each is a LifecycleExpiration:Delete event.
    """
    if not ids:
        return 0
    _emit_rows(tx, ids, "LifecycleExpiration:Delete")
    m = marks(ids)
    rows = tx.execute(f"SELECT id, blob_id, parts_count, bucket, storage_class, size, "
                      f"COALESCE(class_since, last_modified), delete_marker FROM objects WHERE id IN ({m})",
                      ids).fetchall()
    usage.removed(tx, (r[3:7] for r in rows if not r[7]))
    blob_ids = [r[1] for r in rows if r[1] is not None]
    multipart = [r[0] for r in rows if r[2]]
    if multipart:
        pm = marks(multipart)
        blob_ids += [r[0] for r in tx.execute(f"SELECT blob_id FROM object_parts WHERE object_id IN ({pm})",
                                              multipart).fetchall()]
        tx.execute(f"DELETE FROM object_parts WHERE object_id IN ({pm})", multipart)
    blobs.release_many(tx, blob_ids)
    tx.execute(f"DELETE FROM objects WHERE id IN ({m})", ids)
    return len(rows)


def bulk_insert(tx: Tx, rows: Iterable[tuple[object, ...]]) -> None:
    """Seed versions without blobs (benchmarks): rows of (bucket, key, version_id, is_latest, size,
    etag, last_modified, storage_class, owner_id, checksum, noncurrent_since), never delete markers."""
    rows = list(rows)
    usage.seeded(tx, ((str(r[0]), str(r[7]), int(r[4])) for r in rows))  # type: ignore[call-overload]
    tx.executemany(
        "INSERT INTO objects (bucket, key, version_id, is_latest, delete_marker, size, etag, last_modified, "
        "storage_class, owner_id, content, metadata, tags, checksum, noncurrent_since) "
        "VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?, ?, '{}', '{}', '{}', ?, ?)", rows)
