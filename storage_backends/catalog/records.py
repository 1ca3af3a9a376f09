"""Typed records the catalog hands out, and the codecs of the values it stores.

Callers never see a database row: every query returns one of these dataclasses (or a type
from :mod:`storage_backends.base`). The JSON codecs for checksums and content/metadata/tag maps
live here too, because they define what the catalog's text columns hold.
"""

from __future__ import annotations

import base64
import functools
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from gateway.wire.lock_rules import DefaultRetention, LockConfiguration, ObjectLock, Retention
from storage_backends.base import BucketInfo, Checksum, Encryption, ObjectInfo, PartInfo, UploadInfo

Row = Sequence[object]


# -- codecs --------------------------------------------------------------------------------------
_POSITION_BITS = (1 << 63) - 1  # row ids are signed 64-bit integers


def new_version_id(position: int) -> str:
    """Unique and opaque-looking, like AWS's: 32 URL-safe characters, never the literal ``null``.

    It carries ``position``, a lower bound of the version's row id that no older row reaches, so
    a ListObjectVersions marker whose version was deleted since still has a place in the order
    (:func:`position_of`), as AWS's do. The position is masked by the random part, not secret.
    """
    tail = os.urandom(16)
    masked = position ^ int.from_bytes(tail[:8], "big")
    return base64.urlsafe_b64encode(tail + masked.to_bytes(8, "big")).decode("ascii")


def position_of(version_id: str) -> int | None:
    """The position a well-formed id carries (None for ``null``).

    Ids made before positions were added are random: theirs decodes to a number past any row id
    (all but surely), which places a deleted marker before every version of its key, so a listing
    repeats what is left of that key rather than skipping any of it.
    """
    if version_id == "null":
        return None
    raw = base64.urlsafe_b64decode(version_id.encode("ascii"))
    return (int.from_bytes(raw[16:], "big") ^ int.from_bytes(raw[:8], "big")) & _POSITION_BITS


def is_version_id(value: str) -> bool:
    if value == "null":
        return True
    try:
        return len(base64.urlsafe_b64decode(value.encode("ascii"))) == 24 and len(value) == 32
    except (ValueError, UnicodeEncodeError):
        return False


def new_upload_id() -> str:
    return base64.urlsafe_b64encode(os.urandom(36)).decode("ascii")


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
    if checksum is None:
        return None
    fields = (checksum.algorithm, checksum.value, checksum.type)
    joined = "".join(fields)
    if joined.isascii() and joined.isprintable() and '"' not in joined and "\\" not in joined:
        return f'["{fields[0]}", "{fields[1]}", "{fields[2]}"]'  # what json.dumps writes for these (all ours)
    return json.dumps(list(fields))


def part_checksum(raw: str | None) -> Checksum | None:
    """An upload part's checksum, stored as ``[algorithm, value]``."""
    if not raw:
        return None
    algorithm, value = json.loads(raw)
    return Checksum(algorithm, value, "PART")


def part_checksum_json(checksum: Checksum | None) -> str | None:
    return json.dumps([checksum.algorithm, checksum.value]) if checksum else None


def map_json(values: Mapping[str, str]) -> str:
    """A content/metadata/tags map as stored. Most are empty: those skip the JSON encoder."""
    return json.dumps(values) if values else "{}"


def map_of(raw: str) -> dict[str, str]:
    return json.loads(raw) if raw != "{}" else {}


def lock_columns(lock: ObjectLock | None) -> tuple[str | None, int | None, int | None]:
    """A version's (or upload's) lock as its (lock_mode, lock_until, legal_hold) columns."""
    if lock is None:
        return None, None, None
    r = lock.retention
    hold = None if lock.legal_hold is None else int(lock.legal_hold)
    return (r.mode, r.until_ms, hold) if r is not None else (None, None, hold)


def lock_of(mode: str | None, until: int | None, hold: int | None) -> ObjectLock | None:
    if mode is None and hold is None:
        return None
    return ObjectLock(Retention(mode, until) if mode is not None and until is not None else None,
                      None if hold is None else bool(hold))


def lock_configuration_json(config: LockConfiguration) -> str:
    d = config.default
    if d is None:
        return "{}"
    return json.dumps({"mode": d.mode, "days": d.days} if d.days is not None else {"mode": d.mode, "years": d.years})


def lock_configuration_of(raw: str | None) -> LockConfiguration | None:
    if raw is None:
        return None
    d = json.loads(raw)
    return LockConfiguration(DefaultRetention(d["mode"], d.get("days"), d.get("years")) if d else None)


