"""The local backend's metadata: buckets, object versions, blob references, in SQL.

Reads are plain methods (indexed point lookups and range scans on the event loop thread).
Writes are the ``tx_*`` functions, each run inside the group-committing writer
(:mod:`storage_backends.local.sqlstore`), so every state change (a new version, a delete
marker, freed blobs) is one atomic, durable step. Blobs are reference-counted: a copy shares
its source's blobs, and a blob whose last reference goes is queued in ``garbage`` for deletion
from disk after the commit.
"""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import cast

from gateway.wire.errors import Code, S3Error
from storage_backends.base import BucketInfo, Checksum, NewObject, ObjectInfo, WriteConditions
from storage_backends.local import sqlstore

OBJECT_COLUMNS = ("id, bucket, key, version_id, is_latest, delete_marker, size, etag, last_modified, "
                  "storage_class, owner_id, content, metadata, tags, checksum, blob_id, parts_count, "
                  "noncurrent_since, restore_ready, restore_expiry")
VERSION_COLUMNS = ("id, key, version_id, is_latest, delete_marker, size, etag, last_modified, storage_class, "
                   "owner_id, checksum")
LIST_COLUMNS = "key, size, etag, last_modified, storage_class, owner_id, checksum"


CLOCK_OFFSET = "lifecycle_offset_ms"


def now_ms(conn: sqlite3.Connection) -> int:
    """The server's clock: real time plus the offset the admin endpoint may have advanced.

    Everything s3gate timestamps (LastModified, upload initiation, when a version became
    noncurrent) follows this clock, so an object written after the clock moved ahead is new,
    not already "old" to lifecycle rules.
    """
    row = conn.execute("SELECT value FROM settings WHERE name = ?", (CLOCK_OFFSET,)).fetchone()
    return time.time_ns() // 1_000_000 + (int(row[0]) if row else 0)


def new_version_id() -> str:
    """Opaque and unique, like AWS's: 32 URL-safe characters, never the literal ``null``."""
    return base64.urlsafe_b64encode(os.urandom(24)).decode("ascii")


def is_version_id(value: str) -> bool:
    if value == "null":
        return True
    try:
        return len(base64.urlsafe_b64decode(value.encode("ascii"))) == 24 and len(value) == 32
    except (ValueError, UnicodeEncodeError):
        return False


def checksum_of(raw: str | None) -> Checksum | None:
    if not raw:
        return None
    # What checksum_json wrote ('["ALGO", "value", "TYPE"]'): split without a JSON parse, which
    # listings would otherwise pay a thousand times a page.
    parts = raw[2:-2].split('", "')
    if len(parts) == 3 and raw.startswith('["') and raw.endswith('"]'):
        return Checksum(parts[0], parts[1], parts[2])
    algorithm, value, kind = json.loads(raw)
    return Checksum(algorithm, value, kind)


def checksum_json(checksum: Checksum | None) -> str | None:
    return json.dumps([checksum.algorithm, checksum.value, checksum.type]) if checksum else None


def map_json(values: Mapping[str, str]) -> str:
    """A content/metadata/tags map as stored. Most are empty: those skip the JSON encoder."""
    return json.dumps(values) if values else "{}"


def map_of(raw: str) -> dict[str, str]:
    return json.loads(raw) if raw != "{}" else {}


@dataclass(frozen=True, slots=True)
class Body:
    """Where an object version's bytes are: one blob, a list of extents, the row itself, or nothing."""

    blob_id: str | None
    parts_count: int | None
    inline: bytes | None = None


@dataclass(frozen=True, slots=True)
class Extent:
    part_number: int
    blob_id: str
    start: int  # offset of this extent within the object
    size: int
    etag: str
    checksum: str | None


def bucket_info(row: sqlite3.Row) -> BucketInfo:
    return BucketInfo(row["name"], row["region"], row["owner_id"], row["created_ms"], row["versioning"])


