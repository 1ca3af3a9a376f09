"""Multipart uploads in the metadata store: uploads, their parts, and completion.

Completion is one transaction that validates the listed parts, composes the ETag
(``md5(concat(part md5s))-N``) and the checksum (composite ``-N`` or full-object CRC, combined
without reading data), and turns the parts into the new version's extents. No byte is copied,
so completing a 5 GiB upload costs a few thousand row writes.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sqlite3
from typing import cast

from gateway.wire import checksums
from gateway.wire.errors import Code, S3Error
from storage_backends.base import (
    Checksum,
    CompletedPart,
    NewObject,
    ObjectInfo,
    PartInfo,
    UploadInfo,
    WriteConditions,
)
from storage_backends.local import metadata as md

MIN_PART_SIZE = 5 * 1024 * 1024
UPLOAD_COLUMNS = ("upload_id, bucket, key, initiated, owner_id, storage_class, content, metadata, tags, "
                  "checksum_algorithm, checksum_type")


def new_upload_id() -> str:
    return base64.urlsafe_b64encode(os.urandom(36)).decode("ascii")


def upload_info(row: sqlite3.Row) -> UploadInfo:
    return UploadInfo(row["upload_id"], row["bucket"], row["key"], row["initiated"], row["owner_id"],
                      row["storage_class"], row["checksum_algorithm"], row["checksum_type"])


def part_checksum(raw: str | None) -> Checksum | None:
    if not raw:
        return None
    algorithm, value = json.loads(raw)
    return Checksum(algorithm, value, "PART")


def part_info(row: sqlite3.Row) -> PartInfo:
    return PartInfo(row["part_number"], row["size"], row["etag"], row["last_modified"],
                    part_checksum(row["checksum"]))


def get_upload(conn: sqlite3.Connection, bucket: str, key: str, upload_id: str) -> sqlite3.Row:
    row = conn.execute(f"SELECT {UPLOAD_COLUMNS} FROM uploads WHERE upload_id = ?", (upload_id,)).fetchone()
    if row is None or row["bucket"] != bucket or row["key"] != key:
        raise S3Error(Code.NoSuchUpload, UploadId=upload_id)
    return cast(sqlite3.Row, row)


# -- reads ---------------------------------------------------------------------------------------
def list_parts(conn: sqlite3.Connection, upload_id: str, marker: int, limit: int) -> list[sqlite3.Row]:
    return conn.execute("SELECT * FROM upload_parts WHERE upload_id = ? AND part_number > ? "
                        "ORDER BY part_number LIMIT ?", (upload_id, marker, limit)).fetchall()


def list_uploads(conn: sqlite3.Connection, bucket: str, cursor: tuple[str, int, str, bool], upper: str | None,
                 limit: int) -> list[sqlite3.Row]:
    """Uploads in (key, initiated, upload_id) order after ``cursor`` (key, initiated, id, at_key_start)."""
    key, initiated, upload_id, at_start = cursor
    args: tuple[object, ...]
    if at_start:
        sql, args = "key >= ?", (key,)
    else:
        sql, args = "(key > ? OR (key = ? AND (initiated > ? OR (initiated = ? AND upload_id > ?))))", \
            (key, key, initiated, initiated, upload_id)
    query = f"SELECT {UPLOAD_COLUMNS} FROM uploads WHERE bucket = ? AND {sql}"
    params: tuple[object, ...] = (bucket, *args)
    if upper is not None:
        query += " AND key < ?"
        params += (upper,)
    return conn.execute(query + " ORDER BY key, initiated, upload_id LIMIT ?", (*params, limit)).fetchall()


# -- write transactions ----------------------------------------------------------------------------
def tx_create(conn: sqlite3.Connection, bucket: str, key: str, new: NewObject, algorithm: str | None,
              checksum_type: str | None) -> UploadInfo:
    md.bucket_row(conn, bucket)
    upload_id = new_upload_id()
    initiated = md.now_ms(conn)
    conn.execute(f"INSERT INTO uploads ({UPLOAD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 (upload_id, bucket, key, initiated, new.owner_id, new.storage_class, md.map_json(new.content),
                  md.map_json(new.metadata), md.map_json(new.tags), algorithm, checksum_type))
    return UploadInfo(upload_id, bucket, key, initiated, new.owner_id, new.storage_class, algorithm,
                      checksum_type)


def tx_put_part(conn: sqlite3.Connection, bucket: str, key: str, upload_id: str, part_number: int,
                blob_id: str | None, size: int, etag: str, checksum: Checksum | None,
                garbage: list[str]) -> PartInfo:
    """Record a part (its blob row must already exist); an earlier upload of the same number is released."""
    get_upload(conn, bucket, key, upload_id)
    old = conn.execute("SELECT blob_id FROM upload_parts WHERE upload_id = ? AND part_number = ?",
                       (upload_id, part_number)).fetchone()
    if old is not None:
        md.unref_blob(conn, old["blob_id"], garbage)
    modified = md.now_ms(conn)
    raw_checksum = json.dumps([checksum.algorithm, checksum.value]) if checksum else None
    conn.execute("INSERT INTO upload_parts (upload_id, part_number, blob_id, size, etag, checksum, last_modified) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (upload_id, part_number) DO UPDATE SET "
                 "blob_id = excluded.blob_id, size = excluded.size, etag = excluded.etag, "
                 "checksum = excluded.checksum, last_modified = excluded.last_modified",
                 (upload_id, part_number, blob_id, size, etag, raw_checksum, modified))
    return PartInfo(part_number, size, etag, modified, checksum)


def _release_upload(conn: sqlite3.Connection, upload_id: str, keep: set[int], garbage: list[str]) -> None:
    for row in conn.execute("SELECT part_number, blob_id FROM upload_parts WHERE upload_id = ?",
                            (upload_id,)).fetchall():
        if row["part_number"] not in keep:
            md.unref_blob(conn, row["blob_id"], garbage)
    conn.execute("DELETE FROM upload_parts WHERE upload_id = ?", (upload_id,))
    conn.execute("DELETE FROM uploads WHERE upload_id = ?", (upload_id,))


def tx_abort(conn: sqlite3.Connection, bucket: str, key: str, upload_id: str, garbage: list[str]) -> None:
    md.bucket_row(conn, bucket)
    get_upload(conn, bucket, key, upload_id)
    _release_upload(conn, upload_id, set(), garbage)


def tx_abort_many(conn: sqlite3.Connection, garbage: list[str], *, upload_ids: list[str]) -> int:
    """Abort uploads that still exist (lifecycle); returns how many did."""
    aborted = 0
    for upload_id in upload_ids:
        if conn.execute("SELECT 1 FROM uploads WHERE upload_id = ?", (upload_id,)).fetchone():
            _release_upload(conn, upload_id, set(), garbage)
            aborted += 1
    return aborted


def tx_abort_all(conn: sqlite3.Connection, bucket: str, garbage: list[str]) -> None:
    for (upload_id,) in conn.execute("SELECT upload_id FROM uploads WHERE bucket = ?", (bucket,)).fetchall():
        _release_upload(conn, upload_id, set(), garbage)


def _compose_checksum(algorithm: str | None, checksum_type: str | None, parts: list[sqlite3.Row]
                      ) -> Checksum | None:
    stored = [part_checksum(p["checksum"]) for p in parts]
    if algorithm is None:
        # No checksum asked for at creation: if every part carries the same CRC (the default
        # CRC64NVME, or the CRC32 boto3 sends anyway), the object gets their full-object combination.
        algorithm, checksum_type = (stored[0].algorithm if stored[0] else None), "FULL_OBJECT"
        if algorithm not in checksums.CRC_ALGORITHMS:
            return None
    if any(c is None or c.algorithm != algorithm for c in stored):
        return None
    digests = [base64.b64decode(c.value) for c in stored if c is not None]
    if checksum_type == "FULL_OBJECT":
        combined = digests[0]
        for digest, part in zip(digests[1:], parts[1:], strict=True):
            combined = checksums.combine_crc(algorithm, combined, digest, part["size"])
        return Checksum(algorithm, checksums.b64(combined), "FULL_OBJECT")
    hasher = checksums.new_hasher(algorithm)
    for digest in digests:
        hasher.update(digest)
    return Checksum(algorithm, f"{checksums.b64(hasher.digest())}-{len(parts)}", "COMPOSITE")


def _completed_before(conn: sqlite3.Connection, bucket: str, key: str, upload_id: str,
                      versioning: str | None) -> ObjectInfo | None:
    row = conn.execute(f"SELECT {md.OBJECT_COLUMNS} FROM objects WHERE bucket = ? AND key = ? AND upload_id = ?",
                       (bucket, key, upload_id)).fetchone()
    return md.object_info(row, versioning) if row is not None else None


def tx_complete(conn: sqlite3.Connection, bucket: str, key: str, upload_id: str, requested: list[CompletedPart],
                conditions: WriteConditions | None, garbage: list[str]) -> ObjectInfo:
    b = md.bucket_row(conn, bucket)
    try:
        upload = get_upload(conn, bucket, key, upload_id)
    except S3Error:
        done = _completed_before(conn, bucket, key, upload_id, b["versioning"])
        if done is not None:  # a retried completion answers as the first one did
            return done
        raise
    stored = {r["part_number"]: r for r in conn.execute("SELECT * FROM upload_parts WHERE upload_id = ?",
                                                        (upload_id,)).fetchall()}
    chosen: list[sqlite3.Row] = []
    for i, part in enumerate(requested):
        row = stored.get(part.part_number)
        if row is None or row["etag"] != part.etag:
            raise S3Error(Code.InvalidPart, PartNumber=str(part.part_number), ETag=part.etag, UploadId=upload_id)
        sent = part.checksums
        have = part_checksum(row["checksum"])
        if have is not None and have.algorithm in sent and sent[have.algorithm] != have.value:
            raise S3Error(Code.InvalidPart, PartNumber=str(part.part_number), ETag=part.etag, UploadId=upload_id)
        if i < len(requested) - 1 and row["size"] < MIN_PART_SIZE:
            raise S3Error(Code.EntityTooSmall, ProposedSize=str(row["size"]), MinSizeAllowed=str(MIN_PART_SIZE),
                          PartNumber=str(part.part_number), ETag=part.etag)
        chosen.append(row)
    md5s = b"".join(bytes.fromhex(r["etag"]) for r in chosen)
    etag = f"{hashlib.md5(md5s).hexdigest()}-{len(chosen)}"
    extents: list[md.Extent] = []
    offset = 0
    for ordinal, row in enumerate(chosen, start=1):  # GET ?partNumber=N counts parts as completed
        if row["blob_id"] is not None:
            extents.append(md.Extent(ordinal, row["blob_id"], offset, row["size"], row["etag"], row["checksum"]))
        offset += row["size"]
    checksum = _compose_checksum(upload["checksum_algorithm"], upload["checksum_type"], chosen)
    new = NewObject(owner_id=upload["owner_id"], content=md.map_of(upload["content"]),
                    metadata=md.map_of(upload["metadata"]), storage_class=upload["storage_class"],
                    tags=md.map_of(upload["tags"]))
    version = md.NewVersion(offset, etag, checksum, md.Body(None, len(chosen)), tuple(extents), upload_id=upload_id)
    info = md.tx_put_version(conn, bucket, key, new, version, conditions, garbage)
    _release_upload(conn, upload_id, {r["part_number"] for r in chosen}, garbage)
    return info