def encryption_json(encryption: Encryption | None, verifier: str | None = None) -> str | None:
    """A version's (or upload's) encryption column; ``verifier``: the SSE-C key's (keys.keyring)."""
    if encryption is None:
        return None
    fields: dict[str, object] = {"algorithm": encryption.algorithm}
    if encryption.customer:
        fields.update(customer=True, key_md5=encryption.customer_key_md5, verifier=verifier)
    if encryption.kms_key_id is not None:
        fields["kms_key_id"] = encryption.kms_key_id
    if encryption.context is not None:
        fields["context"] = encryption.context
    if encryption.bucket_key:
        fields["bucket_key"] = True
    return json.dumps(fields)


@functools.lru_cache(maxsize=4096)
def encryption_of(raw: str | None) -> Encryption | None:
    """Cached: most versions share a column (every SSE-S3 one the same), and a read decodes it thrice."""
    if raw is None:
        return None
    d = json.loads(raw)
    return Encryption(d["algorithm"], d.get("customer", False), d.get("kms_key_id"), d.get("context"),
                      d.get("bucket_key", False), d.get("key_md5"))


@functools.lru_cache(maxsize=4096)
def verifier_of(raw: str | None) -> str | None:
    """The SSE-C key verifier kept in an encryption column (None: not SSE-C)."""
    return json.loads(raw).get("verifier") if raw is not None else None


def successor(prefix: str) -> str | None:
    """The smallest string greater than every string that starts with ``prefix`` (None: no bound).

    Keys compare in binary UTF-8 order, which equals code point order, so incrementing the last
    code point works.
    """
    chars = list(prefix)
    while chars:
        code = ord(chars[-1]) + 1
        if 0xD800 <= code <= 0xDFFF:
            code = 0xE000
        if code <= 0x10FFFF:
            chars[-1] = chr(code)
            return "".join(chars)
        chars.pop()
    return None


def common_prefix(key: str, start: int, delimiter: str) -> str | None:
    """What ``key`` folds into in a delimiter listing: itself up to and including the first
    ``delimiter`` at or after ``start`` (the prefix's length); None when it does not fold."""
    at = key.find(delimiter, start)
    return key[: at + len(delimiter)] if at >= 0 else None


class Fold(NamedTuple):
    """A delimiter listing's folding: keys with ``delimiter`` after the first ``start`` characters
    are shown once per common prefix (the catalog returns one row per common prefix)."""

    start: int
    delimiter: str

    def common(self, key: str) -> str | None:
        return common_prefix(key, self.start, self.delimiter)


# -- records -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Placement:
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
    checksum: str | None  # as stored for the upload part (see part_checksum)


@dataclass(frozen=True, slots=True)
class ObjectRecord:
    """One object version (or delete marker) as stored, JSON columns still encoded."""

    id: int  # larger = newer
    bucket: str
    key: str
    version_id: str
    is_latest: bool
    delete_marker: bool
    size: int
    etag: str
    last_modified: int
    storage_class: str
    owner_id: str
    content: str
    metadata: str
    tags: str
    checksum: str | None
    blob_id: str | None
    parts_count: int | None
    noncurrent_since: int | None
    restore_ready: int | None
    restore_expiry: int | None
    acl: str | None = None  # see gateway.wire.documents.acl.grants_json; None: the owner's FULL_CONTROL
    lock_mode: str | None = None  # Object Lock: see lock_columns
    lock_until: int | None = None
    legal_hold: int | None = None
    encryption: str | None = None  # see encryption_json; None: plaintext
    class_since: int | None = None  # when a transition put it in its class; None: since last_modified

    @property
    def in_class_since(self) -> int:
        """Where its minimum storage duration counts from (usage accounting's early deletions)."""
        return self.last_modified if self.class_since is None else self.class_since

    @property
    def lock(self) -> ObjectLock | None:
        return lock_of(self.lock_mode, self.lock_until, self.legal_hold)


OBJECT_COLUMNS = ("id, bucket, key, version_id, is_latest, delete_marker, size, etag, last_modified, "
                  "storage_class, owner_id, content, metadata, tags, checksum, blob_id, parts_count, "
                  "noncurrent_since, restore_ready, restore_expiry, acl, lock_mode, lock_until, legal_hold, "
                  "encryption, class_since")


def object_record(r: Row) -> ObjectRecord:
    return ObjectRecord(r[0], r[1], r[2], r[3], bool(r[4]), bool(r[5]), *r[6:])  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class ListedVersion:
    """What a listing shows of a version (ListObjects uses the same record, id unused)."""

    id: int
    key: str
    version_id: str
    is_latest: bool
    delete_marker: bool
    size: int
    etag: str
    last_modified: int
    storage_class: str
    owner_id: str
    checksum: str | None