def object_info(row: sqlite3.Row, versioning: str | None) -> ObjectInfo:
    return ObjectInfo(
        bucket=row["bucket"],
        key=row["key"],
        size=row["size"],
        etag=row["etag"],
        last_modified_ms=row["last_modified"],
        owner_id=row["owner_id"],
        version_id=row["version_id"] if versioning else None,
        storage_class=row["storage_class"],
        content=map_of(row["content"]),
        metadata=map_of(row["metadata"]),
        checksum=checksum_of(row["checksum"]),
        parts_count=row["parts_count"],
        is_latest=bool(row["is_latest"]),
        delete_marker=bool(row["delete_marker"]),
        tags=map_of(row["tags"]),
    )


def listed_info(bucket: str, row: sqlite3.Row) -> ObjectInfo:
    """The few fields a listing shows, without decoding the JSON columns it does not need."""
    return ObjectInfo(bucket=bucket, key=row["key"], size=row["size"], etag=row["etag"],
                      last_modified_ms=row["last_modified"], owner_id=row["owner_id"],
                      storage_class=row["storage_class"], checksum=checksum_of(row["checksum"]))


class Metadata:
    def __init__(self, path: str) -> None:
        sqlstore.migrate(path)
        self.path = path
        self._read = sqlstore.connect(path, readonly=True)
        self.writer = sqlstore.Writer(path)

    def close(self) -> None:
        self.writer.close()
        self._read.close()

    @property
    def read(self) -> sqlite3.Connection:
        """The read connection (event loop thread only); always consume results fully."""
        return self._read

    # -- reads --------------------------------------------------------------------------------
    def _one(self, sql: str, args: tuple[object, ...]) -> sqlite3.Row | None:
        rows = self._read.execute(sql, args).fetchall()  # fetchall ends the read transaction
        return rows[0] if rows else None

    def bucket(self, name: str) -> BucketInfo | None:
        row = self._one("SELECT * FROM buckets WHERE name = ?", (name,))
        return bucket_info(row) if row else None

    def buckets(self, owner_id: str | None, prefix: str, after: str, limit: int) -> list[BucketInfo]:
        sql = "SELECT * FROM buckets WHERE name > ? AND name >= ?"
        args: list[object] = [after, prefix]
        if owner_id is not None:
            sql += " AND owner_id = ?"
            args.append(owner_id)
        rows = self._read.execute(sql + " ORDER BY name LIMIT ?", (*args, limit)).fetchall()
        return [bucket_info(r) for r in rows if r["name"].startswith(prefix)]

    def config(self, bucket: str, kind: str) -> str | None:
        row = self._one("SELECT document FROM bucket_configs WHERE bucket = ? AND kind = ?", (bucket, kind))
        return row["document"] if row else None

    def object_row(self, bucket: str, key: str, version_id: str | None) -> sqlite3.Row | None:
        if version_id is None:
            return self._one(f"SELECT {OBJECT_COLUMNS} FROM objects WHERE bucket = ? AND key = ? AND is_latest = 1",
                             (bucket, key))
        return self._one(f"SELECT {OBJECT_COLUMNS} FROM objects WHERE bucket = ? AND key = ? AND version_id = ?",
                         (bucket, key, version_id))

    def list_latest(self, bucket: str, cursor: tuple[str, bool], upper: str | None, limit: int
                    ) -> list[sqlite3.Row]:
        """Current, non-deleted versions with key after (or at, if inclusive) ``cursor``, below ``upper``."""
        key, inclusive = cursor
        sql = (f"SELECT {LIST_COLUMNS} FROM objects WHERE bucket = ? AND is_latest = 1 AND delete_marker = 0 "
               f"AND key {'>=' if inclusive else '>'} ?")
        args: tuple[object, ...] = (bucket, key)
        if upper is not None:
            sql += " AND key < ?"
            args += (upper,)
        return self._read.execute(sql + " ORDER BY key LIMIT ?", (*args, limit)).fetchall()

    def list_versions(self, bucket: str, cursor: tuple[str, int, bool], upper: str | None, limit: int
                      ) -> list[sqlite3.Row]:
        """Versions in (key, newest first) order after ``cursor`` = (key, id, at_key_start)."""
        key, object_id, at_start = cursor
        args: list[object]
        if at_start:
            where, args = "key >= ?", [key]
        else:
            where, args = "(key > ? OR (key = ? AND id < ?))", [key, key, object_id]
        sql = f"SELECT {VERSION_COLUMNS} FROM objects WHERE bucket = ? AND {where}"
        params: list[object] = [bucket, *args]
        if upper is not None:
            sql += " AND key < ?"
            params.append(upper)
        return self._read.execute(sql + " ORDER BY key, id DESC LIMIT ?", (*params, limit)).fetchall()

    def version_position(self, bucket: str, key: str, version_id: str) -> int | None:
        row = self._one("SELECT id FROM objects WHERE bucket = ? AND key = ? AND version_id = ?",
                        (bucket, key, version_id))
        return int(row["id"]) if row else None

    def setting(self, name: str) -> str | None:
        row = self._one("SELECT value FROM settings WHERE name = ?", (name,))
        return str(row["value"]) if row else None

    def inline(self, object_id: int) -> bytes:
        row = self._one("SELECT inline FROM objects WHERE id = ?", (object_id,))
        return bytes(row["inline"]) if row is not None and row["inline"] is not None else b""

    def blob(self, blob_id: str) -> sqlite3.Row | None:
        return self._one("SELECT id, size, volume, data FROM blobs WHERE id = ?", (blob_id,))

    def extents(self, object_id: int) -> list[Extent]:
        rows = self._read.execute(
            "SELECT part_number, blob_id, start_offset, size, etag, checksum FROM object_parts "
            "WHERE object_id = ? ORDER BY part_number", (object_id,)).fetchall()
        return [Extent(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]

    def file_blobs(self) -> Iterator[tuple[str, str]]:
        """(blob id, volume) of every blob kept as a file."""
        conn = sqlstore.connect(self.path, readonly=True)
        try:
            yield from conn.execute("SELECT id, volume FROM blobs WHERE data IS NULL")
        finally:
            conn.close()


# -- write transactions (run by the writer thread; each inside its own SAVEPOINT) -------------------
def bucket_row(conn: sqlite3.Connection, name: str) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM buckets WHERE name = ?", (name,)).fetchone()
    if row is None:
        raise S3Error(Code.NoSuchBucket, BucketName=name)
    return cast(sqlite3.Row, row)


def tx_create_bucket(conn: sqlite3.Connection, name: str, region: str, owner_id: str) -> BucketInfo:
    existing = conn.execute("SELECT owner_id FROM buckets WHERE name = ?", (name,)).fetchone()
    if existing is not None:
        code = Code.BucketAlreadyOwnedByYou if existing[0] == owner_id else Code.BucketAlreadyExists
        raise S3Error(code, BucketName=name)
    created = now_ms(conn)
    conn.execute("INSERT INTO buckets (name, region, owner_id, created_ms) VALUES (?, ?, ?, ?)",
                 (name, region, owner_id, created))
    return BucketInfo(name, region, owner_id, created)


def tx_delete_bucket(conn: sqlite3.Connection, name: str) -> None:
    bucket_row(conn, name)
    if conn.execute("SELECT 1 FROM objects WHERE bucket = ? LIMIT 1", (name,)).fetchone():
        raise S3Error(Code.BucketNotEmpty, BucketName=name)
    conn.execute("DELETE FROM bucket_configs WHERE bucket = ?", (name,))
    conn.execute("DELETE FROM buckets WHERE name = ?", (name,))


def tx_put_config(conn: sqlite3.Connection, bucket: str, kind: str, document: str | None) -> None:
    bucket_row(conn, bucket)
    if document is None:
        conn.execute("DELETE FROM bucket_configs WHERE bucket = ? AND kind = ?", (bucket, kind))
    else:
        conn.execute("INSERT INTO bucket_configs (bucket, kind, document) VALUES (?, ?, ?) "
                     "ON CONFLICT (bucket, kind) DO UPDATE SET document = excluded.document",
                     (bucket, kind, document))


def tx_add_blob(conn: sqlite3.Connection, blob_id: str, size: int, data: bytes | None, volume: str = "") -> None:
    conn.execute("INSERT INTO blobs (id, size, refs, volume, data) VALUES (?, ?, 1, ?, ?)",
                 (blob_id, size, volume, data))


def ref_blob(conn: sqlite3.Connection, blob_id: str | None) -> None:
    if blob_id is not None:
        conn.execute("UPDATE blobs SET refs = refs + 1 WHERE id = ?", (blob_id,))


def unref_blob(conn: sqlite3.Connection, blob_id: str | None, garbage: list[str]) -> None:
    if blob_id is None:
        return
    row = conn.execute("UPDATE blobs SET refs = refs - 1 WHERE id = ? RETURNING refs, data IS NULL, volume",
                       (blob_id,)).fetchone()
    if row is not None and row[0] <= 0:
        conn.execute("DELETE FROM blobs WHERE id = ?", (blob_id,))
        if row[1]:
            conn.execute("INSERT INTO garbage (blob_id, volume) VALUES (?, ?) ON CONFLICT DO NOTHING",
                         (blob_id, row[2]))
            garbage.append(blob_id)


def _remove_version(conn: sqlite3.Connection, row: sqlite3.Row, garbage: list[str]) -> None:
    """Delete one version row and release the blobs it used."""
    conn.execute("DELETE FROM objects WHERE id = ?", (row["id"],))
    unref_blob(conn, row["blob_id"], garbage)
    if row["parts_count"]:
        for (blob_id,) in conn.execute("SELECT blob_id FROM object_parts WHERE object_id = ?",
                                       (row["id"],)).fetchall():
            unref_blob(conn, blob_id, garbage)
        conn.execute("DELETE FROM object_parts WHERE object_id = ?", (row["id"],))


def _latest(conn: sqlite3.Connection, bucket: str, key: str) -> sqlite3.Row | None:
    sql = f"SELECT {OBJECT_COLUMNS} FROM objects WHERE bucket = ? AND key = ? AND is_latest = 1"
    return cast(sqlite3.Row | None, conn.execute(sql, (bucket, key)).fetchone())


def check_write_conditions(current: sqlite3.Row | None, conditions: WriteConditions | None) -> None:
    if conditions is None:
        return
    exists = current is not None and not current["delete_marker"]
    if conditions.if_none_match and exists:
        raise S3Error(Code.PreconditionFailed, Condition="If-None-Match")
    if conditions.if_match is not None:
        if not exists:
            raise S3Error(Code.NoSuchKey)
        assert current is not None
        if conditions.if_match != "*" and conditions.if_match != current["etag"]:
            raise S3Error(Code.PreconditionFailed, Condition="If-Match")


def _make_room(conn: sqlite3.Connection, bucket: sqlite3.Row, key: str, current: sqlite3.Row | None,
               garbage: list[str]) -> str:
    """Retire what a new latest version replaces; returns the new version's id."""
    if bucket["versioning"] == "Enabled":
        if current is not None:
            demote(conn, current["id"])
        return new_version_id()
    if bucket["versioning"] is None:  # every version is the null version: the current one, if any
        null = current
    else:
        null = conn.execute(f"SELECT {OBJECT_COLUMNS} FROM objects WHERE bucket = ? AND key = ? "
                            "AND version_id = 'null'", (bucket["name"], key)).fetchone()
    if null is not None:
        _remove_version(conn, null, garbage)
    if current is not None and (null is None or current["id"] != null["id"]):
        demote(conn, current["id"])
    return "null"


def demote(conn: sqlite3.Connection, object_id: int) -> None:
    """A newer version takes over: this one becomes noncurrent now (lifecycle counts from here)."""
    conn.execute("UPDATE objects SET is_latest = 0, noncurrent_since = ? WHERE id = ?", (now_ms(conn), object_id))


def promote_newest(conn: sqlite3.Connection, bucket: str, key: str) -> None:
    """After the latest version is removed, the newest remaining one becomes current again."""
    conn.execute("UPDATE objects SET is_latest = 1, noncurrent_since = NULL WHERE id = (SELECT MAX(id) FROM objects "
                 "WHERE bucket = ? AND key = ?)", (bucket, key))


@dataclass(frozen=True, slots=True)
class NewVersion:
    """A fully described version about to become the latest one."""

    size: int
    etag: str
    checksum: Checksum | None
    body: Body
    extents: tuple[Extent, ...] = ()
    upload_id: str | None = None  # the multipart upload completed into this version


def tx_put_version(conn: sqlite3.Connection, bucket: str, key: str, new: NewObject, version: NewVersion,
                   conditions: WriteConditions | None, garbage: list[str]) -> ObjectInfo:
    """Make ``version`` the latest version of ``key``. Its blobs' references must already be counted."""
    b = bucket_row(conn, bucket)
    current = _latest(conn, bucket, key)
    check_write_conditions(current, conditions)
    version_id = _make_room(conn, b, key, current, garbage)
    modified = now_ms(conn)
    cur = conn.execute(
        "INSERT INTO objects (bucket, key, version_id, is_latest, delete_marker, size, etag, last_modified, "
        "storage_class, owner_id, content, metadata, tags, checksum, blob_id, parts_count, upload_id, inline) "
        "VALUES (?, ?, ?, 1, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (bucket, key, version_id, version.size, version.etag, modified, new.storage_class, new.owner_id,
         map_json(new.content), map_json(new.metadata), map_json(new.tags),
         checksum_json(version.checksum), version.body.blob_id, version.body.parts_count, version.upload_id,
         version.body.inline))
    object_id = cur.lastrowid
    for extent in version.extents:
        conn.execute("INSERT INTO object_parts (object_id, part_number, blob_id, start_offset, size, etag, "
                     "checksum) VALUES (?, ?, ?, ?, ?, ?, ?)",
                     (object_id, extent.part_number, extent.blob_id, extent.start, extent.size, extent.etag,
                      extent.checksum))
    return ObjectInfo(bucket=bucket, key=key, size=version.size, etag=version.etag, last_modified_ms=modified,
                      owner_id=new.owner_id, version_id=version_id if b["versioning"] else None,
                      storage_class=new.storage_class, content=dict(new.content), metadata=dict(new.metadata),
                      checksum=version.checksum, parts_count=version.body.parts_count, tags=dict(new.tags))


