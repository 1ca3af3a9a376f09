"""Completing a multipart upload: validate the listed parts, compose ETag and checksum, make extents.

Completion is one transaction that validates the listed parts, composes the ETag
(``md5(concat(part md5s))-N``) and the checksum (composite ``-N`` or full-object CRC, combined
without reading data), and turns the parts into the new version's extents. No byte is copied,
so completing a 5 GiB upload costs a few thousand row writes.
"""

from __future__ import annotations

import base64
import hashlib

from gateway.wire import checksums, completion
from gateway.wire.documents.acl import grants_of
from gateway.wire.errors import Code, S3Error
from gateway.wire.lifecycle_rules import DAY_MS
from storage_backends.base import Checksum, CompletedPart, CompletionChecks, NewObject, ObjectInfo, WriteConditions
from storage_backends.catalog.records import (
    Extent,
    NewVersion,
    PartRecord,
    Placement,
    UploadRecord,
    lock_of,
    map_of,
    object_info,
    part_checksum,
)
from storage_backends.catalog.sql import buckets as bucket_rows
from storage_backends.catalog.sql import objects as version_rows
from storage_backends.catalog.sql import uploads as upload_rows
from storage_backends.catalog.store import Tx

MIN_PART_SIZE = 5 * 1024 * 1024


def _compose_checksum(algorithm: str | None, checksum_type: str | None, parts: list[PartRecord]
                      ) -> Checksum | None:
    stored = [part_checksum(p.checksum) for p in parts]
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
            combined = checksums.combine_crc(algorithm, combined, digest, part.size)
        return Checksum(algorithm, checksums.b64(combined), "FULL_OBJECT")
    hasher = checksums.new_hasher(algorithm)
    for digest in digests:
        hasher.update(digest)
    return Checksum(algorithm, f"{checksums.b64(hasher.digest())}-{len(parts)}", "COMPOSITE")


def _chosen_parts(tx: Tx, upload: UploadRecord, requested: list[CompletedPart]) -> list[PartRecord]:
    """The stored parts the request lists, validated (ETag, checksums, minimum size but for the last)."""
    upload_id = upload.upload_id
    stored = {p.part_number: p for p in upload_rows.parts(tx, upload_id)}
    chosen: list[PartRecord] = []
    for i, part in enumerate(requested):
        row = stored.get(part.part_number)
        if row is None or row.etag != part.etag:
            raise S3Error(Code.InvalidPart, PartNumber=str(part.part_number), ETag=part.etag, UploadId=upload_id)
        completion.check_part(part, part_checksum(row.checksum), upload.checksum_algorithm, upload.checksum_type,
                              upload_id)
        if i < len(requested) - 1 and row.size < MIN_PART_SIZE:
            raise S3Error(Code.EntityTooSmall, ProposedSize=str(row.size), MinSizeAllowed=str(MIN_PART_SIZE),
                          PartNumber=str(part.part_number), ETag=part.etag)
        chosen.append(row)
    return chosen


def complete(tx: Tx, bucket: str, key: str, upload_id: str, requested: list[CompletedPart],
             conditions: WriteConditions | None, checks: CompletionChecks | None = None,
             day_ms: int = DAY_MS) -> ObjectInfo:
    """CompleteMultipartUpload inside one transaction, once what the request asserts holds (a retried
    completion answers as the first did, which checked them)."""
    b = bucket_rows.require(tx, bucket)
    try:
        upload = upload_rows.get(tx, bucket, key, upload_id)
    except S3Error:
        done = version_rows.by_upload(tx, bucket, key, upload_id)
        if done is not None:
            return object_info(done, b.versioning)
        raise
    checks = checks or CompletionChecks()
    completion.check_upload(checks, upload.checksum_algorithm, upload.checksum_type)
    chosen = _chosen_parts(tx, upload, requested)
    md5s = b"".join(bytes.fromhex(r.etag) for r in chosen)
    etag = f"{hashlib.md5(md5s).hexdigest()}-{len(chosen)}"
    extents: list[Extent] = []
    offset = 0
    for ordinal, row in enumerate(chosen, start=1):  # GET ?partNumber=N counts parts as completed
        if row.blob_id is not None:
            extents.append(Extent(ordinal, row.blob_id, offset, row.size, row.etag, row.checksum))
        offset += row.size
    checksum = _compose_checksum(upload.checksum_algorithm, upload.checksum_type, chosen)
    completion.check_object(checks, checksum, offset)
    new = NewObject(owner_id=upload.owner_id, content=map_of(upload.content), metadata=map_of(upload.metadata),
                    storage_class=upload.storage_class, tags=map_of(upload.tags), acl=grants_of(upload.acl),
                    lock=lock_of(upload.lock_mode, upload.lock_until, upload.legal_hold))
    version = NewVersion(offset, etag, checksum, Placement(None, len(chosen)), tuple(extents), upload_id=upload_id,
                         encryption=upload.encryption)
    info = version_rows.put_version(tx, bucket, key, new, version, conditions, day_ms,
                                    event="ObjectCreated:CompleteMultipartUpload")
    upload_rows.release(tx, upload_id, frozenset(r.part_number for r in chosen))
    return info