LISTED_COLUMNS = ("id, key, version_id, is_latest, delete_marker, size, etag, last_modified, storage_class, "
                  "owner_id, checksum")


LATEST_COLUMNS = "key, size, etag, last_modified, storage_class, owner_id, checksum"


def listed_object(bucket: str, r: Any) -> ObjectInfo:
    """A ListObjects entry straight from a row of LATEST_COLUMNS (no JSON column is decoded)."""
    return ObjectInfo(bucket=bucket, key=r[0], size=r[1], etag=r[2], last_modified_ms=r[3], owner_id=r[5],
                      storage_class=r[4], checksum=checksum_of(r[6]))


def listed_version(r: Row) -> ListedVersion:
    return ListedVersion(r[0], r[1], r[2], bool(r[3]), bool(r[4]), *r[5:])  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class BlobRecord:
    id: str
    size: int
    volume: str
    data: bytes | None  # inline bytes; None when the blob is a file


@dataclass(frozen=True, slots=True)
class UploadRecord:
    upload_id: str
    bucket: str
    key: str
    initiated: int
    owner_id: str
    storage_class: str
    content: str
    metadata: str
    tags: str
    checksum_algorithm: str | None
    checksum_type: str | None
    acl: str | None = None  # the completed version's ACL (as ObjectRecord.acl)
    lock_mode: str | None = None  # the completed version's lock (as ObjectRecord's)
    lock_until: int | None = None
    legal_hold: int | None = None
    encryption: str | None = None  # what the completed version (and each part) is sealed with


UPLOAD_COLUMNS = ("upload_id, bucket, key, initiated, owner_id, storage_class, content, metadata, tags, "
                  "checksum_algorithm, checksum_type, acl, lock_mode, lock_until, legal_hold, encryption")


@dataclass(frozen=True, slots=True)
class PartRecord:
    upload_id: str
    part_number: int
    blob_id: str | None
    size: int
    etag: str
    checksum: str | None  # see part_checksum
    last_modified: int


PART_COLUMNS = "upload_id, part_number, blob_id, size, etag, checksum, last_modified"


@dataclass(frozen=True, slots=True)
class NewVersion:
    """A fully described version about to become the latest one."""

    size: int
    etag: str
    checksum: Checksum | None
    placement: Placement
    extents: tuple[Extent, ...] = ()
    upload_id: str | None = None  # the multipart upload completed into this version
    encryption: str | None = None  # the encryption column (its blobs are sealed with it)


@dataclass(frozen=True, slots=True)
class Deleted:
    version_id: str | None
    delete_marker: bool


@dataclass(frozen=True, slots=True)
class DueRow:
    """A row that lifecycle work may be due for (``size``/``tags`` only where filters need them)."""

    id: int | str  # version row id, or upload id for uploads
    key: str
    size: int = 0
    tags: str = "{}"


# -- records -> backend types ---------------------------------------------------------------------
def bucket_info(r: Row) -> BucketInfo:
    return BucketInfo(r[0], r[1], r[2], r[3], r[4], lock_configuration_of(r[5]))  # type: ignore[arg-type]


BUCKET_COLUMNS = "name, region, owner_id, created_ms, versioning, object_lock"


def object_info(row: ObjectRecord, versioning: str | None) -> ObjectInfo:
    return ObjectInfo(
        bucket=row.bucket, key=row.key, size=row.size, etag=row.etag, last_modified_ms=row.last_modified,
        owner_id=row.owner_id, version_id=row.version_id if versioning else None,
        storage_class=row.storage_class, content=map_of(row.content), metadata=map_of(row.metadata),
        checksum=checksum_of(row.checksum), parts_count=row.parts_count, is_latest=row.is_latest,
        delete_marker=row.delete_marker, tags=map_of(row.tags), lock=row.lock,
        encryption=encryption_of(row.encryption),
    )


def listed_info(bucket: str, row: ListedVersion) -> ObjectInfo:
    """The few fields a version listing shows, without decoding the JSON columns it does not need."""
    return ObjectInfo(bucket=bucket, key=row.key, size=row.size, etag=row.etag,
                      last_modified_ms=row.last_modified, owner_id=row.owner_id,
                      storage_class=row.storage_class, checksum=checksum_of(row.checksum))


def upload_info(row: UploadRecord) -> UploadInfo:
    return UploadInfo(row.upload_id, row.bucket, row.key, row.initiated, row.owner_id, row.storage_class,
                      row.checksum_algorithm, row.checksum_type, lock_of(row.lock_mode, row.lock_until, row.legal_hold),
                      encryption_of(row.encryption))


def part_info(row: PartRecord) -> PartInfo:
    return PartInfo(row.part_number, row.size, row.etag, row.last_modified, part_checksum(row.checksum))