def tx_copy_refs(conn: sqlite3.Connection, src: sqlite3.Row) -> tuple[Body, tuple[Extent, ...]]:
    """Take new references on a source version's blobs, for a copy that shares them."""
    ref_blob(conn, src["blob_id"])
    inline = None
    if src["blob_id"] is None and not src["parts_count"] and src["size"]:
        inline = conn.execute("SELECT inline FROM objects WHERE id = ?", (src["id"],)).fetchone()[0]
    extents: list[Extent] = []
    if src["parts_count"]:
        for r in conn.execute("SELECT part_number, blob_id, start_offset, size, etag, checksum FROM object_parts "
                              "WHERE object_id = ? ORDER BY part_number", (src["id"],)).fetchall():
            ref_blob(conn, r[1])
            extents.append(Extent(r[0], r[1], r[2], r[3], r[4], r[5]))
    return Body(src["blob_id"], src["parts_count"], inline), tuple(extents)


def tx_source_row(conn: sqlite3.Connection, bucket: str, key: str, version_id: str | None) -> sqlite3.Row:
    bucket_row(conn, bucket)
    if version_id is None:
        row = _latest(conn, bucket, key)
    else:
        row = conn.execute(f"SELECT {OBJECT_COLUMNS} FROM objects WHERE bucket = ? AND key = ? AND version_id = ?",
                           (bucket, key, version_id)).fetchone()
    if row is None or row["delete_marker"]:
        raise S3Error(Code.NoSuchKey if version_id is None else Code.NoSuchVersion, Key=key)
    return row


@dataclass(frozen=True, slots=True)
class Deleted:
    version_id: str | None
    delete_marker: bool


def tx_delete(conn: sqlite3.Connection, bucket: str, key: str, version_id: str | None,
              garbage: list[str]) -> Deleted:
    b = bucket_row(conn, bucket)
    versioning = b["versioning"]
    if version_id is not None:
        row = conn.execute(f"SELECT {OBJECT_COLUMNS} FROM objects WHERE bucket = ? AND key = ? AND version_id = ?",
                           (bucket, key, version_id)).fetchone()
        if row is None:
            return Deleted(version_id if versioning else None, False)
        _remove_version(conn, row, garbage)
        if row["is_latest"]:
            promote_newest(conn, bucket, key)
        return Deleted(version_id if versioning else None, bool(row["delete_marker"]))
    current = _latest(conn, bucket, key)
    if versioning is None:
        if current is not None:
            _remove_version(conn, current, garbage)
        return Deleted(None, False)
    marker_id = _make_room(conn, b, key, current, garbage)
    conn.execute(
        "INSERT INTO objects (bucket, key, version_id, is_latest, delete_marker, size, etag, last_modified, "
        "storage_class, owner_id, content, metadata) VALUES (?, ?, ?, 1, 1, 0, '', ?, 'STANDARD', ?, '{}', '{}')",
        (bucket, key, marker_id, now_ms(conn), current["owner_id"] if current is not None else b["owner_id"]))
    return Deleted(marker_id, True)


def tx_forget_garbage(conn: sqlite3.Connection, blob_ids: list[str]) -> None:
    conn.executemany("DELETE FROM garbage WHERE blob_id = ?", [(b,) for b in blob_ids])


def tx_pending_garbage(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT blob_id FROM garbage").fetchall()]


def tx_put_tags(conn: sqlite3.Connection, bucket: str, key: str, version_id: str | None,
                tags: dict[str, str]) -> str | None:
    """Replace a version's tags in place (tagging never creates a version). Returns the version id shown."""
    b = bucket_row(conn, bucket)
    row = tx_source_row(conn, bucket, key, version_id)
    conn.execute("UPDATE objects SET tags = ? WHERE id = ?", (map_json(tags), row["id"]))
    return str(row["version_id"]) if b["versioning"] else None


def tx_set_versioning(conn: sqlite3.Connection, bucket: str, status: str) -> None:
    bucket_row(conn, bucket)
    conn.execute("UPDATE buckets SET versioning = ? WHERE name = ?", (status, bucket))


def tx_advance_clock(conn: sqlite3.Connection, shift_ms: int) -> None:
    conn.execute("INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET "
                 "value = CAST(CAST(settings.value AS BIGINT) + ? AS TEXT)", (CLOCK_OFFSET, str(shift_ms), shift_ms))


def remove_versions(conn: sqlite3.Connection, ids: list[int], garbage: list[str]) -> int:
    """Delete many version rows at once (lifecycle): set-based, so a million rows take seconds.

    Callers remove only versions whose removal promotes nothing (noncurrent versions, or the
    only version of a key). Returns how many rows went.
    """
    if not ids:
        return 0
    marks = ",".join("?" * len(ids))
    rows = conn.execute(f"SELECT id, blob_id, parts_count FROM objects WHERE id IN ({marks})", ids).fetchall()
    blob_ids = [r["blob_id"] for r in rows if r["blob_id"] is not None]
    multipart = [r["id"] for r in rows if r["parts_count"]]
    if multipart:
        part_marks = ",".join("?" * len(multipart))
        blob_ids += [r[0] for r in conn.execute(
            f"SELECT blob_id FROM object_parts WHERE object_id IN ({part_marks})", multipart).fetchall()]
        conn.execute(f"DELETE FROM object_parts WHERE object_id IN ({part_marks})", multipart)
    release_blobs(conn, blob_ids, garbage)
    conn.execute(f"DELETE FROM objects WHERE id IN ({marks})", ids)
    return len(rows)


def release_blobs(conn: sqlite3.Connection, blob_ids: list[str], garbage: list[str]) -> None:
    """Drop one reference per listed id (an id may repeat); blobs left unreferenced are freed."""
    if not blob_ids:
        return
    counts: dict[str, int] = {}
    for blob_id in blob_ids:
        counts[blob_id] = counts.get(blob_id, 0) + 1
    conn.executemany("UPDATE blobs SET refs = refs - ? WHERE id = ?", [(n, b) for b, n in counts.items()])
    marks = ",".join("?" * len(counts))
    dead = conn.execute(f"SELECT id, volume, data IS NULL FROM blobs WHERE id IN ({marks}) AND refs <= 0",
                        list(counts)).fetchall()
    if dead:
        files = [(r[0], r[1]) for r in dead if r[2]]
        conn.executemany("INSERT INTO garbage (blob_id, volume) VALUES (?, ?) ON CONFLICT DO NOTHING", files)
        conn.executemany("DELETE FROM blobs WHERE id = ?", [(r[0],) for r in dead])
        garbage.extend(blob_id for blob_id, _ in files)
